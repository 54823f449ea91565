"""Comware and RGOS without sockets: their TTP templates on real captured output (each test names its
source, see the README beside the captures), their VLAN-set semantics in plan and restore, and the
credentials each host logs in with."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ssid_rollout.errors import InputError
from ssid_rollout.model import Device, SiteAttachment
from ssid_rollout.parse_switches import (
    parse_comware_config,
    parse_comware_version,
    parse_rgos_config,
    parse_rgos_version,
    trunk_vlans,
)
from ssid_rollout.plan import plan_device
from ssid_rollout.platforms import platform_for
from ssid_rollout.restore import restore_plan, touched_equal
from ssid_rollout.secrets import resolve_jump_passwords, resolve_logins
from ssid_rollout.spec import load_spec
from ssid_rollout.values import ALL_VLANS
from tests.fault_matrix_plugin import PLAYBOOK
from tests.test_spec_inventory import MemoryKeyring, clean_env  # noqa: F401 - the fixture

pytestmark = pytest.mark.unit

REAL = Path(__file__).parent / "fixtures" / "real"
COMWARE, RGOS = REAL / "hp_comware", REAL / "ruijie_os"


# --- Comware captures ----------------------------------------------------------------------------


def test_comware5_running_config_of_an_hp_5500ei() -> None:
    """aruba/PYHPEIMC @ 4fba318 `examples/HPE IMC Working with Devices.ipynb`, cell 28 (CRLF, CW 5.20.99)."""
    facts = parse_comware_config((COMWARE / "pyhpeimc_hp5500ei_cw520_running_config.txt").read_text())
    assert facts.version == "5.20.99"
    assert {1, 2, 3, 10, 110, 500, 503, 3010} <= facts.vlans
    assert set(range(2005, 2011)) <= facts.vlans  # `vlan 2005 to 2010`
    assert 806 not in facts.vlans and 2011 not in facts.vlans
    ge8 = facts.interfaces["GigabitEthernet1/0/8"]  # ` port trunk permit vlan 1 to 2 110 500 to 503`
    assert (ge8.link_type, ge8.allow_pass) == ("trunk", frozenset({1, 2, 110, 500, 501, 502, 503}))
    assert facts.interfaces["GigabitEthernet1/0/1"].allow_pass == ALL_VLANS  # `permit vlan all`
    assert facts.interfaces["Bridge-Aggregation2"].allow_pass == ALL_VLANS
    assert facts.interfaces["Bridge-Aggregation1"].link_type is None


def test_comware5_display_version_of_an_s5120() -> None:
    """arstercz/arstercz.github.io @ da82ab0 `_posts/2014-04-10-h3c_switch_upgrade.md` (transcribed)."""
    version = parse_comware_version(
        (COMWARE / "arstercz_s5120-52p-si_display_version_r1513p81.txt").read_text()
    )
    assert (version.vrp, version.model) == ("5.20", "S5120-52P-SI")
    assert platform_for("hp_comware").runs(version)


def test_comware7_display_version_of_an_hpe_5130() -> None:
    """ytti/oxidized @ 687ed42 `spec/model/data/h3c#5130-48G_7.1.070#simulation.yaml` (`\\r` literal)."""
    data = yaml.safe_load((COMWARE / "oxidized_h3c_5130-48G_7.1.070_simulation.yaml").read_text())
    shown = next(next(iter(c.values())) for c in data["commands"] if "display version" in next(iter(c)))
    version = parse_comware_version(shown.replace("\\r", ""))
    assert (version.vrp, version.model) == ("7.1.070", "5130 48G PoE+ 4SFP+ EI")


def test_comware7_trunk_carries_vlan1_unless_it_shows_its_removal() -> None:
    """The CW7 forms of X-TRUNK7 (docs/vendors.md section 4); CW5 lists VLAN 1 like any VLAN [IMC]."""
    text = (
        "#\n version 7.1.070, Release 3507P18\n#\nvlan 801 to 806\n#\n"
        "interface Ten-GigabitEthernet1/0/49\n port link-type trunk\n undo port trunk permit vlan 1\n"
        " port trunk permit vlan 68 78 88 to 89 91 to 100\n#\n"
        "interface GigabitEthernet1/0/2\n port link-type trunk\n port trunk permit vlan 10 20\n#\n"
        "interface GigabitEthernet1/0/3\n port link-type trunk\n#\nreturn\n"
    )
    facts = parse_comware_config(text)
    assert set(range(801, 807)) == facts.vlans
    assert facts.interfaces["Ten-GigabitEthernet1/0/49"].allow_pass == {68, 78, 88, 89, *range(91, 101)}
    assert facts.interfaces["GigabitEthernet1/0/2"].allow_pass == {1, 10, 20}
    assert facts.interfaces["GigabitEthernet1/0/3"].allow_pass == {1}
    cw5 = parse_comware_config(text.replace("7.1.070", "5.20"))
    assert cw5.interfaces["GigabitEthernet1/0/2"].allow_pass == {10, 20}


# --- RGOS captures -------------------------------------------------------------------------------


def test_rgos10_running_config_head_lists_each_vlan() -> None:
    """Index id 27708180103 (S2628G-E, RGOS 10.4; transcribed: tests/fixtures/real/ruijie_os/README.md)."""
    facts = parse_rgos_config((RGOS / "x_s2628g-e_show_run_head_vlans.txt").read_text())
    assert {1, 2, 11, 12, 13, 14, 15, 21} <= facts.vlans
    assert 806 not in facts.vlans


def test_rgos10_trunk_without_an_allowed_line_carries_every_vlan() -> None:
    """Index id 27708180103, the uplink block: `switchport mode trunk` and no allowed line."""
    facts = parse_rgos_config((RGOS / "x_s2628g-e_show_run_trunk_uplink.txt").read_text())
    uplink = facts.interfaces["GigabitEthernet 1/0/25"]
    assert (uplink.link_type, uplink.allow_pass) == ("trunk", ALL_VLANS)
    assert facts.interfaces["GigabitEthernet 2/0/26"].allow_pass == frozenset()  # not a trunk


@pytest.mark.parametrize(
    ("file", "release", "model", "source"),
    [
        ("x_s2628g-e_show_vlan_show_version.txt", "10.4(3b19)p3", "S2628G-E", "index id 27708180103"),
        ("net_inspect_ruijie_os.txt", "11.0(4)B8", "S8607E", "Elinpf/net_inspect @ 55d8fa9 tests/unit/data"),
    ],
)
def test_rgos_show_version_names_model_and_release(file: str, release: str, model: str, source: str) -> None:
    version = parse_rgos_version((RGOS / file).read_text(errors="replace"))
    assert (version.vrp, version.model) == (release, model), source
    assert platform_for("ruijie_os").runs(version)


def test_rgos_trunk_list_forms_in_order() -> None:
    """`only` [X-RGW], `remove` [RG-DOC], and the command's other forms (docs/vendors.md section 4)."""
    assert trunk_vlans([]) == ALL_VLANS
    assert trunk_vlans(["only 2-4094"]) == ALL_VLANS - {1}
    assert trunk_vlans(["remove 2"]) == ALL_VLANS - {2}  # `Vlan lists is 1,3-4094` [RG-DOC]
    assert trunk_vlans(["only 10,20", "add 806"]) == {10, 20, 806}
    assert trunk_vlans(["except 1-805,807-4094"]) == {806}
    assert trunk_vlans(["remove 1-4094"]) == frozenset()
    assert trunk_vlans(["only 10", "all"]) == ALL_VLANS


# --- VLAN sets through the undo tables: plan and restore on text ---------------------------------


def _switch(platform: str, *ports: str) -> Device:
    site = SiteAttachment("S1", trunk_ports=ports)
    return Device("sw", "switch", platform, "M", "ops", "127.0.0.1", 22, {"S1": site})


RGOS_RUNNING = """
Building configuration...
Current configuration : 400 bytes

version S5750-H_RGOS 11.4(1)B12P10
hostname SW
!
vlan 1
!
vlan 10
!
interface GigabitEthernet 0/1
 switchport mode trunk
 switchport trunk allowed vlan only 10,20
!
interface GigabitEthernet 0/2
 switchport mode trunk
 switchport trunk allowed vlan only 2-4094
!
interface TenGigabitEthernet 0/25
 switchport mode trunk
!
interface GigabitEthernet 0/3
 switchport access vlan 20
!
end
"""


def test_rgos_plan_adds_806_only_where_the_trunk_lacks_it_and_restore_removes_only_that() -> None:
    spec = load_spec(PLAYBOOK)
    device = _switch("ruijie_os", "GigabitEthernet 0/1", "GigabitEthernet 0/2", "TenGigabitEthernet 0/25")
    plan = plan_device(device, spec, RGOS_RUNNING, RGOS_RUNNING, radius_key=None)
    assert [(s.path, s.lines) for s in plan.forward] == [
        ((), ("vlan 806",)),
        (("interface GigabitEthernet 0/1",), ("switchport trunk allowed vlan add 806",)),
    ]
    assert not plan.missing and not plan.conflicts
    after = RGOS_RUNNING.replace("!\nvlan 10\n", "!\nvlan 10\n!\nvlan 806\n").replace(
        "only 10,20", "only 10,20,806"
    )
    table = platform_for("ruijie_os").undo
    undo, conflicts = restore_plan(table, RGOS_RUNNING, after, plan.forward)
    assert [(s.path, s.lines) for s in undo] == [
        (("interface GigabitEthernet 0/1",), ("switchport trunk allowed vlan remove 806",)),
        ((), ("no vlan 806",)),
    ]
    assert not conflicts
    assert touched_equal(table, RGOS_RUNNING, after, plan.forward)
    assert touched_equal(table, RGOS_RUNNING, RGOS_RUNNING, plan.forward) == []


def test_rgos_access_port_is_a_missing_prerequisite() -> None:
    plan = plan_device(
        _switch("ruijie_os", "GigabitEthernet 0/3"), load_spec(PLAYBOOK), RGOS_RUNNING, "", radius_key=None
    )
    assert [(m.what, m.lines) for m in plan.missing] == [
        ("trunk port GigabitEthernet 0/3", ("interface GigabitEthernet 0/3", " switchport mode trunk"))
    ]


def test_comware_vlan_inside_a_range_line_is_not_created_again() -> None:
    running = (
        "#\n version 7.1.070, Release 3507P18\n#\nvlan 801 to 810\n#\n"
        "interface GigabitEthernet1/0/1\n port link-type trunk\n"
        " port trunk permit vlan 10 800 to 900\n#\nreturn\n"
    )
    plan = plan_device(
        _switch("hp_comware", "GigabitEthernet1/0/1"), load_spec(PLAYBOOK), running, running, radius_key=None
    )
    assert plan.forward == [] and not plan.changes


# --- credentials per host and group -----------------------------------------------------------------


@pytest.fixture
def store(request: pytest.FixtureRequest) -> MemoryKeyring:
    """No SSID_ROLLOUT_* variable and an empty in-memory keyring (test_spec_inventory's clean_env)."""
    found: MemoryKeyring = request.getfixturevalue("clean_env")
    return found


def test_password_of_the_host_then_its_groups_then_the_default(
    store: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSID_ROLLOUT_USERNAME", "fake-default-user")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD", "fake-default-pw")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD_SWITCH", "fake-switch-pw")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD_GZ_TH_SW01", "fake-host-pw")
    store.set_password("ssid-rollout", "password/dept-network-management", "fake-keyring-pw")
    logins = resolve_logins(
        {
            "gz-th-sw01": ("ops", ("switch", "dept-operations")),
            "gz-th-sw02": (None, ("switch", "dept-operations")),
            "gz-bras-01": ("nm", ("bras", "dept-network-management")),
            "gz-ac-01": (None, ("ac",)),
        }
    )
    assert {h: (c.username, c.password) for h, c in logins.items()} == {
        "gz-th-sw01": ("ops", "fake-host-pw"),
        "gz-th-sw02": ("fake-default-user", "fake-switch-pw"),
        "gz-bras-01": ("nm", "fake-keyring-pw"),
        "gz-ac-01": ("fake-default-user", "fake-default-pw"),
    }
    assert "fake-host-pw" not in repr(logins)


def test_a_host_without_any_password_is_one_input_error(
    store: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD_SWITCH", "fake-switch-pw")
    assert resolve_logins({"sw": ("ops", ("switch",))})["sw"].password == "fake-switch-pw"
    with pytest.raises(InputError) as caught:
        resolve_logins({"sw": ("ops", ("switch",)), "gz-bras-01": ("nm", ("bras",))})
    assert "SSID_ROLLOUT_PASSWORD_GZ_BRAS_01" in str(caught.value) and "\n" not in str(caught.value)
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD_BRAS", "short")
    with pytest.raises(InputError, match="shorter than 6"):
        resolve_logins({"gz-bras-01": ("nm", ("bras",))})


def test_jump_password_from_the_environment_or_the_keyring(
    store: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.set_password("ssid-rollout", "jump/192.0.2.9", "fake-jump-keyring")
    assert resolve_jump_passwords(["192.0.2.9"]) == {"192.0.2.9": "fake-jump-keyring"}
    with pytest.raises(InputError, match=r"SSID_ROLLOUT_JUMP_PASSWORD.*jump/192\.0\.2\.10"):
        resolve_jump_passwords(["192.0.2.10"])
    monkeypatch.setenv("SSID_ROLLOUT_JUMP_PASSWORD", "fake-jump-env")
    assert resolve_jump_passwords(["192.0.2.9", "192.0.2.10"]) == dict.fromkeys(
        ["192.0.2.10", "192.0.2.9"], "fake-jump-env"
    )


# --- interface names per platform --------------------------------------------------------------------


HUAWEI_OK = ["10GE1/0/13", "25GE1/0/1", "100GE1/0/1", "MultiGE1/0/1", "XGigabitEthernet0/0/1", "Eth-Trunk5"]
COMWARE_OK = [
    "GigabitEthernet1/0/1", "Ten-GigabitEthernet1/0/49", "FortyGigE1/0/53", "HundredGigE3/0/23",
    "Twenty-FiveGigE1/0/1", "Bridge-Aggregation1", "GigabitEthernet1/1/0/48",
]  # fmt: skip
RGOS_OK = ["GigabitEthernet 0/1", "TenGigabitEthernet 0/49", "AggregatePort 1", "FastEthernet 0/1"]


@pytest.mark.parametrize(
    ("platform", "good", "bad"),
    [
        ("huawei", HUAWEI_OK, ["GigabitEthernet 0/0/1", "Ten-GigabitEthernet1/0/49"]),
        ("hp_comware", COMWARE_OK, ["GigabitEthernet 1/0/1", "GE1/0/1", "10GE1/0/13"]),
        ("ruijie_os", RGOS_OK, ["GigabitEthernet0/1", "Gi0/1", "AggregatePort1"]),
    ],
)
def test_interface_names_are_each_platforms_own(platform: str, good: list[str], bad: list[str]) -> None:
    for name in (platform, f"{platform}_telnet"):
        names = platform_for(name).interface_re
        assert [x for x in good if not names.fullmatch(x)] == []
        assert [x for x in bad if names.fullmatch(x)] == []
