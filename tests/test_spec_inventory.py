"""Playbook, inventory, credentials and masking: bad input is refused before any device is touched.

Every refusal is one line naming the file and the field, so an operator can fix it without
reading a traceback. Secrets here are obviously fake.
"""

from __future__ import annotations

import io
import json
import logging
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ssid_rollout import inventory as inv
from ssid_rollout import selection
from ssid_rollout.errors import InputError
from ssid_rollout.inventory_files import CREDENTIAL_KEYS
from ssid_rollout.secrets import (
    MASK,
    Credentials,
    Masker,
    MaskingFilter,
    radius_key_variable,
    resolve_credentials,
    resolve_radius_keys,
)
from ssid_rollout.spec import ServiceSpec, load_spec, ssid_text

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[1]
PLAYBOOK = ROOT / "playbooks" / "chinaunicom-free.yaml"
INVENTORY = ROOT / "inventory"
FILES = ("hosts.yaml", "groups.yaml", "defaults.yaml")


@pytest.fixture(scope="module")
def spec() -> ServiceSpec:
    return load_spec(PLAYBOOK)


def playbook() -> dict[str, Any]:
    return yaml.safe_load(PLAYBOOK.read_text(encoding="utf-8"))


def example() -> dict[str, dict[str, Any]]:
    """The example inventory as plain data, to be broken one field at a time."""
    return {name: yaml.safe_load((INVENTORY / name).read_text(encoding="utf-8")) or {} for name in FILES}


def write_inventory(folder: Path, files: dict[str, dict[str, Any]]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, body in files.items():
        (folder / name).write_text(
            yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8"
        )
    return folder


def set_path(data: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split("/")
    for part in parents:
        data = data.setdefault(part, {})
    data[leaf] = value


def delete_path(data: dict[str, Any], dotted: str) -> None:
    *parents, leaf = dotted.split("/")
    for part in parents:
        data = data[part]
    del data[leaf]


def assert_one_line(exc: InputError, where: str, *words: str) -> None:
    text = str(exc)
    assert "\n" not in text and "\r" not in text, text
    assert exc.where == where, text
    for word in words:
        assert word in exc.message, text


# --- playbook -----------------------------------------------------------------------------


def test_reference_playbook_loads_with_every_attribute(spec: ServiceSpec) -> None:
    assert (spec.service, spec.ssid, spec.vlan) == ("chinaunicom-free", "chinaunicom-free", 806)
    assert spec.portal.server == "103.224.234.164" and spec.portal.port == 2000
    assert spec.portal.url == "http://103.224.234.164:8080/PortalUrlFromAC"
    assert spec.portal.mode == "get" and spec.portal.url_parameter is True
    assert list(spec.portal.redirect_keys.items()) == [
        ("mscg-ip", "wlanacip"),
        ("user-ip-address", "wlanuserip"),
    ]
    assert (spec.radius.group, spec.radius.auth_port, spec.radius.acct_port) == ("kd-auth", 1812, 1813)
    assert spec.radius.class_as_car is True and spec.radius.user_name_domain_included is False
    assert spec.domains.pre_auth.name == "kd" and spec.domains.auth.accounting_scheme == "radius"
    assert (spec.ip_pool, spec.user_group, spec.acl.number, spec.acl.rule) == ("wlan_2", "wlan", 6001, 70)
    assert spec.bras.subinterface_description == "kd-auth"
    assert (spec.ess.name, spec.ess.id, spec.ess.traffic_profile, spec.ess.security_profile) == (
        "HXGHG",
        52,
        "gx",
        "GX",
    )
    assert spec.ess.max_users == 128
    assert "acl.number" in spec.overridable and "vlan" not in spec.overridable


BAD_PLAYBOOK_VALUES = [
    ("vlan", 0, "vlan", "greater than"),
    ("vlan", 4095, "vlan", "less than"),
    ("vlan", "806", "vlan", "integer"),
    ("vlan", True, "vlan", "integer"),
    ("ssid", "", "ssid", "empty"),
    ("ssid", "x" * 33, "ssid", "32 bytes"),
    ("ssid", "联通免费无线网络热点中心", "ssid", "32 bytes"),  # 12 characters, 36 bytes
    ("ssid", "free\nwifi", "ssid", "control"),
    ("ssid", "free\rwifi", "ssid", "control"),
    ("ssid", "free\twifi", "ssid", "control"),
    ("ssid", "free\x07wifi", "ssid", "control"),
    ("ssid", "free?", "ssid", "help key"),
    ("ssid", "free wifi", "ssid", "space"),
    ("ssid", " free", "ssid", "space"),
    ("ssid", 'free"wifi', "ssid", "delimiter"),
    ("ssid", "free\u200bwifi", "ssid", "invisible"),
    ("ess/name", "HX\nGHG", "ess.name", "1-32"),
    ("user_group", "wlan?", "user_group", "1-32"),
    ("ip_pool", "x" * 33, "ip_pool", "1-32"),
    ("bras/subinterface_description", "kd-auth\r\nreturn", "bras.subinterface_description", "control"),
    ("bras/subinterface_description", "kd-auth ", "bras.subinterface_description", "space"),
    ("bras/subinterface_description", "what?", "bras.subinterface_description", "help key"),
    ("portal/server", "103.224.234", "portal.server", "IPv4"),
    ("portal/server", "256.1.1.1", "portal.server", "IPv4"),
    ("portal/server", "0.0.0.0", "portal.server", "unicast"),
    ("portal/server", "224.0.0.1", "portal.server", "unicast"),
    ("radius/server", "radius.example.net", "radius.server", "IPv4"),
    ("portal/port", 0, "portal.port", "greater than"),
    ("portal/port", 65536, "portal.port", "less than"),
    ("radius/auth_port", 70000, "radius.auth_port", "less than"),
    ("radius/acct_port", "1813", "radius.acct_port", "integer"),
    ("portal/url", "ftp://103.224.234.164/portal", "portal.url", "http"),
    ("portal/url", "javascript:alert(1)", "portal.url", "http"),
    ("portal/url", "http://103.224.234.164/portal?x=1", "portal.url", "help key"),
    ("portal/url", "http://103.224.234.164/a b", "portal.url", "space"),
    ("portal/url", "http://103.224.234.164/a'b", "portal.url", "quotes"),
    ("portal/url", "http:///PortalUrlFromAC", "portal.url", "host"),
    ("portal/url", "http://x/" + "a" * 200, "portal.url", "200 bytes"),
    ("portal/mode", "put", "portal.mode", "'get' or 'post'"),
    ("portal/redirect_keys/user-ip", "wlanuserip", "portal.redirect_keys.user-ip", "mscg-ip"),
    ("portal/redirect_keys/ssid", "wlanacip", "portal.redirect_keys", "same URL parameter"),
    ("ess/id", 0, "ess.id", "greater than"),
    ("ess/id", 5000, "ess.id", "less than"),
    ("ess/max_users", 0, "ess.max_users", "greater than"),
    ("acl/number", 3001, "acl.number", "greater than"),
    ("domains/auth/name", "kd", "domains.auth", "differ"),
    ("overridable", ["acl.numbr"], "overridable", "acl.numbr"),
    ("overridable", ["vlan", "vlan"], "overridable", "twice"),
    ("vlna", 806, "vlna", "unknown key"),
    ("portal/sever", "103.224.234.164", "portal.sever", "unknown key"),
    ("ess/idd", 52, "ess.idd", "unknown key"),
]


@pytest.mark.parametrize(("path", "value", "field", "word"), BAD_PLAYBOOK_VALUES)
def test_bad_playbook_value_is_refused_naming_file_and_field(
    tmp_path: Path, path: str, value: Any, field: str, word: str
) -> None:
    data = playbook()
    set_path(data, path, value)
    target = tmp_path / "playbook.yaml"
    target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert caught.value.exit_code == 2
    assert_one_line(caught.value, f"{target}: {field}", word)


def test_missing_playbook_field_is_named(tmp_path: Path) -> None:
    data = playbook()
    del data["radius"]["acct_port"]
    target = tmp_path / "p.yaml"
    target.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert_one_line(caught.value, f"{target}: radius.acct_port", "missing")


@pytest.mark.parametrize(
    ("text", "where", "word"),
    [
        (PLAYBOOK.read_text(encoding="utf-8") + "vlan: 807\n", "line 65, column 1", "duplicate key 'vlan'"),
        ("service: a\nportal:\n  port: 1\n  port: 2\n", "line 4, column 3", "duplicate key 'port'"),
        ("service: a\nportal:\n\tport: 1\n", "line 3, column 1", "'\\t'"),
        ("- a list\n", "(document)", "mapping"),
        ("", "(document)", "mapping"),
        ("a: !!python/object/apply:os.system [true]\n", "line 1, column 4", "constructor"),
        ("[" * 1200, "(document)", "nested"),
        ("vlan: !!int x\n", "(document)", "invalid YAML"),
        ("? !!int\n: 1\n", "(document)", "invalid YAML"),
    ],
)
def test_malformed_playbook_yaml_is_one_line(tmp_path: Path, text: str, where: str, word: str) -> None:
    target = tmp_path / "p.yaml"
    target.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_spec(target)
    assert_one_line(caught.value, f"{target}: {where}", word)


def test_yaml_anchors_and_merge_keys_work_as_yaml_says(tmp_path: Path) -> None:
    text = PLAYBOOK.read_text(encoding="utf-8").replace("  pre_auth:\n", "  pre_auth: &pre\n")
    text = text.replace(
        "  auth:\n    name: kd-auth\n    authentication_scheme: radius\n    accounting_scheme: radius\n",
        "  auth:\n    <<: *pre\n    name: kd-auth\n",
    )
    target = tmp_path / "p.yaml"
    target.write_text(text, encoding="utf-8")
    spec = load_spec(target)
    assert spec.domains.auth.name == "kd-auth"
    assert spec.domains.auth.authentication_scheme == "default0"


def test_unreadable_playbooks_are_input_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        load_spec(tmp_path / "absent.yaml")
    assert_one_line(caught.value, f"{tmp_path / 'absent.yaml'}: (file)", "not found")
    (tmp_path / "latin1.yaml").write_bytes("ssid: caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputError) as caught:
        load_spec(tmp_path / "latin1.yaml")
    assert_one_line(caught.value, f"{tmp_path / 'latin1.yaml'}: (file)", "UTF-8")


def test_for_device_applies_only_overridable_keys(spec: ServiceSpec) -> None:
    changed = spec.for_device({"acl": {"number": 6002}, "ess.max_users": 64})
    assert (changed.acl.number, changed.acl.rule, changed.ess.max_users) == (6002, 70, 64)
    assert (spec.acl.number, spec.ess.max_users) == (6001, 128)  # the service itself is unchanged
    assert spec.for_device({}) is spec
    where = "inventory/hosts.yaml: gz-ac-02.data.service"
    with pytest.raises(InputError) as caught:
        spec.for_device({"vlan": 807}, where=where)
    assert_one_line(caught.value, f"{where}.vlan", "not overridable")
    with pytest.raises(InputError) as caught:
        spec.for_device({"ess": {"id": 0}}, where=where)
    assert_one_line(caught.value, f"{where}.ess.id", "greater than")
    with pytest.raises(InputError) as caught:
        spec.for_device({"acl.rule": 5, "acl": {"rule": 6}}, where=where)
    assert_one_line(caught.value, f"{where}.acl.rule", "twice")
    with pytest.raises(InputError) as caught:
        spec.for_device({"acl": {"rule\nnumber": 5}}, where=where)
    assert_one_line(caught.value, f"{where}.acl.'rule\\nnumber'", "not overridable")


def test_ssid_limit_counts_utf8_bytes() -> None:
    assert ssid_text("联通免费无线网络热点") == "联通免费无线网络热点"  # 10 characters, 30 bytes
    with pytest.raises(ValueError, match="32 bytes"):
        ssid_text("联通免费无线网络热点中")  # 33 bytes


# --- example inventory --------------------------------------------------------------------


def test_example_inventory_is_a_province(spec: ServiceSpec) -> None:
    loaded = inv.load_inventory(INVENTORY, spec)
    devices = loaded.devices
    sites = inv.sites_of(devices)
    assert len(sites) >= 4
    assert all(set(roles) == {"switch", "bras", "ac"} for roles in sites.values())
    assert any(len(roles["switch"]) >= 2 for roles in sites.values())
    two_switch_site = next(site for site, roles in sites.items() if len(roles["switch"]) >= 2)
    ports = [
        port
        for host in sites[two_switch_site]["switch"]
        for port in devices[host].sites[two_switch_site].trunk_ports
    ]
    assert len(ports) >= 3
    bras = [d for d in devices.values() if d.role == "bras"]
    assert {d.platform for d in bras} == {"huawei", "huawei_vrpv8"}
    assert max(len(d.sites) for d in bras) >= 2
    assert all(d.nas_ip and d.nas_ip.startswith("192.0.2.") and d.bras_id for d in bras)
    acs = [d for d in devices.values() if d.role == "ac"]
    assert max(len(d.sites) for d in acs) >= 2
    assert all(len({v.ap for a in d.sites.values() for v in a.vaps}) >= 2 for d in acs)
    assert any(len({v.radio for a in d.sites.values() for v in a.vaps}) >= 2 for d in acs)
    assert all(
        d.department and d.sites and d.hostname.startswith("127.") and d.port == 10022
        for d in devices.values()
    )
    assert {d.model for d in devices.values()} == {"S5720", "ME60", "WS6603"}
    assert loaded.special_sites and set(loaded.special_sites) <= set(sites)
    assert loaded.settings == {"window": "01:00-05:00", "timezone": "Asia/Shanghai"}
    assert inv.special_sites(INVENTORY) == loaded.special_sites
    assert loaded.specs["gz-ac-02"].ess.max_users == 64
    assert loaded.specs["gz-ac-01"].ess.max_users == 128


def test_example_inventory_holds_no_credential_key() -> None:
    def keys(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                yield str(key).lower()
                yield from keys(value)
        elif isinstance(node, list):
            for item in node:
                yield from keys(item)

    found = {key for body in example().values() for key in keys(body)}
    assert found and not found & set(CREDENTIAL_KEYS)


def test_overrides_merge_group_then_host(tmp_path: Path, spec: ServiceSpec) -> None:
    files = example()
    files["groups.yaml"]["dept-radio-optimisation"]["data"]["service"] = {
        "ess": {"name": "CAMPUS", "max_users": 100}
    }
    files["hosts.yaml"]["gz-ac-02"]["data"]["service"] = {"ess.max_users": 64, "acl.rule": 80}
    loaded = inv.load_inventory(write_inventory(tmp_path, files), spec)
    assert (loaded.specs["gz-ac-01"].ess.name, loaded.specs["gz-ac-01"].ess.max_users) == ("CAMPUS", 100)
    ac02 = loaded.specs["gz-ac-02"]
    assert (ac02.ess.name, ac02.ess.max_users, ac02.acl.rule) == ("CAMPUS", 64, 80)
    assert loaded.specs["gz-bras-01"] == spec


def test_non_overridable_group_override_names_the_group(tmp_path: Path, spec: ServiceSpec) -> None:
    files = example()
    files["groups.yaml"]["dept-radio-optimisation"]["data"]["service"] = {"vlan": 807}
    with pytest.raises(InputError) as caught:
        inv.load_inventory(write_inventory(tmp_path, files), spec)
    assert_one_line(
        caught.value,
        f"{tmp_path / 'groups.yaml'}: dept-radio-optimisation.data.service.vlan",
        "not overridable",
    )


def test_bad_override_value_at_host_names_the_host(tmp_path: Path, spec: ServiceSpec) -> None:
    files = example()
    files["hosts.yaml"]["gz-ac-02"]["data"]["service"] = {"ess.max_users": "many"}
    with pytest.raises(InputError) as caught:
        inv.load_inventory(write_inventory(tmp_path, files), spec)
    assert_one_line(
        caught.value, f"{tmp_path / 'hosts.yaml'}: gz-ac-02.data.service.ess.max_users", "integer"
    )


# --- inventory errors ---------------------------------------------------------------------

Change = Callable[[dict[str, dict[str, Any]]], None]


def put(path: str, value: Any) -> Change:
    """Set `file/entry/key/...` in the example inventory."""
    file, rest = path.split("/", 1)
    return lambda files: set_path(files[file], rest, value)


def drop(path: str) -> Change:
    file, rest = path.split("/", 1)
    return lambda files: delete_path(files[file], rest)


def vaps(site: str, bindings: list[tuple[int, int, int]]) -> Change:
    """Replace the VAP bindings of one of gz-ac-01's sites."""
    return put(
        f"hosts.yaml/gz-ac-01/data/sites/{site}/vaps",
        [{"ap": ap, "radio": radio, "wlan": wlan} for ap, radio, wlan in bindings],
    )


AC01 = "hosts.yaml: gz-ac-01.data.sites.GZ-TIANHE-002"
BRAS01 = "hosts.yaml: gz-bras-01.data.sites.GZ-TIANHE-002"
SW01 = "hosts.yaml/gz-th-sw01"

# (case, change, "file: field" named by the error, a word of its message)
# fmt: off
BAD_INVENTORIES: list[tuple[str, Change, str, str]] = [
    ("bras without nas_ip", drop("hosts.yaml/gz-bras-01/data/nas_ip"),
     "hosts.yaml: gz-bras-01.data.nas_ip", "missing"),
    ("bras without bras_id", drop("hosts.yaml/gz-bras-02/data/bras_id"),
     "hosts.yaml: gz-bras-02.data.bras_id", "every bras needs it"),
    ("switch without trunk ports", drop(f"{SW01}/data/trunk_ports"),
     "hosts.yaml: gz-th-sw01.data.trunk_ports", "every switch needs it"),
    ("switch with no trunk port", put(f"{SW01}/data/trunk_ports", []),
     "hosts.yaml: gz-th-sw01.data.trunk_ports", "at least 1"),
    ("ac without region", drop("hosts.yaml/gz-ac-02/data/region"),
     "hosts.yaml: gz-ac-02.data.region", "missing"),
    ("host without site", drop("hosts.yaml/gz-yx-sw01/data/site"),
     "hosts.yaml: gz-yx-sw01.data.site", "missing"),
    ("site and sites", put("hosts.yaml/gz-bras-01/data/site", "GZ-TIANHE-001"),
     "hosts.yaml: gz-bras-01.data.sites", "either"),
    ("no department", drop("groups.yaml/dept-operations/data/department"),
     "hosts.yaml: gz-th-sw01.data.department", "missing"),
    ("no role group", put(f"{SW01}/groups", ["dept-operations"]),
     "hosts.yaml: gz-th-sw01.groups", "role"),
    ("two role groups", put(f"{SW01}/groups", ["switch", "ac", "dept-operations"]),
     "hosts.yaml: gz-th-sw01.groups", "exactly one"),
    ("unknown group", put(f"{SW01}/groups", ["switch", "dept-operation"]),
     "hosts.yaml: gz-th-sw01.groups[1]", "dept-operations"),
    ("group cycle", put("groups.yaml/switch/groups", ["switch"]),
     "groups.yaml: switch.groups", "cycle"),
    ("bad platform", put(f"{SW01}/platform", "cisco_ios"),
     "hosts.yaml: gz-th-sw01.platform", "huawei"),
    ("no platform", drop("defaults.yaml/platform"),
     "hosts.yaml: gz-th-sw01.platform", "missing"),
    ("no hostname", drop(f"{SW01}/hostname"),
     "hosts.yaml: gz-th-sw01.hostname", "missing"),
    ("bad hostname", put(f"{SW01}/hostname", "gz sw 01"),
     "hosts.yaml: gz-th-sw01.hostname", "IP address or a DNS name"),
    ("not an IP", put(f"{SW01}/hostname", "127.0.10.300"),
     "hosts.yaml: gz-th-sw01.hostname", "IP address"),
    ("port zero", put(f"{SW01}/port", 0),
     "hosts.yaml: gz-th-sw01.port", "greater than"),
    ("port too big", put("defaults.yaml/port", 65536),
     "defaults.yaml: port", "less than"),
    ("port as text", put(f"{SW01}/port", "22"),
     "hosts.yaml: gz-th-sw01.port", "integer"),
    ("same address", put("hosts.yaml/gz-th-sw02/hostname", "127.0.10.1"),
     "hosts.yaml: gz-th-sw02.hostname", "gz-th-sw01"),
    ("same nas_ip", put("hosts.yaml/gz-bras-02/data/nas_ip", "192.0.2.11"),
     "hosts.yaml: gz-bras-02.data.nas_ip", "gz-bras-01"),
    ("same bras_id", put("hosts.yaml/gz-bras-02/data/bras_id", "0020.0200.200.01"),
     "hosts.yaml: gz-bras-02.data.bras_id", "gz-bras-01"),
    ("bad nas_ip", put("hosts.yaml/gz-bras-02/data/nas_ip", "192.0.2"),
     "hosts.yaml: gz-bras-02.data.nas_ip", "IPv4"),
    ("bad trunk port", put(f"{SW01}/data/trunk_ports", ["Gi0/0/1"]),
     "hosts.yaml: gz-th-sw01.data.trunk_ports[0]", "GigabitEthernet0/0/1"),
    ("trunk port twice", put(f"{SW01}/data/trunk_ports", ["Eth-Trunk1", "Eth-Trunk1"]),
     "hosts.yaml: gz-th-sw01.data.trunk_ports", "twice"),
    ("bad sub-interface", put("hosts.yaml/gz-bras-02/data/subinterface", "Eth-Trunk5"),
     "hosts.yaml: gz-bras-02.data.subinterface", "sub-interface"),
    ("sub-interface twice",
     put("hosts.yaml/gz-bras-01/data/sites/GZ-TIANHE-002/subinterface", "Eth-Trunk5.807"),
     f"{BRAS01}.subinterface", "GZ-TIANHE-001"),
    ("two sites on one trunk",
     put("hosts.yaml/gz-bras-01/data/sites/GZ-TIANHE-002/subinterface", "Eth-Trunk5.808"),
     f"{BRAS01}.subinterface", "user-vlan 806 on Eth-Trunk5"),
    ("region twice", put("hosts.yaml/gz-ac-01/data/sites/GZ-TIANHE-002/region", 7),
     f"{AC01}.region", "GZ-TIANHE-001"),
    ("radio out of range", vaps("GZ-TIANHE-002", [(22, 3, 2)]), f"{AC01}.vaps[0].radio", "less than"),
    ("wlan out of range", vaps("GZ-TIANHE-002", [(22, 0, 17)]), f"{AC01}.vaps[0].wlan", "less than"),
    ("ap out of range", vaps("GZ-TIANHE-002", [(-1, 0, 2)]), f"{AC01}.vaps[0].ap", "greater than"),
    ("wlan zero", put("hosts.yaml/gz-ac-02/data/vaps", [{"ap": 21, "radio": 0, "wlan": 0}]),
     "hosts.yaml: gz-ac-02.data.vaps[0].wlan", "greater than"),
    ("vap without radio", put("hosts.yaml/gz-ac-02/data/vaps", [{"ap": 21, "wlan": 2}]),
     "hosts.yaml: gz-ac-02.data.vaps[0].radio", "missing"),
    ("vap bound twice", vaps("GZ-TIANHE-002", [(22, 0, 2), (22, 0, 3)]), f"{AC01}.vaps[1]", "bound twice"),
    ("ap under two sites", vaps("GZ-TIANHE-002", [(21, 0, 2)]), f"{AC01}.vaps", "two sites"),
    ("site without BRAS", drop("hosts.yaml/gz-bras-01/data/sites/GZ-YUEXIU-001"),
     "hosts.yaml: gz-yx-sw01.data.site", "no bras"),
    ("site without AC", drop("hosts.yaml/gz-ac-01/data/sites/GZ-TIANHE-002"),
     "hosts.yaml: gz-th-sw03.data.site", "no ac"),
    ("BRAS names a site with no switch",
     put("hosts.yaml/gz-bras-01/data/sites/GZ-HAIZHU-001", {"subinterface": "Eth-Trunk9.807"}),
     "hosts.yaml: gz-bras-01.data.sites", "GZ-HAIZHU-001 has no switch and no ac"),
    ("bad site name", put("hosts.yaml/gz-yx-sw01/data/site", "GZ YUEXIU"),
     "hosts.yaml: gz-yx-sw01.data.site", "1-64"),
    ("unknown data key", put(f"{SW01}/data/trunk_port", ["GigabitEthernet0/0/3"]),
     "hosts.yaml: gz-th-sw01.data.trunk_port", "unknown key"),
    ("unknown host key", put(f"{SW01}/platfrom", "huawei"),
     "hosts.yaml: gz-th-sw01.platfrom", "unknown key"),
    ("unknown group data key", put("groups.yaml/switch/data/modle", "S5720"),
     "groups.yaml: switch.data.modle", "host gz-th-sw01"),
    ("model with a space", put("groups.yaml/bras/data/model", "ME60 X16"),
     "groups.yaml: bras.data.model", "1-32"),
    ("password on a host", put(f"{SW01}/password", "lab-pass-fake"),
     "hosts.yaml: gz-th-sw01.password", "plain-text password"),
    ("password in defaults", put("defaults.yaml/password", "lab-pass-fake"),
     "defaults.yaml: password", "plain-text password"),
    ("password in a group's data", put("groups.yaml/switch/data/password", "lab-pass-fake"),
     "groups.yaml: switch.data.password", "plain-text password"),
    ("secret in netmiko extras", put(f"{SW01}/connection_options", {"netmiko": {"extras": {"secret": "x"}}}),
     "hosts.yaml: gz-th-sw01.connection_options.netmiko.extras.secret", "plain-text"),
    ("username with a space", put(f"{SW01}/username", "net ops"),
     "hosts.yaml: gz-th-sw01.username", "space"),
    ("jump server without a username", put(f"{SW01}/data/jump_host", {"hostname": "192.0.2.9"}),
     "hosts.yaml: gz-th-sw01.data.jump_host.username", "missing"),
    ("jump server password in the inventory",
     put(f"{SW01}/data/jump_host", {"hostname": "192.0.2.9", "username": "j", "password": "fake-jump-pw"}),
     "hosts.yaml: gz-th-sw01.data.jump_host.password", "plain-text password"),
    ("telnet port out of range", put(f"{SW01}/data/telnet_port", 70000),
     "hosts.yaml: gz-th-sw01.data.telnet_port", "65535"),
    ("Comware port name on a Huawei switch", put(f"{SW01}/data/trunk_ports", ["Ten-GigabitEthernet1/0/49"]),
     "hosts.yaml: gz-th-sw01.data.trunk_ports[0]", "huawei interface name"),
    ("RGOS port without its space", put(f"{SW01}/platform", "ruijie_os"),
     "hosts.yaml: gz-th-sw01.data.trunk_ports[0]", "GigabitEthernet 0/1"),
    ("radius key in data", put("hosts.yaml/gz-bras-01/data/radius_key", "fake-radius-key-1"),
     "hosts.yaml: gz-bras-01.data.radius_key", "SSID_ROLLOUT_RADIUS_KEY_"),
    ("special site unknown", put("defaults.yaml/data/special_sites/GZ-TIANHE-01", "school"),
     "defaults.yaml: data.special_sites.GZ-TIANHE-01", "GZ-TIANHE-001"),
    ("special sites on a host", put(f"{SW01}/data/special_sites", {"GZ-TIANHE-001": "school"}),
     "hosts.yaml: gz-th-sw01.data.special_sites", "defaults.yaml only"),
    ("bad window", put("defaults.yaml/data/window", "1am-5am"),
     "defaults.yaml: data.window", "HH:MM-HH:MM"),
    ("bad time zone", put("defaults.yaml/data/timezone", "Asia/Beijing"),
     "defaults.yaml: data.timezone", "IANA"),
    ("data not a mapping", put(f"{SW01}/data", ["site"]),
     "hosts.yaml: gz-th-sw01.data", "mapping"),
    ("service not a mapping", put("hosts.yaml/gz-ac-02/data/service", ["ess.max_users"]),
     "hosts.yaml: gz-ac-02.data.service", "mapping"),
    ("host entry empty", put(SW01, None),
     "hosts.yaml: gz-th-sw01", "mapping"),
]
# fmt: on


@pytest.mark.parametrize(
    ("change", "where", "word"), [pytest.param(*case[1:], id=case[0]) for case in BAD_INVENTORIES]
)
def test_bad_inventory_is_refused_naming_file_host_and_field(
    tmp_path: Path, spec: ServiceSpec, change: Change, where: str, word: str
) -> None:
    files = example()
    change(files)
    folder = write_inventory(tmp_path, files)
    with pytest.raises(InputError) as caught:
        inv.load_inventory(folder, spec)
    assert caught.value.exit_code == 2
    assert_one_line(caught.value, f"{folder}/{where}", word)


@pytest.mark.parametrize(
    ("file", "text", "where", "word"),
    [
        (
            "hosts.yaml",
            "a:\n  hostname: 127.0.0.1\na:\n  hostname: 127.0.0.2\n",
            "line 3, column 1",
            "duplicate key",
        ),
        ("hosts.yaml", "", "(document)", "no hosts"),
        ("hosts.yaml", "- gz-th-sw01\n", "(document)", "mapping"),
        ("groups.yaml", "switch:\n\tdata: {}\n", "line 2, column 1", "'\\t'"),
        ("defaults.yaml", "data: [1, 2\n", "line 2, column 1", "invalid YAML"),
        ("hosts.yaml", "? !!int\n: 1\n", "(document)", "invalid YAML"),
        ("groups.yaml", "switch:\n  port: !!int x\n", "(document)", "invalid YAML"),
    ],
)
def test_malformed_inventory_files_are_one_line(
    tmp_path: Path, spec: ServiceSpec, file: str, text: str, where: str, word: str
) -> None:
    folder = write_inventory(tmp_path, example())
    (folder / file).write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        inv.load_inventory(folder, spec)
    assert_one_line(caught.value, f"{folder / file}: {where}", word)


def test_missing_inventory_folder_or_hosts_file(tmp_path: Path, spec: ServiceSpec) -> None:
    with pytest.raises(InputError) as caught:
        inv.load_devices(tmp_path / "nowhere", spec)
    assert_one_line(caught.value, f"{tmp_path / 'nowhere'}: (folder)", "not an inventory folder")
    with pytest.raises(InputError) as caught:
        inv.load_devices(tmp_path, spec)
    assert_one_line(caught.value, f"{tmp_path / 'hosts.yaml'}: (file)", "not found")


def test_yaml_11_words_stay_text_as_nornir_reads_them(tmp_path: Path, spec: ServiceSpec) -> None:
    """The inventory is read with Nornir's own parser (YAML 1.2), so `department: no` is text."""
    files = example()
    folder = write_inventory(tmp_path, files)
    hosts = (folder / "hosts.yaml").read_text(encoding="utf-8")
    (folder / "hosts.yaml").write_text(
        hosts.replace(
            "  data:\n    site: GZ-YUEXIU-001", "  data:\n    department: no\n    site: GZ-YUEXIU-001"
        ),
        encoding="utf-8",
    )
    assert inv.load_devices(folder, spec)["gz-yx-sw01"].department == "no"


# --- selection ----------------------------------------------------------------------------

FILTERS: list[dict[str, list[str]]] = [
    {},
    {"hosts": ["gz-th-sw01", "gz-bras-02"]},
    {"groups": ["bras"]},
    {"groups": ["dept-operations", "ac"]},
    {"sites": ["GZ-TIANHE-001"]},
    {"sites": ["GZ-TIANHE-002", "GZ-PANYU-001"]},
    {"departments": ["radio-optimisation"]},
    {"sites": ["GZ-TIANHE-001"], "groups": ["dept-operations"]},
    {"sites": ["GZ-YUEXIU-001"], "departments": ["network-management", "operations"]},
    {"hosts": ["gz-bras-01", "gz-ac-02"], "sites": ["GZ-PANYU-001"]},
]


@pytest.fixture(scope="module")
def devices(spec: ServiceSpec) -> dict[str, Any]:
    return inv.load_devices(INVENTORY, spec)


def test_select_picks_hosts_by_every_kind_of_filter(
    devices: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    nr = selection.make_nornir(INVENTORY, workers=3)
    assert not (tmp_path / "nornir.log").exists()
    from nornir.plugins.runners import ThreadedRunner

    assert isinstance(nr.runner, ThreadedRunner) and nr.runner.num_workers == 3
    expected = {
        "{}": set(devices),
        "hosts": {"gz-th-sw01", "gz-bras-02"},
        "groups=bras": {"gz-bras-01", "gz-bras-02"},
        "site=GZ-TIANHE-001": {"gz-th-sw01", "gz-th-sw02", "gz-bras-01", "gz-ac-01"},
        "department=radio": {"gz-ac-01", "gz-ac-02"},
        "site+group": {"gz-th-sw01", "gz-th-sw02"},
    }
    seen = {}
    for filters in FILTERS:
        selected = set(selection.select(devices, **filters))
        assert selected <= set(nr.inventory.hosts), filters
        seen[json.dumps(filters, sort_keys=True)] = selected
    assert seen["{}"] == expected["{}"]
    assert seen[json.dumps(FILTERS[1], sort_keys=True)] == expected["hosts"]
    assert seen[json.dumps(FILTERS[2], sort_keys=True)] == expected["groups=bras"]
    assert seen[json.dumps(FILTERS[4], sort_keys=True)] == expected["site=GZ-TIANHE-001"]
    assert seen[json.dumps(FILTERS[6], sort_keys=True)] == expected["department=radio"]
    assert seen[json.dumps(FILTERS[7], sort_keys=True)] == expected["site+group"]
    assert seen[json.dumps(FILTERS[9], sort_keys=True)] == {"gz-ac-02"}


@pytest.mark.parametrize(
    ("filters", "where", "hint"),
    [
        ({"hosts": ["gz-th-sw1"]}, "filter hosts", "gz-th-sw01"),
        ({"groups": ["dept-radio"]}, "filter groups", "dept-radio-optimisation"),
        ({"sites": ["GZ-TIANHE-01"]}, "filter sites", "GZ-TIANHE-001"),
        ({"departments": ["operation"]}, "filter departments", "operations"),
    ],
)
def test_unknown_filter_name_is_refused(
    devices: dict[str, Any], filters: dict[str, list[str]], where: str, hint: str
) -> None:
    with pytest.raises(InputError) as caught:
        selection.select(devices, **filters)
    assert_one_line(caught.value, where, hint)


def test_make_nornir_refuses_zero_workers() -> None:
    with pytest.raises(InputError):
        selection.make_nornir(INVENTORY, workers=0)


# --- credentials and RADIUS keys ----------------------------------------------------------


class MemoryKeyring(keyring.backend.KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def __init__(self, entries: dict[tuple[str, str], str] | None = None) -> None:
        super().__init__()
        self.entries = dict(entries or {})

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


class BrokenKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("no D-Bus session bus")


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[MemoryKeyring]:
    """No SSID_ROLLOUT_* variable and an empty in-memory keyring, whatever the machine has."""
    import os

    for name in list(os.environ):
        if name.startswith("SSID_ROLLOUT_"):
            monkeypatch.delenv(name)
    previous = keyring.get_keyring()
    memory = MemoryKeyring()
    keyring.set_keyring(memory)
    yield memory
    keyring.set_keyring(previous)


def test_credentials_from_environment(clean_env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SSID_ROLLOUT_USERNAME", "netops")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD", "lab-pass-fake")
    credentials = resolve_credentials()
    assert credentials == Credentials("netops", "lab-pass-fake")
    assert "lab-pass-fake" not in repr(credentials)


def test_credentials_from_keyring_when_environment_is_empty(
    clean_env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    clean_env.set_password("ssid-rollout", "username", "netops")
    clean_env.set_password("ssid-rollout", "password", "lab-pass-fake")
    assert resolve_credentials() == Credentials("netops", "lab-pass-fake")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD", "env-pass-fake")
    assert resolve_credentials() == Credentials("netops", "env-pass-fake")


def test_missing_credentials_name_both_variables(clean_env: MemoryKeyring) -> None:
    with pytest.raises(InputError) as caught:
        resolve_credentials()
    assert_one_line(caught.value, "credentials", "SSID_ROLLOUT_USERNAME", "SSID_ROLLOUT_PASSWORD")


def test_broken_keyring_counts_as_not_found(
    clean_env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyring.set_keyring(BrokenKeyring())
    with pytest.raises(InputError, match="SSID_ROLLOUT_PASSWORD"):
        resolve_credentials()
    monkeypatch.setenv("SSID_ROLLOUT_USERNAME", "netops")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD", "lab-pass-fake")
    assert resolve_credentials().username == "netops"


def test_empty_or_multiline_password_is_refused(
    clean_env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSID_ROLLOUT_USERNAME", "netops")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD", "")
    with pytest.raises(InputError) as caught:
        resolve_credentials()
    assert_one_line(caught.value, "SSID_ROLLOUT_PASSWORD", "empty")
    monkeypatch.setenv("SSID_ROLLOUT_PASSWORD", "lab-pass-fake\n")
    with pytest.raises(InputError) as caught:
        resolve_credentials()
    assert "lab-pass-fake" not in str(caught.value)


def test_radius_key_variable_names() -> None:
    assert radius_key_variable("gz-bras-01") == "SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01"
    assert radius_key_variable("me60.gz.1") == "SSID_ROLLOUT_RADIUS_KEY_ME60_GZ_1"


def test_each_bras_gets_its_own_key(
    clean_env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, devices: dict[str, Any]
) -> None:
    monkeypatch.setenv("SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01", "fake-radius-key-1")
    clean_env.set_password("ssid-rollout", "radius-key/gz-bras-02", "fake-radius-key-2")
    keys = resolve_radius_keys(devices, shared=False)
    assert keys == {"gz-bras-01": "fake-radius-key-1", "gz-bras-02": "fake-radius-key-2"}


def test_shared_key_needs_the_explicit_flag(
    clean_env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, devices: dict[str, Any]
) -> None:
    monkeypatch.setenv("SSID_ROLLOUT_RADIUS_KEY", "fake-shared-key")
    with pytest.raises(InputError) as caught:
        resolve_radius_keys(devices, shared=False)
    assert_one_line(caught.value, "SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01", "--shared-radius-key", "gz-bras-01")
    monkeypatch.setenv("SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_02", "fake-radius-key-2")
    keys = resolve_radius_keys(devices, shared=True)
    assert keys == {"gz-bras-01": "fake-shared-key", "gz-bras-02": "fake-radius-key-2"}


def test_missing_key_without_shared_key_names_variable_and_keyring(
    clean_env: MemoryKeyring, devices: dict[str, Any]
) -> None:
    keyring.set_keyring(BrokenKeyring())
    with pytest.raises(InputError) as caught:
        resolve_radius_keys(devices, shared=True)
    assert_one_line(caught.value, "SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01", "radius-key/gz-bras-01")


@pytest.mark.parametrize(
    ("key", "word"),
    [
        ("", "shorter than 6"),
        ("Zq9", "shorter than 6"),
        ("Trunk", "shorter than 6"),
        ("k" * 65, "longer than 64"),
        ("fake key", "space"),
        ("fake\tkey", "space"),
        ("fakekey\n", "space"),
        ("fakékey", "ASCII"),
        ("fake?key", "help key"),
        ('fake"key', "quote"),
        ("fake'key", "quote"),
        ("%^%#fakecipher%^%#", "cipher"),
    ],
)
def test_malformed_radius_key_is_refused_without_showing_it(
    clean_env: MemoryKeyring, monkeypatch: pytest.MonkeyPatch, devices: dict[str, Any], key: str, word: str
) -> None:
    monkeypatch.setenv("SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01", key)
    monkeypatch.setenv("SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_02", "fake-radius-key-2")
    with pytest.raises(InputError) as caught:
        resolve_radius_keys(devices, shared=False)
    assert_one_line(caught.value, "SSID_ROLLOUT_RADIUS_KEY_GZ_BRAS_01", word, "gz-bras-01")
    if key:
        assert key not in str(caught.value)


def test_hosts_sharing_a_variable_name_are_refused(clean_env: MemoryKeyring, devices: dict[str, Any]) -> None:
    twins = {name: devices["gz-bras-01"] for name in ("gz-bras-09", "gz_bras_09")}
    with pytest.raises(InputError, match="rename"):
        resolve_radius_keys(twins, shared=True)


# --- masking ------------------------------------------------------------------------------

KEY = "fake-radius-key-1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("radius-server shared-key fake-radius-key-1", "radius-server shared-key ******"),
        ("GET http://portal/x?key=fake-radius-key-1&t=1", "GET http://portal/x?key=******&t=1"),
        ("xfake-radius-key-1fake-radius-key-1y fake-radius-key-1", "x************y ******"),
        (' radius-server shared-key cipher %^%#Q6`;S<8#:F"y%^%#', " radius-server shared-key cipher ******"),
        (" radius-server shared-key %^%#Q6`;S<8 F%^%#", " radius-server shared-key ******"),
        ("snmp %@%@a1%@%@ aaa @%@%b2@%@% old %$%$c3%$%$.", "snmp ****** aaa ****** old ******."),
        (
            " local-user admin password irreversible-cipher $1a$Xy$Zz$",
            " local-user admin password irreversible-cipher ******",
        ),
        (" local-user a password cipher $1c$abc$", " local-user a password cipher ******"),
        (
            "web-auth-server 1.2.3.4 port 2000 key simple other-key",
            "web-auth-server 1.2.3.4 port 2000 key simple ******",
        ),
        (" radius-server shared-key-cipher unknown-key", " radius-server shared-key-cipher ******"),
        ("super password level 15 simple pw", "super password level 15 simple ******"),
        ("security wpa2 psk pass-phrase phrase1 aes", "security wpa2 psk pass-phrase ****** aes"),
        ("a wrapped line %^%#Q6`;S<8", "a wrapped line ******"),
        ("undo radius-server shared-key", "undo radius-server shared-key"),
        (
            "Warning: Are you sure you want to delete the shared key?[Y/N]",
            "Warning: Are you sure you want to delete the shared key?[Y/N]",
        ),
        ("Shared-secret-key    :  ******", "Shared-secret-key    :  ******"),
    ],
)
def test_masker_hides_keys_and_cipher_text(text: str, expected: str) -> None:
    assert Masker([KEY, "lab-pass-fake"]).mask(text) == expected


def test_masker_keeps_json_valid_and_catches_escaped_spellings() -> None:
    awkward = "fake\\key&<1>"
    masker = Masker([KEY, awkward])
    record = {"cmd": f"radius-server shared-key {KEY}", "echo": f"x{awkward}y", "n": 1}
    for text in (
        json.dumps(record),
        repr(record),
        f"<td>{'fake%5Ckey%26%3C1%3E'}</td>",
        "fake\\key&amp;&lt;1&gt;",
    ):
        masked = masker.mask(text)
        assert KEY not in masked and "fake\\key" not in masked and "fake%5Ckey" not in masked, masked
    assert json.loads(masker.mask(json.dumps(record)))["echo"] == "x******y"


def test_masker_prefers_the_longest_secret_and_escapes_regex_characters() -> None:
    masker = Masker(["a.b*", "a.b*c.d"])
    assert masker.mask("1 a.b*c.d 2 a.b* 3 axb") == f"1 {MASK} 2 {MASK} 3 axb"


def test_masking_filter_hides_message_arguments_and_traceback() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter(Masker([KEY]).mask))
    logger = logging.getLogger("test_spec_inventory.masking")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("sent %s", f"radius-server shared-key {KEY}")
        try:
            raise ValueError(f"device echoed {KEY}")
        except ValueError:
            logger.exception("push failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert KEY not in output
    assert "radius-server shared-key ******" in output and "device echoed ******" in output


def test_masker_is_fast_on_a_megabyte() -> None:
    keys = [f"fake-radius-key-{n}" for n in range(200)]
    masker = Masker(keys)
    line = "interface GigabitEthernet0/0/1\n port trunk allow-pass vlan 806\n"
    line += " radius-server shared-key fake-radius-key-7\n"
    text = line * 10000
    start = time.perf_counter()
    masked = masker.mask(text)
    assert time.perf_counter() - start < 2.0
    assert "fake-radius-key" not in masked and masked.count(MASK) == 10000


# --- properties ---------------------------------------------------------------------------

YAML_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.text(max_size=40)
    | st.floats(allow_nan=False),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=8,
)
PLAYBOOK_PATHS = st.sampled_from(
    [
        "service", "ssid", "vlan", "portal", "portal/server", "portal/port", "portal/url", "portal/mode",
        "portal/url_parameter", "portal/redirect_keys", "portal/redirect_keys/ssid", "radius/group",
        "radius/server", "radius/auth_port", "radius/class_as_car", "domains/auth", "domains/auth/name",
        "ip_pool", "acl/number", "acl/rule", "bras/subinterface_description", "ess/name", "ess/id",
        "ess/max_users", "overridable", "typo",
    ]
)  # fmt: skip
HOST_PATHS = st.sampled_from(
    [
        "hosts.yaml/gz-th-sw01/hostname", "hosts.yaml/gz-th-sw01/port", "hosts.yaml/gz-th-sw01/groups",
        "hosts.yaml/gz-th-sw01/data/site", "hosts.yaml/gz-th-sw01/data/trunk_ports",
        "hosts.yaml/gz-bras-01/data/sites", "hosts.yaml/gz-bras-01/data/sites/GZ-TIANHE-002",
        "hosts.yaml/gz-bras-01/data/nas_ip", "hosts.yaml/gz-bras-02/data/subinterface",
        "hosts.yaml/gz-ac-01/data/sites/GZ-TIANHE-001/vaps", "hosts.yaml/gz-ac-02/data/region",
        "hosts.yaml/gz-ac-02/data/service", "hosts.yaml/gz-ac-02/data/vaps", "hosts.yaml/new-host",
        "groups.yaml/switch/data", "groups.yaml/dept-operations/data/department", "groups.yaml/bras/groups",
        "defaults.yaml/data/special_sites", "defaults.yaml/data/window", "defaults.yaml/platform",
        "defaults.yaml/port",
    ]
)  # fmt: skip
PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)


def assert_names_a_field(exc: InputError, files: tuple[Path, ...]) -> None:
    assert "\n" not in str(exc) and "\r" not in str(exc)
    assert any(exc.where.startswith(f"{path}: ") for path in files), exc.where
    assert exc.where.split(": ", 1)[1].strip(), exc.where


@PROPERTY_SETTINGS
@given(path=PLAYBOOK_PATHS, value=YAML_VALUES)
def test_any_playbook_change_loads_or_names_a_field(path: str, value: Any) -> None:
    data = playbook()
    set_path(data, path, value)
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "p.yaml"
        target.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
        try:
            loaded = load_spec(target)
        except InputError as exc:
            assert_names_a_field(exc, (target,))
        else:
            assert isinstance(loaded, ServiceSpec)
            assert "?" not in loaded.ssid and len(loaded.ssid.encode()) <= 32


@PROPERTY_SETTINGS
@given(text=st.text(max_size=300))
def test_any_playbook_text_loads_or_names_a_field(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "p.yaml"
        target.write_text(text, encoding="utf-8")
        try:
            load_spec(target)
        except InputError as exc:
            assert_names_a_field(exc, (target,))


@PROPERTY_SETTINGS
@given(path=HOST_PATHS, value=YAML_VALUES)
def test_any_inventory_change_loads_or_names_a_field(spec: ServiceSpec, path: str, value: Any) -> None:
    files = example()
    file, rest = path.split("/", 1)
    set_path(files[file], rest, value)
    with tempfile.TemporaryDirectory() as folder:
        target = write_inventory(Path(folder), files)
        try:
            devices = inv.load_devices(target, spec)
        except InputError as exc:
            assert_names_a_field(exc, tuple(target / name for name in FILES))
        else:
            assert all(set(roles) == {"switch", "bras", "ac"} for roles in inv.sites_of(devices).values())


YAML_FRAGMENTS = st.lists(
    st.sampled_from(
        ["\n", ":", " ", "- ", "{", "}", "[", "]", "&a ", "*a", "<<: *a\n", "\t", "'", '"', "!!int ",
         "!!float ", "!!set ", "!!timestamp ", "? ", "---\n", "  ", "\x00", "\ufeff", "password: x\n",
         "gz-th-sw01", "sites"]
    ),
    max_size=5,
)  # fmt: skip


def splice(text: str, position: int, cut: int, fragments: list[str]) -> str:
    position = min(position, len(text))
    return text[:position] + "".join(fragments) + text[position + cut :]


@PROPERTY_SETTINGS
@given(position=st.integers(0, 1600), cut=st.integers(0, 20), fragments=YAML_FRAGMENTS)
def test_damaged_playbook_text_loads_or_names_a_field(position: int, cut: int, fragments: list[str]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "p.yaml"
        target.write_text(
            splice(PLAYBOOK.read_text(encoding="utf-8"), position, cut, fragments), encoding="utf-8"
        )
        try:
            load_spec(target)
        except InputError as exc:
            assert_names_a_field(exc, (target,))


@PROPERTY_SETTINGS
@given(
    file=st.sampled_from(FILES),
    position=st.integers(0, 3000),
    cut=st.integers(0, 20),
    fragments=YAML_FRAGMENTS,
)
def test_damaged_inventory_text_loads_or_names_a_field(
    spec: ServiceSpec, file: str, position: int, cut: int, fragments: list[str]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder)
        for name in FILES:
            text = (INVENTORY / name).read_text(encoding="utf-8")
            if name == file:
                text = splice(text, position, cut, fragments)
            (target / name).write_text(text, encoding="utf-8")
        try:
            inv.load_inventory(target, spec)
        except InputError as exc:
            assert_names_a_field(exc, tuple(target / name for name in FILES))


SECRET = st.text(
    st.characters(min_codepoint=33, max_codepoint=126, exclude_characters="*"), min_size=6, max_size=30
)


@PROPERTY_SETTINGS
@given(
    secrets=st.lists(SECRET, min_size=1, max_size=4), before=st.text(max_size=40), after=st.text(max_size=40)
)
def test_a_known_secret_never_survives_masking(secrets: list[str], before: str, after: str) -> None:
    masker = Masker(secrets)
    text = before + " radius-server shared-key ".join(secrets) + after
    masked = masker.mask(text)
    for secret in secrets:
        assert secret not in masked
        assert secret not in masker.mask(json.dumps({"t": text}))


MASKABLE = st.lists(
    st.sampled_from(
        ["Shared-Key ", "PASSWORD ", "key cipher ", "pass-phrase ", "%^%#", "%$%$", "@%@%", "$1a$"]
    )
    | st.text(st.sampled_from(" \t\n\"'\\=xyzsSpPkK%@$#^&"), max_size=6)
    | SECRET,
    max_size=12,
).map("".join)


@PROPERTY_SETTINGS
@given(secrets=st.lists(SECRET, min_size=1, max_size=3), text=MASKABLE)
def test_masker_prefilter_changes_nothing(secrets: list[str], text: str) -> None:
    """The first-character lookahead is a speed-up only: same output as the plain alternation."""
    from ssid_rollout import secrets as module

    masker = Masker(secrets)
    plain = re.compile(f"(?:{module._CIPHER}|{module._KEYWORD})")
    text = text + "".join(secrets)
    assert masker._known is not None
    assert masker.mask(text) == plain.sub(module._replace, masker._known.sub(module.MASK, text))


@PROPERTY_SETTINGS
@given(secrets=st.lists(SECRET, min_size=1, max_size=3), texts=st.lists(MASKABLE, min_size=1, max_size=5))
def test_a_journal_batch_masked_at_once_is_each_event_masked(
    secrets: list[str], texts: list[str], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """The parent of cluster workers writes a batch of their events with one masking pass: the journal
    is the same as masking each event, whatever the events hold (no pattern crosses a line's end)."""
    from ssid_rollout.runfolder import RunFolder

    masker = Masker(secrets)
    events = [("send", {"host": "h", "lines": [text, *secrets]}) for text in texts]
    one, each = (RunFolder(tmp_path_factory.mktemp("run"), masker.mask) for _ in range(2))
    one.notes(events)
    for event, fields in events:
        each.note(event, **fields)
    one.close(), each.close()

    def lines(folder: RunFolder) -> list[Any]:
        return [{k: v for k, v in e.items() if k != "t"} for e in folder.events()]

    assert lines(one) == lines(each)
    assert not any(secret in str(lines(one)) for secret in secrets)


@pytest.mark.unit
@pytest.mark.parametrize("key", ["Ab1\\TailSecret", "Ab1%^%#Tail", "x#y^z%Tail w"])
def test_a_key_the_keyword_pattern_would_cut_short_is_masked_whole(key: str) -> None:
    """The red team's key `Ab1\\TailSecret`: the keyword pattern stopped at the backslash and
    everything after it leaked, 66 times in one run. Known secrets go first, whole."""
    masker = Masker([key])
    text = f"radius-server shared-key {key}\n{json.dumps({'line': 'shared-key ' + key})}\n{key!r}"
    masked = masker.mask(text)
    assert "Tail" not in masked and key not in masked, masked


@settings(max_examples=200, deadline=None, database=None)
@given(text=st.text(max_size=40))
def test_cli_safe_ssid_never_lets_through_what_the_cli_misreads(text: str) -> None:
    try:
        ssid_text(text)
    except ValueError:
        return
    assert text and "?" not in text and " " not in text and '"' not in text
    assert all(char.isprintable() for char in text) and len(text.encode()) <= 32
