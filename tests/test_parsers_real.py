"""Both configuration parsers on real Huawei VRP texts: tests/fixtures/real/vrp_configs/ (see its README).

`parse_config` (TTP; verify) and `config_tree` with the plan's VLAN helpers (plan, rollback) read
each file exactly as stored: CRLF line ends, a trailing NUL, control bytes in a banner, global
commands indented one space, cipher strings. Every expected value was read off the file by hand.

| fixture | source (repository: path @ commit) |
|---|---|
| s5700_ensp_core_sw1.cfg | huangxuxiao/Medium-Sized-Enterprise-Network-Design: Core_SW1.cfg @ a3ca3e2c |
| s5700_ensp_agg_sw1.cfg | huangxuxiao/Medium-Sized-Enterprise-Network-Design: Agg_SW1.cfg @ a3ca3e2c |
| ac6605_ensp_ac.cfg | huangxuxiao/Medium-Sized-Enterprise-Network-Design: AC.cfg @ a3ca3e2c |
| ar2220_ensp_ar1.cfg | huangxuxiao/Medium-Sized-Enterprise-Network-Design: AR1.cfg @ a3ca3e2c |
| s3700_vrp5_iyifanx_vrpcfg.cfg | iyifanx/iyifanx.github.io: vrpcfg.cfg @ d6cf6bc4 |
| s5732_v600_ohihc5_vrpcfg.cfg | ohihc5/ohihc5.github.io: vrpcfg.cfg @ 2bb7dfff |
| ne40e_vrpv8_inta_ipoe_webauth.cfg | WheaterW/INTA-project: nassim-main/corpus/hw/hw_NE40E_V800R012C10/ |
|  | .../Example_for_Configuring_HTTP_Redirect_for_Layer_2_IPoE_Users_..._Deployed.md @ a9b3a9a1 |
| ce6800_v300r023_inta_mstp_vrrp_devicea.cfg | WheaterW/INTA-project: nassim-main/.../hw_CE6800_V300R023C00/ |
|  | .../Example_for_Configuring_MSTP+VRRP_Networking.md @ a9b3a9a1 (DeviceA block) |

The two INTA-project files are extracts (one code block of a Markdown page); full paths in the README.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ssid_rollout.parse import Bas, ConfigFacts, Domain, RadiusGroup, RadiusServer, parse_config

# The plan parser and its helpers, with the Huawei VRP undo table they read lines through.
from ssid_rollout.plan import node_at, view_state, vlans_in
from ssid_rollout.platforms import platform_for
from ssid_rollout.render import config_tree
from ssid_rollout.values import vlan_set

TABLE = platform_for("huawei").undo

if TYPE_CHECKING:
    from hier_config import HConfig, HConfigChild

pytestmark = pytest.mark.unit

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "real" / "vrp_configs"
ALLOW = "port trunk allow-pass vlan"
#: The value after `cipher`, `pass-phrase` or `!HmacDigest` when it holds punctuation (cipher or
#: hash text), not a word such as `ssh server cipher aes256_ctr` or `cipher-suite exclude cipher mode`.
_CIPHER_VALUE = re.compile(r"(?:cipher|pass-phrase|!HmacDigest)\s+(\S*[^\w\s-]\S*)")


@pytest.fixture(autouse=True)
def _ttp_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """TTP's function cache goes to a temporary folder, never beside the installed package."""
    monkeypatch.setenv("TTPCACHEFOLDER", str(tmp_path_factory.getbasetemp() / "ttp-cache"))


# -- reading the fixtures once ------------------------------------------------------------------
@cache
def text(name: str) -> str:
    """The file as stored: bytes decoded, no newline translation (read_text would drop the CRs)."""
    return (FIXTURES / name).read_bytes().decode("utf-8")


@cache
def facts(name: str) -> ConfigFacts:
    return parse_config(text(name))


@cache
def tree(name: str) -> HConfig:
    return config_tree(text(name))


def view(name: str, *path: str) -> HConfig | HConfigChild:
    node = node_at(tree(name), path)
    assert node is not None, f"{name}: no {path} in the tree"
    return node


def children(name: str, *path: str) -> list[str]:
    return [c.text for c in view(name, *path).children]


def tree_vlans(name: str) -> set[int]:
    return vlans_in(TABLE, tree(name), (), "vlan batch")


def tree_allowed(name: str, interface: str) -> set[int]:
    path = (f"interface {interface}",)
    return vlans_in(TABLE, view(name, *path), path, ALLOW)


def tree_interfaces(name: str) -> set[str]:
    return {c.text.removeprefix("interface ") for c in tree(name).children if c.text.startswith("interface ")}


def tree_link_types(name: str) -> dict[str, str]:
    """Interface -> `port link-type` value, for the interfaces that show the line."""
    out = {}
    for c in tree(name).children:
        if c.text.startswith("interface "):
            for line in (x.text for x in c.children if x.text.startswith("port link-type ")):
                out[c.text.removeprefix("interface ")] = line.split()[-1]
    return out


def parsed_link_types(name: str) -> dict[str, str]:
    return {n: i.link_type for n, i in facts(name).interfaces.items() if i.link_type}


def parsed_allowed(name: str) -> dict[str, frozenset[int]]:
    return {n: i.allow_pass for n, i in facts(name).interfaces.items() if i.allow_pass}


def tree_lines(node: HConfig | HConfigChild) -> Iterator[str]:
    for child in node.children:
        yield child.text
        yield from tree_lines(child)


def strings(value: Any) -> Iterator[str]:
    """Every string inside parsed facts (dataclasses, dicts, tuples, sets), keys included."""
    if isinstance(value, str):
        yield value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from strings(getattr(value, f.name))
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from strings(k)
            yield from strings(v)
    elif isinstance(value, tuple | list | set | frozenset):
        for item in value:
            yield from strings(item)


def ciphers(name: str) -> set[str]:
    return set(_CIPHER_VALUE.findall(text(name)))


def ports(prefix: str, first: int, last: int) -> set[str]:
    return {f"{prefix}{n}" for n in range(first, last + 1)}


def both_interfaces(name: str) -> set[str]:
    """The interface names, asserted equal in both parsers."""
    assert set(facts(name).interfaces) == tree_interfaces(name)
    return tree_interfaces(name)


# -- every file ---------------------------------------------------------------------------------
ALL = sorted(p.name for p in FIXTURES.glob("*.cfg"))
#: Distinct cipher/hash strings per file (counted by reading it): the regex above finds them all.
CIPHER_COUNT = {
    "ac6605_ensp_ac.cfg": 2,  # local-user irreversible-cipher $1a$, WPA2 pass-phrase %^%#
    "ar2220_ensp_ar1.cfg": 1,  # local-user password cipher %$%$
    "ce6800_v300r023_inta_mstp_vrrp_devicea.cfg": 0,
    "ne40e_vrpv8_inta_ipoe_webauth.cfg": 3,  # shared-key-cipher (= portal .4 key), .5 key, default-password
    "s3700_vrp5_iyifanx_vrpcfg.cfg": 1,  # old 24-character local-user cipher, no wrapper
    "s5700_ensp_agg_sw1.cfg": 0,
    "s5700_ensp_core_sw1.cfg": 0,  # password simple (redacted)
    "s5732_v600_ohihc5_vrpcfg.cfg": 3,  # two irreversible-cipher $1d$, !HmacDigest %+%#
}


def test_cipher_table_names_every_fixture() -> None:
    assert set(ALL) == set(CIPHER_COUNT)


@pytest.mark.parametrize("name", ALL)
def test_no_cipher_text_in_any_parsed_value(name: str) -> None:
    found = ciphers(name)
    assert len(found) == CIPHER_COUNT[name]
    values = list(strings(facts(name)))
    assert not [v for v in values for c in found if c in v]
    assert not [v for v in values if any(w in v for w in ("%^%#", "%$%$", "%+%#", "$1a$", "$1d$", "$$"))]


@pytest.mark.parametrize("name", ALL)
def test_layout_never_reaches_the_parsed_values(name: str) -> None:
    """CRLF, the NUL after `return`, `#`, `!`/`[V...]` headers and `return` are layout, not configuration."""
    lines = list(tree_lines(tree(name)))
    assert not [x for x in [*lines, *strings(facts(name))] if "\r" in x or "\0" in x]
    top = [c.text for c in tree(name).children]
    assert not [x for x in top if x[0] in "#![" or x == "return" or x != x.strip()]
    assert not [x for x in lines if x.startswith("#")]


@pytest.mark.parametrize("name", ALL)
def test_narrow_tree_keeps_every_top_level_header(name: str) -> None:
    """With `views` (how plan reads the saved configuration) only `aaa` keeps its lines, and no
    top-level line is lost or nested, indented or not."""
    narrow = config_tree(text(name), {"aaa"})
    assert [c.text for c in narrow.children] == [c.text for c in tree(name).children]
    aaa = node_at(narrow, ("aaa",))
    assert [c.text for c in narrow.children if c.children] == ([] if aaa is None else ["aaa"])
    if aaa is not None:
        assert list(tree_lines(aaa)) == list(tree_lines(view(name, "aaa")))


@pytest.mark.parametrize("name", ALL)
def test_both_parsers_agree_on_vlans_and_trunks(name: str) -> None:
    assert facts(name).vlans == tree_vlans(name)
    assert parsed_allowed(name) == {n: tree_allowed(name, n) for n in parsed_allowed(name)}
    assert parsed_link_types(name) == tree_link_types(name)


# -- huangxuxiao/Medium-Sized-Enterprise-Network-Design: Core_SW1.cfg ---------------------------
CORE = "s5700_ensp_core_sw1.cfg"


def test_s5700_core_vlan_batch_with_a_range_inside_the_list() -> None:
    raw = text(CORE)
    assert raw.startswith("\r\n#\r\n") and raw.endswith("#\r\nreturn\0")  # the stored quirks
    expected = {10, 20, 30, 40, 50, 60, 70, 80, 81, 82, 100}  # vlan batch 10 ... 70 80 to 82 100
    assert facts(CORE).vlans == expected
    assert tree_vlans(CORE) == expected


def test_s5700_core_trunks_and_interface_names() -> None:
    vlanifs = {f"Vlanif{n}" for n in (1, 10, 20, 30, 40, 50, 60, 70, 80, 81, 82, 100)}
    assert both_interfaces(CORE) == vlanifs | {"MEth0/0/1", "NULL0"} | ports("GigabitEthernet0/0/", 1, 24)
    trunks = {"GigabitEthernet0/0/2": set(range(2, 4095)), "GigabitEthernet0/0/3": {82}}
    trunks["GigabitEthernet0/0/24"] = set(range(2, 4095))
    assert parsed_allowed(CORE) == trunks
    assert {n: tree_allowed(CORE, n) for n in trunks} == trunks
    assert parsed_link_types(CORE) == dict.fromkeys(trunks, "trunk") == tree_link_types(CORE)
    assert children(CORE, "interface GigabitEthernet0/0/1") == ["undo portswitch", "shutdown"]


def test_s5700_core_aaa_default_domains() -> None:
    f = facts(CORE)
    assert set(f.domains) == {"default", "default_admin"}  # shown as ` domain default ` (trailing space)
    assert f.domains["default"].authentication_scheme is None and f.domains["default"].radius_group is None
    assert f.authentication_schemes == {"default"} and f.accounting_schemes == {"default"}
    assert f.radius_groups == {} and f.acls == {} and f.version is None
    assert "domain default" in children(CORE, "aaa")


# -- huangxuxiao/Medium-Sized-Enterprise-Network-Design: Agg_SW1.cfg ----------------------------
AGG = "s5700_ensp_agg_sw1.cfg"


def test_s5700_agg_vlans_and_six_trunks() -> None:
    assert text(AGG).endswith("return\0")
    assert facts(AGG).vlans == tree_vlans(AGG) == {10, 20, 30, 40, 50, 60, 70, 80, 81, 100}
    trunks = {
        "GigabitEthernet0/0/1": {10, 20, 30, 40, 50, 60, 70, 80, 81, 100},  # `... 70 80 to 81 100`
        "GigabitEthernet0/0/2": {10, 30, 50},
        "GigabitEthernet0/0/3": {10, 40, 60},
        "GigabitEthernet0/0/4": {10, 70, 100},
        "GigabitEthernet0/0/5": {10, 30, 70, 100},  # after `port trunk pvid vlan 100`
        "GigabitEthernet0/0/6": {70, 100},
    }
    assert parsed_allowed(AGG) == trunks
    assert {n: tree_allowed(AGG, n) for n in trunks} == trunks
    assert parsed_link_types(AGG) == dict.fromkeys(trunks, "trunk") == tree_link_types(AGG)
    assert facts(AGG).interfaces["GigabitEthernet0/0/4"].description == "Link_To_WLAN_AC"


def test_s5700_agg_interface_names_and_port_group() -> None:
    names = {"Vlanif1", "Vlanif80", "MEth0/0/1", "NULL0"} | ports("GigabitEthernet0/0/", 1, 24)
    assert both_interfaces(AGG) == names
    assert children(AGG, "port-group trunk") == []  # a top-level section, not an interface
    assert set(facts(AGG).domains) == {"default", "default_admin"}


# -- huangxuxiao/Medium-Sized-Enterprise-Network-Design: AC.cfg ---------------------------------
AC = "ac6605_ensp_ac.cfg"


def test_ac6605_version_header_and_indented_globals() -> None:
    assert text(AC).startswith("\r\n[V200R007C10SPC300]\r\n#\r\n sysname AC\r\n")
    assert facts(AC).version == "V200R007C10SPC300"
    top = [c.text for c in tree(AC).children]
    assert top[:2] == ["sysname AC", "set memory-usage threshold 0"]  # not under the `[V...]` line
    # ` undo info-center enable` and ` snmp-agent ...` follow `interface NULL0` and a `#`
    assert children(AC, "interface NULL0") == []
    assert {"undo info-center enable", "snmp-agent local-engineid 800007DB03000000000000"} <= set(top)


def test_ac6605_vlans_trunk_and_interface_names() -> None:
    assert facts(AC).vlans == tree_vlans(AC) == {70, 100}
    assert parsed_allowed(AC) == {"GigabitEthernet0/0/1": {70, 100}}
    assert tree_allowed(AC, "GigabitEthernet0/0/1") == {70, 100}
    assert parsed_link_types(AC) == {"GigabitEthernet0/0/1": "trunk"} == tree_link_types(AC)
    names = {"Vlanif70", "Vlanif100", "MEth0/0/1", "NULL0"} | ports("GigabitEthernet0/0/", 1, 24)
    assert both_interfaces(AC) == names | ports("XGigabitEthernet0/0/", 1, 2)


def test_ac6605_aaa_radius_template_and_pools() -> None:
    f = facts(AC)
    assert set(f.domains) == {"default", "default_admin"}
    assert f.domains["default"].authentication_scheme == "radius"
    assert f.domains["default"].radius_group is None  # `radius-server default` names a template: not read
    assert f.domains["default_admin"].authentication_scheme == "default"
    assert f.authentication_schemes == {"default", "radius"} and f.accounting_schemes == {"default"}
    assert f.radius_groups == {}  # `radius-server template default` (empty) is not a group
    assert f.ip_pools == {"ap_pool", "sta_pool"}
    assert children(AC, "aaa", "domain default") == ["authentication-scheme radius", "radius-server default"]
    assert children(AC, "radius-server template default") == []


def test_ac6605_wlan_profiles_are_only_in_the_tree() -> None:
    assert facts(AC).vaps == frozenset() and facts(AC).ess == {}  # profile model not parsed (gap)
    assert "service-vlan vlan-id 70" in children(AC, "wlan", "vap-profile name office_vap")
    assert children(AC, "wlan", "ssid-profile name office_ssid") == ["ssid StarCore-WiFi"]
    for radio in ("radio 0", "radio 1"):
        assert children(AC, "wlan", "ap-group name default", radio) == ["vap-profile office_vap wlan 1"]
    assert children(AC, "capwap source ip-address 192.168.100.253") == []


# -- huangxuxiao/Medium-Sized-Enterprise-Network-Design: AR1.cfg --------------------------------
AR = "ar2220_ensp_ar1.cfg"


def test_ar2220_version_header_and_indented_globals() -> None:
    assert facts(AR).version == "V200R003C00"
    top = [c.text for c in tree(AR).children]
    assert top[0] == "sysname AR1"
    assert children(AR, "portal local-server load flash:/portalpage.zip") == []
    assert {"wlan ac-global carrier id other ac id 0", "set cpu-usage threshold 80 restore 75"} <= set(top)


def test_ar2220_acls_and_sub_interfaces() -> None:
    f = facts(AR)
    assert f.acls == {
        2000: {
            5: "permit source 192.168.10.0 0.0.0.255",
            10: "permit source 192.168.20.0 0.0.0.255",
            15: "permit source 192.168.30.0 0.0.0.255",
            20: "permit source 192.168.40.0 0.0.0.255",
            25: "permit source 192.168.70.0 0.0.0.255",
            30: "permit source 192.168.100.0 0.0.0.255",
        },
        3000: {5: "deny ip source 192.168.50.0 0.0.0.255", 10: "permit ip"},
    }
    rules = ["rule 5 deny ip source 192.168.50.0 0.0.0.255", "rule 10 permit ip"]
    assert children(AR, "acl number 3000") == rules  # shown as `acl number 3000  `
    names = {"GigabitEthernet0/0/1.82", "GigabitEthernet0/0/2.83", "NULL0"}
    names |= ports("GigabitEthernet0/0/", 0, 2) | ports("GigabitEthernet4/0/", 0, 3)
    assert both_interfaces(AR) == names
    assert f.interfaces["GigabitEthernet0/0/1.82"].user_vlans == frozenset()  # dot1q termination only
    assert "dot1q termination vid 82" in children(AR, "interface GigabitEthernet0/0/1.82")
    assert f.vlans == frozenset() and tree_vlans(AR) == set() and parsed_allowed(AR) == {}


def test_ar2220_aaa_without_radius() -> None:
    f = facts(AR)
    assert set(f.domains) == {"default", "default_admin"}
    assert f.authentication_schemes == {"default"} and f.accounting_schemes == {"default"}
    assert f.radius_groups == {} and f.web_auth_servers == {}


# -- iyifanx/iyifanx.github.io: vrpcfg.cfg ------------------------------------------------------
S3700 = "s3700_vrp5_iyifanx_vrpcfg.cfg"


def test_s3700_indented_vlan_batch() -> None:
    assert "\n#\n vlan batch 1 1000 to 1001\n#\n" in text(S3700)
    assert facts(S3700).vlans == {1, 1000, 1001}
    assert tree_vlans(S3700) == {1, 1000, 1001}


def test_s3700_trunk_and_interface_names() -> None:
    names = {"Vlanif1", "Vlanif1000", "Vlanif1001", "NULL0"} | ports("Ethernet0/0/", 1, 48)
    assert both_interfaces(S3700) == names | ports("GigabitEthernet0/0/", 1, 4)
    assert parsed_allowed(S3700) == {"Ethernet0/0/1": {1000}}
    assert tree_allowed(S3700, "Ethernet0/0/1") == {1000}
    assert parsed_link_types(S3700) == {"Ethernet0/0/1": "trunk"} == tree_link_types(S3700)
    assert "port default vlan 1001" in children(S3700, "interface Ethernet0/0/2")


def test_s3700_indented_global_after_a_section_is_top_level() -> None:
    route = "ip route-static 0.0.0.0 0.0.0.0 172.31.1.1"  # ` ip route-static` after `qos map-table dscp-dp`
    assert children(S3700, "qos map-table dscp-dp") == []
    assert children(S3700, route) == []
    top = [c.text for c in tree(S3700).children]
    assert len([x for x in top if x.startswith("voice-vlan mac-address ")]) == 7  # seven in one section


def test_s3700_aaa() -> None:
    f = facts(S3700)
    assert set(f.domains) == {"default"}
    assert f.authentication_schemes == {"default"} and f.accounting_schemes == {"default"}
    assert "domain default" in children(S3700, "aaa")


# -- ohihc5/ohihc5.github.io: vrpcfg.cfg @ 2bb7dfff ---------------------------------------------
S5732 = "s5732_v600_ohihc5_vrpcfg.cfg"


def test_s5732_version_and_vlan_batch_plus_vlan_block() -> None:
    f = facts(S5732)
    assert f.version == "V600R024C00SPC500"
    assert f.vlans == {2} and tree_vlans(S5732) == {2}
    assert children(S5732, "vlan 2") == ["description Data_Backup"]


def test_s5732_eth_trunk_without_vlan_1() -> None:
    trunk = facts(S5732).interfaces["Eth-Trunk0"]
    assert (trunk.link_type, trunk.allow_pass, trunk.description) == ("trunk", {2}, "To_edisdrcnsw01")
    assert parsed_allowed(S5732) == {"Eth-Trunk0": {2}}
    lines = children(S5732, "interface Eth-Trunk0")
    assert "undo port trunk allow-pass vlan 1" in lines
    assert vlan_set("undo port trunk allow-pass vlan 1".removeprefix(f"undo {ALLOW}")) == {1}
    assert tree_allowed(S5732, "Eth-Trunk0") == {2}  # the undo line is not an allowed VLAN


def test_s5732_multige_25ge_100ge_names_and_link_types() -> None:
    names = {"Vlanif2", "MEth0/0/0", "Eth-Trunk0", "NULL0"} | ports("MultiGE1/0/", 1, 48)
    assert both_interfaces(S5732) == names | ports("25GE1/0/", 1, 4) | ports("100GE1/0/", 1, 2)
    access = dict.fromkeys(ports("MultiGE1/0/", 1, 9), "access")
    assert parsed_link_types(S5732) == {"Eth-Trunk0": "trunk", **access} == tree_link_types(S5732)
    f = facts(S5732)
    assert f.interfaces["100GE1/0/2"].description == "**RMA Transceiver - INPAFA140449**"
    assert f.interfaces["MultiGE1/0/48"].description == "To_edisdrcnsw01_MultiGE1/0/48"
    assert "eth-trunk 0" in children(S5732, "interface 100GE1/0/1")


def test_s5732_banner_control_bytes_stay_in_one_line() -> None:
    top = [c.text for c in tree(S5732).children]
    banner = [x for x in top if x.startswith("header login information")]
    assert len(banner) == 1 and banner[0].count("\x1b\x19") == 7  # 14 control bytes, as stored
    after = top[top.index(banner[0]) + 1 :]
    assert after[:2] == ["user-interface maximum-vty 15", "user-interface con 0"]
    assert not [x for x in strings(facts(S5732)) if "\x1b" in x or "\x19" in x]


def test_s5732_aaa_and_default_wlan() -> None:
    f = facts(S5732)
    assert set(f.domains) == {"default", "default_admin"}
    for domain in f.domains.values():
        assert (domain.authentication_scheme, domain.accounting_scheme) == ("default", "default")
    assert f.authentication_schemes == {"default", "radius"} and f.accounting_schemes == {"default"}
    assert f.radius_groups == {} and f.ess == {} and f.vaps == frozenset()
    assert "ap-group name default" in children(S5732, "wlan")


# -- WheaterW/INTA-project: .../hw_NE40E_V800R012C10/.../Example_for_Configuring_HTTP_Redirect_..._Deployed.md
NE40E = "ne40e_vrpv8_inta_ipoe_webauth.cfg"


def test_ne40e_radius_group_key_present_as_cipher() -> None:
    assert facts(NE40E).radius_groups == {
        "rd2": RadiusGroup(
            name="rd2",
            auth_servers=(RadiusServer("192.168.2.2", 1812, 0), RadiusServer("192.168.2.3", 1812, 0)),
            acct_servers=(RadiusServer("192.168.2.2", 1813, 0), RadiusServer("192.168.2.3", 1813, 0)),
            key_form="cipher",
            class_as_car=False,
            user_name_domain_included=True,
        )
    }
    path = ("radius-server group rd2",)
    state = view_state(TABLE, node_at(tree(NE40E), path), path)
    assert state is not None and "radius-server shared-key <present>" in state
    assert "radius-server algorithm loading-share" in state  # shown with six trailing spaces
    assert not [x for x in state for c in ciphers(NE40E) if c in x]


def test_ne40e_domains_schemes_and_portal() -> None:
    f = facts(NE40E)
    isp1 = Domain(
        name="isp1",
        authentication_scheme="auth2",
        accounting_scheme="acct2",
        radius_group="rd2",
        ip_pool=None,
        user_group=None,
        web_server=None,
        web_url=None,
        url_parameter=False,
        web_mode=None,
        redirect_keys={},
    )
    assert f.domains["isp1"] == isp1
    assert f.domains["web_before"] == dataclasses.replace(
        isp1,
        name="web_before",
        authentication_scheme="none",
        accounting_scheme="none",
        radius_group=None,
        ip_pool="huawei",
        user_group="huawei",
        web_server="192.168.2.4",  # not the `web-server 192.168.2.5 slave` line
        web_url="http://192.168.2.4/portal.html",  # shown with two trailing spaces
    )
    assert set(f.domains) == {"isp1", "web_before"}
    assert f.authentication_schemes == {"none", "auth2"} and f.accounting_schemes == {"acct2"}
    assert f.user_groups == {"huawei"} and f.ip_pools == {"huawei"}
    assert f.web_auth_servers == {"192.168.2.4": 50100, "192.168.2.5": 50100}
    # the tree keeps the `slave` lines that the typed facts do not model
    lines = children(NE40E, "aaa", "domain web_before")
    assert "web-server 192.168.2.5 slave" in lines
    assert "web-server url http://192.168.2.5/portal.html slave" in lines
    assert children(NE40E, "aaa", "domain isp1") == [
        "authentication-scheme auth2",
        "accounting-scheme acct2",
        "radius-server group rd2",
    ]


def test_ne40e_user_acls() -> None:
    assert facts(NE40E).acls == {
        6000: {
            5: "permit ip source user-group huawei destination ip-address 192.168.2.4 0",
            10: "permit ip source user-group huawei destination ip-address 192.168.2.5 0",
            15: "permit ip source user-group huawei destination ip-address 192.168.2.254 0",
        },
        6001: {5: "permit tcp source user-group huawei destination-port eq www"},
        6002: {5: "permit ip source user-group huawei"},
    }


def test_ne40e_user_vlan_and_bas_block() -> None:
    f = facts(NE40E)
    assert both_interfaces(NE40E) == {
        "GigabitEthernet0/1/1",
        "GigabitEthernet0/1/2",
        "GigabitEthernet0/1/2.1",
        "LoopBack0",
    }
    sub = f.interfaces["GigabitEthernet0/1/2.1"]
    assert sub.user_vlans == {1}
    assert sub.bas == Bas(
        access_type="layer2-subscriber default-domain pre-authentication web_before authentication isp1",
        pre_auth_domain="web_before",
        auth_domain="isp1",
        roam_domain=None,
        auth_methods=("web",),
    )
    path = ("interface GigabitEthernet0/1/2.1",)
    assert children(NE40E, *path) == ["user-vlan 1", "bas"]  # ` #` inside the block is layout
    assert children(NE40E, *path, "bas") == [
        "access-type layer2-subscriber default-domain pre-authentication web_before authentication isp1",
        "authentication-method web",
    ]
    assert f.vlans == frozenset() and tree_vlans(NE40E) == set()


# -- WheaterW/INTA-project: .../hw_CE6800_V300R023C00/.../Example_for_Configuring_MSTP+VRRP_Networking.md
CE = "ce6800_v300r023_inta_mstp_vrrp_devicea.cfg"


def test_ce6800_vlans_and_100ge_trunks() -> None:
    assert facts(CE).vlans == tree_vlans(CE) == {2, 3, 4}  # vlan batch 2 to 4
    trunks = {"100GE1/0/1": {2, 3}, "100GE1/0/2": {2, 3}, "100GE1/0/3": {4}}
    assert parsed_allowed(CE) == trunks
    assert {n: tree_allowed(CE, n) for n in trunks} == trunks
    assert parsed_link_types(CE) == dict.fromkeys(trunks, "trunk") == tree_link_types(CE)
    assert both_interfaces(CE) == {"Vlanif2", "Vlanif3", "Vlanif4"} | set(trunks)


def test_ce6800_other_sections() -> None:
    f = facts(CE)
    assert f.domains == {} and f.radius_groups == {} and f.version is None
    region = ["region-name RG1", "instance 1 vlan 2", "instance 2 vlan 3"]
    assert children(CE, "stp region-configuration") == region
    assert children(CE, "stp bpdu-protection") == []  # trailing space dropped
