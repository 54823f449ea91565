"""TTP parsers, typed facts and verify: golden tests on real and VRP-format device output.

Real output: tests/fixtures/real/ (networktocode/ntc-templates samples, see its README), checked
against ntc-templates' own expected parse. Configuration texts: tests/fixtures/vrp_format/, in the
display format of huawei-vrp-cli.md section 2 (no citable real sample exists, see the README).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from ssid_rollout import parse
from ssid_rollout.model import SHARED, Device, Fact, Role, SiteAttachment, Vap
from ssid_rollout.parse import (
    CONFIG_TEMPLATE,
    Bas,
    ConfigFacts,
    Domain,
    Ess,
    Interface,
    RadiusGroup,
    RadiusServer,
    VapBinding,
    Version,
    VlanMapping,
    config_facts,
    parse_config,
    parse_version,
    relevant_text,
    run_template,
)
from ssid_rollout.platforms import platform_for
from ssid_rollout.spec import ServiceSpec, load_spec
from ssid_rollout.values import vlan_set
from ssid_rollout.verify import verify_device

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT / "tests" / "fixtures" / "real"
VRP = ROOT / "tests" / "fixtures" / "vrp_format"
V8_KEY_CIPHER = "%^%#FakeCipher0ForTests0fake-radius-key-1%^%#"


@pytest.fixture(autouse=True)
def _ttp_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """TTP's function cache goes to a temporary folder, never beside the installed package."""
    monkeypatch.setenv("TTPCACHEFOLDER", str(tmp_path_factory.getbasetemp() / "ttp-cache"))


@cache
def config_text(name: str) -> str:
    return (VRP / f"{name}.cfg").read_text(encoding="utf-8")


@cache
def facts_of(name: str) -> ConfigFacts:
    return parse_config(config_text(name))


@cache
def spec() -> ServiceSpec:
    return load_spec(ROOT / "playbooks" / "chinaunicom-free.yaml")


def device(role: Role, sites: dict[str, SiteAttachment], platform: str = "huawei") -> Device:
    return Device(
        name=f"{role}-1",
        role=role,
        platform=platform,
        model="test",
        department="ops",
        hostname="127.0.0.1",
        port=22,
        sites=sites,
    )


def ntc_expected(raw: Path) -> list[dict[str, Any]]:
    return yaml.safe_load(raw.with_suffix(".yml").read_text(encoding="utf-8"))["parsed_sample"]


# --- locating templates and TTP's cache ------------------------------------------------------------


def test_templates_come_from_the_checkout_when_not_installed() -> None:
    folder = parse.templates_dir()
    assert Path(str(folder)) == ROOT / "parsers"
    for command in ("display_current_configuration", "display_version"):
        assert (folder / f"huawei_vrp_{command}.ttp").is_file()


def test_templates_come_from_the_package_when_installed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "parsers").mkdir()
    monkeypatch.setattr(parse.resources, "files", lambda package: tmp_path)
    assert Path(str(parse.templates_dir())) == tmp_path / "parsers"


def test_ttp_cache_goes_to_the_user_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TTPCACHEFOLDER", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.setattr(parse, "_PARSERS", {})  # build the parser afresh
    run_template(CONFIG_TEMPLATE, "vlan batch 806\n#\n")
    folder = tmp_path / "ssid_rollout" / "ttp"
    assert parse.os.environ["TTPCACHEFOLDER"] == str(folder)
    assert (folder / "ttp_dict_cache.pickle").is_file()


def test_importing_parse_does_not_import_ttp() -> None:
    code = "import sys, ssid_rollout.parse, ssid_rollout.verify; print('ttp' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


# --- real output: display version, display vlan, display port vlan -----------------------------------


@pytest.mark.parametrize("raw", sorted((REAL / "ntc_display_version").glob("*.raw")), ids=lambda p: p.stem)
def test_display_version_matches_ntc(raw: Path) -> None:
    (expected,) = ntc_expected(raw)
    version = parse_version(raw.read_text(encoding="utf-8"))
    assert version == Version(
        vrp=str(expected["vrp_version"]),
        model=str(expected["model"]),
        product=str(expected["product_version"]),
    )
    assert platform_for("huawei_vrpv8" if version.vrp.startswith("8.") else "huawei").runs(version)


def test_display_version_of_vrpv8_and_vrp5() -> None:
    ne40e = parse_version((REAL / "ntc_display_version" / "huawei_vrp_display_version.raw").read_text())
    s7700 = parse_version((REAL / "ntc_display_version" / "huawei_vrp_display_version5.raw").read_text())
    assert (ne40e.vrp, ne40e.model) == ("8.180", "NE40E-X2-M8A")
    assert (s7700.vrp, s7700.model) == ("5.170", "S7706 Terabit Routing Switch")
    vrp5, vrpv8 = platform_for("huawei"), platform_for("huawei_vrpv8")
    assert vrpv8.runs(ne40e) and not vrp5.runs(ne40e) and vrp5.runs(s7700) and not vrpv8.runs(s7700)


def test_display_version_refuses_other_output() -> None:
    with pytest.raises(ValueError, match="VRP"):
        parse_version("Error: Unrecognized command found at '^' position.\n")


# --- VLAN lists --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "vlans"),
    [
        ("806", {806}),
        ("2 4 10 to 13 806", {2, 4, 10, 11, 12, 13, 806}),
        ("250-255 300-301 999", {250, 251, 252, 253, 254, 255, 300, 301, 999}),
        ("-", set()),
        ("", set()),
    ],
)
def test_vlan_lists_expand(text: str, vlans: set[int]) -> None:
    assert vlan_set(text) == vlans


def test_vlan_all_is_every_vlan() -> None:
    assert vlan_set("all") == frozenset(range(1, 4095))


# --- display current-configuration: golden facts ------------------------------------------------------

KD = Domain(
    name="kd",
    authentication_scheme="default0",
    accounting_scheme="default0",
    radius_group=None,
    ip_pool="wlan_2",
    user_group="wlan",
    web_server="103.224.234.164",
    web_url="http://103.224.234.164:8080/PortalUrlFromAC",
    url_parameter=True,
    web_mode="get",
    redirect_keys={"mscg-ip": "wlanacip", "user-ip-address": "wlanuserip"},
)
KD_AUTH = Domain("kd-auth", "radius", "radius", "kd-auth", None, None, None, None, False, None, {})
KD_AUTH_GROUP = RadiusGroup(
    name="kd-auth",
    auth_servers=(RadiusServer("103.224.234.164", 1812, 0),),
    acct_servers=(RadiusServer("103.224.234.164", 1813, 0),),
    key_form="cipher",
    class_as_car=True,
    user_name_domain_included=False,
)
SERVICE_BAS = Bas(
    access_type="layer2-subscriber default-domain pre-authentication kd authentication kd-auth",
    pre_auth_domain="kd",
    auth_domain="kd-auth",
    roam_domain="kd-auth",
    auth_methods=("web",),
)
SERVICE_SUBIF = Interface("Eth-Trunk5.807", None, frozenset(), "kd-auth", frozenset({806}), SERVICE_BAS)
RULE_70 = "permit ip source user-group wlan destination ip-address 103.224.234.164 0"


@pytest.mark.parametrize("name", ["bras_vrpv8", "bras_vrp5"])
def test_bras_service_objects(name: str) -> None:
    facts = facts_of(name)
    assert facts.web_auth_servers["103.224.234.164"] == 2000
    assert facts.radius_groups["kd-auth"] == KD_AUTH_GROUP
    assert facts.domains["kd"] == KD
    assert facts.domains["kd-auth"] == KD_AUTH
    assert facts.acls[6001][70] == RULE_70
    assert facts.interfaces["Eth-Trunk5.807"] == SERVICE_SUBIF
    assert {"wlan"} <= facts.user_groups
    assert {"wlan_2"} <= facts.ip_pools
    assert facts.authentication_schemes >= {"default0", "radius"}
    assert facts.accounting_schemes >= {"default0", "radius"}


def test_vrpv8_bras_other_objects() -> None:
    facts = facts_of("bras_vrpv8")
    assert facts.version == "V800R012C10SPC300"
    assert facts.web_auth_servers == {"10.9.9.9": 50100, "103.224.234.164": 2000}
    assert facts.radius_groups["staff-radius"] == RadiusGroup(
        name="staff-radius",
        auth_servers=(RadiusServer("10.20.30.40", 1812, 10), RadiusServer("10.20.30.41", 1812, 0)),
        acct_servers=(RadiusServer("10.20.30.40", 1813, 0),),
        key_form="cipher",
        class_as_car=False,
        user_name_domain_included=True,
    )
    assert set(facts.domains) == {"default0", "default1", "default_admin", "kd", "kd-auth", "staff"}
    assert facts.domains["staff"].radius_group == "staff-radius"
    assert facts.authentication_schemes == {"default0", "default1", "radius"}
    assert facts.acls == {
        6001: {
            10: "permit ip source user-group staff destination ip-address 10.0.0.0 0.255.255.255",
            70: RULE_70,
        },
        3001: {5: "permit ip source 10.0.0.0 0.0.0.255"},
    }
    assert facts.interfaces["Eth-Trunk5.900"] == Interface(
        "Eth-Trunk5.900",
        None,
        frozenset(),
        "staff-users",
        frozenset(range(900, 911)),
        Bas(
            "layer2-subscriber default-domain authentication force staff", None, "staff", None, ("ppp", "web")
        ),
    )
    assert facts.interfaces["GigabitEthernet0/3/6"].bas is None
    assert facts.user_groups == {"staff", "wlan"}
    assert facts.ip_pools == {"staff_pool", "wlan_2"}
    assert facts.vlans == frozenset() and facts.ess == {} and facts.vaps == frozenset()


def test_vrp5_bras_trailing_spaces_and_second_site() -> None:
    facts = facts_of("bras_vrp5")
    assert facts.version == "V600R008C10SPC300"
    assert facts.interfaces["Eth-Trunk6.808"] == replace(SERVICE_SUBIF, name="Eth-Trunk6.808")
    assert facts.acls == {6001: {70: RULE_70}}


def test_switch_vlans_and_trunks() -> None:
    facts = facts_of("switch_vrp5")
    assert facts.vlans == frozenset({10, 20, 30, 200, 300, 400, 500, 600, 700, 806}) | set(
        range(100, 111)
    ) | set(range(900, 911))
    ports = facts.interfaces
    assert ports["GigabitEthernet0/0/1"] == Interface(
        "GigabitEthernet0/0/1", "trunk", frozenset({10, 20, 806}), "to-AP-room-1", frozenset(), None
    )
    assert ports["GigabitEthernet0/0/2"].allow_pass == frozenset(range(2, 4095))
    assert ports["GigabitEthernet0/0/3"].allow_pass == frozenset(range(10, 101, 10)) | {806}
    assert (
        ports["GigabitEthernet0/0/4"].link_type == "access" and not ports["GigabitEthernet0/0/4"].allow_pass
    )
    assert ports["GigabitEthernet0/0/5"].allow_pass == frozenset({10, 20})
    assert facts.radius_groups == {}  # a `radius-server template` is not a BRAS group


def test_ac_ess_mappings_and_vaps() -> None:
    facts = facts_of("ac_vrp5")
    assert facts.vlans == frozenset({100, 200, 806})
    assert facts.ess == {
        10: Ess("STAFF", "staff-wifi", "default", "wpa2", 64),
        52: Ess("HXGHG", "chinaunicom-free", "gx", "GX", 128),
    }
    assert facts.vlan_mappings == {
        10: VlanMapping("region", {7: 100}),
        52: VlanMapping("region", {7: 806, 9: 806}),
    }
    assert facts.vaps == {
        VapBinding(21, 0, 52, 2),
        VapBinding(21, 1, 10, 1),
        VapBinding(22, 0, 52, 2),
        VapBinding(30, 0, 52, 2),
    }


def test_ac_lines_in_the_wlan_view_are_read_too() -> None:
    text = (
        "#\nwlan\n ess name HXGHG id 52 ssid chinaunicom-free traffic-profile gx security-profile GX"
        " max-user-number 128\n vlan-mapping ess id 52 mode region\n"
        " vlan-mapping ess id 52 type tag region 7 vlan 806\n vap ap 21 radio 0 ess id 52 wlan 2\n#\nreturn\n"
    )
    facts = parse_config(text)
    assert facts.ess[52].ssid == "chinaunicom-free"
    assert facts.vlan_mappings == {52: VlanMapping("region", {7: 806})}
    assert facts.vaps == {VapBinding(21, 0, 52, 2)}


@pytest.mark.parametrize(
    ("line", "form"),
    [
        (" radius-server shared-key %^%#Fake0Cipher%^%#", "cipher"),
        (" radius-server shared-key cipher %^%#Fake0Cipher%^%#", "cipher"),
        (" radius-server shared-key-cipher %@%@Fake0Cipher%@%@", "cipher"),
        (" radius-server shared-key fake-radius-key-1", "plain"),
    ],
)
def test_radius_key_is_reduced_to_its_form(line: str, form: str) -> None:
    facts = parse_config(f"radius-server group g\n{line}\n#\n")
    assert facts.radius_groups["g"].key_form == form
    assert facts.radius_groups["g"].key_present
    assert line.split()[-1] not in repr(facts)


def test_missing_key_and_default_user_name_format() -> None:
    group = parse_config(
        "radius-server group g\n radius-server authentication 10.0.0.1 1812\n#\n"
    ).radius_groups["g"]
    assert (group.key_present, group.class_as_car, group.user_name_domain_included) == (False, False, True)
    assert group.auth_servers == (RadiusServer("10.0.0.1", 1812, 0),)


def test_acl_without_number_keyword_and_domain_url_binding() -> None:
    text = (
        "acl 6001\n rule 70 permit ip source user-group wlan destination ip-address 10.1.1.1 0\n#\n"
        "aaa\n domain kd\n  web-server url http://10.1.1.1/p bind web-auth-server 10.1.1.1\n"
        "  web-server url-parameter shared-key cipher %^%#Fake%^%#\n#\n"
    )
    facts = parse_config(text)
    assert facts.acls == {6001: {70: "permit ip source user-group wlan destination ip-address 10.1.1.1 0"}}
    assert (facts.domains["kd"].web_url, facts.domains["kd"].url_parameter) == ("http://10.1.1.1/p", True)


def test_blocks_of_other_sections_do_not_leak_into_interfaces() -> None:
    text = (
        "interface Eth-Trunk1\n#\nvlan 10\n description users\n#\nuser-interface vty 0 4\n description x\n#\n"
    )
    facts = parse_config(text)
    assert facts.interfaces["Eth-Trunk1"].description is None
    assert facts.vlans == {10}


@pytest.mark.parametrize("name", ["bras_vrpv8", "bras_vrp5", "switch_vrp5", "ac_vrp5"])
def test_sections_give_the_same_facts_as_the_whole_text(name: str) -> None:
    text = config_text(name)
    assert config_facts(run_template(CONFIG_TEMPLATE, text)) == facts_of(name)


def test_relevant_text_keeps_separators_and_drops_unread_sections() -> None:
    text = "!Software Version V1\n#\n sysname R1\n#\nospf 1\n area 0.0.0.0\n#\nvlan batch 806\n#\nreturn\n"
    assert relevant_text(text) == "!Software Version V1\n#\nvlan batch 806\n#\n"


def test_crlf_output_parses_like_lf() -> None:
    assert parse_config(config_text("bras_vrpv8").replace("\n", "\r\n")) == facts_of("bras_vrpv8")


# --- verify ----------------------------------------------------------------------------------------

SWITCH = device(
    "switch",
    {
        "SITE-A": SiteAttachment(
            "SITE-A", trunk_ports=("GigabitEthernet0/0/1", "GigabitEthernet0/0/2", "GigabitEthernet0/0/3")
        )
    },
)
BRAS_V8 = device(
    "bras",
    {"SITE-A": SiteAttachment("SITE-A", subinterface="Eth-Trunk5.807")},
    platform="huawei_vrpv8",
)
BRAS_V5 = device(
    "bras",
    {
        "SITE-A": SiteAttachment("SITE-A", subinterface="Eth-Trunk5.807"),
        "SITE-B": SiteAttachment("SITE-B", subinterface="Eth-Trunk6.808"),
    },
)
AC = device(
    "ac",
    {
        "SITE-A": SiteAttachment("SITE-A", region=7, vaps=(Vap(21, 0, 2),)),
        "SITE-B": SiteAttachment("SITE-B", region=9, vaps=(Vap(22, 0, 2), Vap(30, 0, 2))),
    },
)
CONFIGURED = [
    (SWITCH, "switch_vrp5", 4),
    (BRAS_V8, "bras_vrpv8", 31),
    (BRAS_V5, "bras_vrp5", 39),
    (AC, "ac_vrp5", 13),
]


@pytest.mark.parametrize(("dev", "name", "count"), CONFIGURED, ids=[c[1] for c in CONFIGURED])
def test_every_fact_holds_on_a_configured_device(dev: Device, name: str, count: int) -> None:
    facts = verify_device(dev, spec(), facts_of(name))
    assert [f for f in facts if not f.ok] == []
    assert len(facts) == count
    assert len({(f.name, f.owner) for f in facts}) == count
    assert {f.host for f in facts} == {dev.name}


def test_shared_and_site_owners() -> None:
    facts = verify_device(BRAS_V5, spec(), facts_of("bras_vrp5"))
    owners = {f.name: f.owner for f in facts}
    assert owners["radius-server group kd-auth shared-key"] == SHARED
    assert owners["domain kd web-server url"] == SHARED
    assert owners["acl 6001 rule 70"] == SHARED
    assert owners["interface Eth-Trunk5.807 user-vlan"] == "SITE-A"
    assert owners["interface Eth-Trunk6.808 bas roam-domain"] == "SITE-B"
    switch = device(
        "switch", {s: SiteAttachment(s, trunk_ports=("GigabitEthernet0/0/1",)) for s in ("A", "B")}
    )
    assert {(f.name, f.owner) for f in verify_device(switch, spec(), facts_of("switch_vrp5"))} == {
        ("vlan 806 exists", "A"),
        ("vlan 806 exists", "B"),
        ("trunk GigabitEthernet0/0/1 allows 806", "A"),
        ("trunk GigabitEthernet0/0/1 allows 806", "B"),
    }
    ac_owners = {f.name: f.owner for f in verify_device(AC, spec(), facts_of("ac_vrp5"))}
    assert ac_owners["ess 52 ssid"] == ac_owners["vlan-mapping ess 52 mode"] == SHARED
    assert ac_owners["vap ap 30 radio 0 wlan 2"] == "SITE-B"


def test_sites_limit_site_facts_but_keep_shared_ones() -> None:
    facts = verify_device(BRAS_V5, spec(), facts_of("bras_vrp5"), sites=["SITE-B"])
    assert {f.owner for f in facts} == {SHARED, "SITE-B"}
    assert any(f.name == "interface Eth-Trunk6.808 user-vlan" for f in facts)
    assert len([f for f in facts if f.owner == SHARED]) == 23


REMOVED = [
    (
        SWITCH,
        "switch_vrp5",
        "vlan batch 700 806 900 to 910",
        Fact("switch-1", "vlan 806 exists", "present", "absent", "SITE-A"),
    ),
    (
        SWITCH,
        "switch_vrp5",
        " port trunk allow-pass vlan 806",
        Fact("switch-1", "trunk GigabitEthernet0/0/3 allows 806", "allowed", "not allowed", "SITE-A"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        "web-auth-server 103.224.234.164 port 2000",
        Fact("bras-1", "web-auth-server 103.224.234.164", "port 2000", "absent"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        f" radius-server shared-key {V8_KEY_CIPHER}",
        Fact("bras-1", "radius-server group kd-auth shared-key", "configured (cipher)", "missing"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        " radius-server class-as-car",
        Fact("bras-1", "radius-server group kd-auth class-as-car", "on", "off"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        " undo radius-server user-name domain-included",
        Fact("bras-1", "radius-server group kd-auth user-name domain-included", "off", "on"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        "  web-server url-parameter",
        Fact("bras-1", "domain kd web-server url-parameter", "on", "off"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        "  web-server redirect-key user-ip-address wlanuserip",
        Fact("bras-1", "domain kd web-server redirect-key user-ip-address", "wlanuserip", "absent"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        "  radius-server group kd-auth",
        Fact("bras-1", "domain kd-auth radius-server group", "kd-auth", "absent"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        f" rule 70 {RULE_70}",
        Fact("bras-1", "acl 6001 rule 70", RULE_70, "absent"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        " user-vlan 806",
        Fact("bras-1", "interface Eth-Trunk5.807 user-vlan", "806", "absent", "SITE-A"),
    ),
    (
        BRAS_V8,
        "bras_vrpv8",
        "  roam-domain kd-auth",
        Fact("bras-1", "interface Eth-Trunk5.807 bas roam-domain", "kd-auth", "absent", "SITE-A"),
    ),
    (
        BRAS_V5,
        "bras_vrp5",
        " description kd-auth ",
        Fact("bras-1", "interface Eth-Trunk5.807 description", "kd-auth", "absent", "SITE-A"),
    ),
    (
        AC,
        "ac_vrp5",
        "vlan-mapping ess id 52 mode region",
        Fact("ac-1", "vlan-mapping ess 52 mode", "region", "absent"),
    ),
    (
        AC,
        "ac_vrp5",
        "vlan-mapping ess id 52 type tag region 9 vlan 806",
        Fact("ac-1", "vlan-mapping ess 52 region 9", "806", "absent", "SITE-B"),
    ),
    (
        AC,
        "ac_vrp5",
        "vap ap 30 radio 0 ess id 52 wlan 2",
        Fact("ac-1", "vap ap 30 radio 0 wlan 2", "ess 52", "absent", "SITE-B"),
    ),
]


@pytest.mark.parametrize(("dev", "name", "line", "failing"), REMOVED, ids=[r[3].name for r in REMOVED])
def test_a_removed_line_fails_its_named_fact(dev: Device, name: str, line: str, failing: Fact) -> None:
    text = config_text(name)
    assert text.count(line + "\n") == 1
    facts = verify_device(dev, spec(), parse_config(text.replace(line + "\n", "", 1)))
    assert [f for f in facts if not f.ok] == [failing]


def test_a_changed_value_shows_both_values() -> None:
    text = config_text("ac_vrp5").replace("max-user-number 128", "max-user-number 64")
    facts = verify_device(AC, spec(), parse_config(text))
    assert [f for f in facts if not f.ok] == [Fact("ac-1", "ess 52 max-user-number", "128", "64")]


def test_a_missing_domain_names_every_setting_it_lacks() -> None:
    text = config_text("bras_vrp5")
    start = text.index(" domain kd-auth\n")
    facts = verify_device(BRAS_V5, spec(), parse_config(text[:start] + text[text.index("#\nacl number") :]))
    failing = {f.name: f.found for f in facts if not f.ok}
    assert failing == {
        "domain kd-auth": "absent",
        "domain kd-auth authentication-scheme": "absent",
        "domain kd-auth accounting-scheme": "absent",
        "domain kd-auth radius-server group": "absent",
    }


def test_verify_uses_the_overrides_the_caller_applied() -> None:
    overridden = spec().for_device({"acl": {"number": 6002}, "ess": {"max_users": 64}})
    bras = {f.name: f for f in verify_device(BRAS_V5, overridden, facts_of("bras_vrp5"))}
    assert (bras["acl 6002 rule 70"].expected, bras["acl 6002 rule 70"].found) == (RULE_70, "absent")
    ac = {f.name: f for f in verify_device(AC, overridden, facts_of("ac_vrp5"))}
    assert (ac["ess 52 max-user-number"].expected, ac["ess 52 max-user-number"].found) == ("64", "128")


def test_a_site_with_the_wrong_sub_interface_settings() -> None:
    bras = device("bras", {"STAFF": SiteAttachment("STAFF", subinterface="Eth-Trunk5.900")})
    failing = {
        f.name: (f.expected, f.found) for f in verify_device(bras, spec(), facts_of("bras_vrpv8")) if not f.ok
    }
    assert failing == {
        "interface Eth-Trunk5.900 description": ("kd-auth", "staff-users"),
        "interface Eth-Trunk5.900 user-vlan": ("806", "900-910"),
        "interface Eth-Trunk5.900 bas pre-authentication domain": ("kd", "absent"),
        "interface Eth-Trunk5.900 bas authentication domain": ("kd-auth", "staff"),
        "interface Eth-Trunk5.900 bas roam-domain": ("kd-auth", "absent"),
        "interface Eth-Trunk5.900 bas authentication-method": ("web", "ppp web"),
    }


def test_a_missing_trunk_port_and_a_vap_on_another_ess() -> None:
    switch = device("switch", {"S": SiteAttachment("S", trunk_ports=("GigabitEthernet0/0/9",))})
    (_, port) = verify_device(switch, spec(), facts_of("switch_vrp5"))
    assert (port.name, port.found) == ("trunk GigabitEthernet0/0/9 allows 806", "interface absent")
    ac = device("ac", {"S": SiteAttachment("S", region=7, vaps=(Vap(21, 1, 1),))})
    failing = [f for f in verify_device(ac, spec(), facts_of("ac_vrp5")) if not f.ok]
    assert failing == [Fact("ac-1", "vap ap 21 radio 1 wlan 1", "ess 52", "ess 10", "S")]


def test_no_fact_carries_key_text() -> None:
    facts = verify_device(BRAS_V8, spec(), facts_of("bras_vrpv8"))
    assert all("%^%#" not in f"{f.expected}{f.found}" for f in facts)
    assert V8_KEY_CIPHER not in repr(facts_of("bras_vrpv8"))
