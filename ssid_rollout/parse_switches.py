"""Typed facts from H3C Comware and Ruijie RGOS access switches, parsed with the TTP templates in
`parsers/` (docs/vendors.md).

Verify reads a switch's facts in one shape whatever its vendor: the VLANs that exist and each
interface's link type and allowed VLAN set (parse.ConfigFacts). What each vendor leaves implicit
is made explicit here: an RGOS trunk with no allowed line carries every VLAN, a Comware 7 trunk
carries VLAN 1 unless it shows `undo port trunk permit vlan 1`, a Comware VLAN may exist only
inside a range line (`vlan 801 to 806`).
"""

from __future__ import annotations

import re
from typing import Any

from .parse import ConfigFacts, Interface, Version, _items, run_template
from .values import ALL_VLANS, vlan_set

COMWARE_CONFIG = "hp_comware_display_current_configuration"
COMWARE_VERSION = "hp_comware_display_version"
RGOS_CONFIG = "ruijie_os_show_running_config"
RGOS_VERSION = "ruijie_os_show_version"
#: A new Comware trunk carries VLAN 1 [X-TRUNK7]; Comware 7 never lists it, Comware 5 lists it [IMC].
DEFAULT_VLAN = 1
#: The model in `System description : Ruijie ... (S2628G-E) By Ruijie Networks` [X-RGS, NI].
_RGOS_MODEL = re.compile(r"\(([^()]+)\)\s*By Ruijie")
_RGOS_RELEASE = re.compile(r"RGOS (\S+)")


def switch_facts(vlans: frozenset[int], interfaces: dict[str, Interface], version: str | None) -> ConfigFacts:
    """A switch's facts in the shape verify reads for every role (the BRAS and AC fields empty)."""
    return ConfigFacts(
        vlans=vlans,
        interfaces=interfaces,
        radius_groups={},
        web_auth_servers={},
        domains={},
        acls={},
        ess={},
        vlan_mappings={},
        vaps=frozenset(),
        user_groups=frozenset(),
        ip_pools=frozenset(),
        authentication_schemes=frozenset(),
        accounting_schemes=frozenset(),
        version=version,
    )


def _port(name: str, link_type: str | None, allowed: frozenset[int]) -> Interface:
    return Interface(name, link_type, allowed, None, frozenset(), None)


# --- Comware --------------------------------------------------------------------------------------


def parse_comware_config(text: str) -> ConfigFacts:
    """Facts from Comware 5/7 `display current-configuration` (or a part of it)."""
    raw = run_template(COMWARE_CONFIG, text)
    header = _items(raw.get("header"))
    version = header[0].get("version") if header else None
    implicit_vlan1 = version is not None and not version.startswith("5.")
    vlans = frozenset().union(*(vlan_set(v["vlans"]) for v in _items(raw.get("vlans"))))
    interfaces = {}
    for port in _items(raw.get("interfaces")):
        allowed = vlan_set(port.get("permit", ""))
        trunk = port.get("link_type") == "trunk"
        if trunk and (implicit_vlan1 or "permit" not in port):
            allowed |= {DEFAULT_VLAN}  # a trunk with no permit line carries VLAN 1 only
        allowed -= vlan_set(port.get("refused", ""))
        interfaces[port["name"]] = _port(port["name"], port.get("link_type"), allowed)
    return switch_facts(vlans, interfaces, version)


def parse_comware_version(text: str) -> Version:
    """`display version`; ValueError when it names no Comware release or no model."""
    raw = run_template(COMWARE_VERSION, text)
    software, models = _items(raw.get("software")), _items(raw.get("models"))
    if not software or not models:
        raise ValueError("no 'Comware Software, Version' line or no '<model> uptime is' line")
    return Version(
        vrp=software[0]["version"],
        model=models[0]["model"].removesuffix(" Switch"),
        product=f"Comware {software[0]['version']} Release {software[0].get('release', '')}",
    )


# --- RGOS -----------------------------------------------------------------------------------------


def trunk_vlans(lines: list[str]) -> frozenset[int]:
    """What `switchport trunk allowed vlan ...` lines leave a trunk, in order, from every VLAN
    [RG-DOC]; a bare list replaces the set, as `only` does (unconfirmed keyword-less form)."""
    allowed = set(ALL_VLANS)
    for line in lines:
        how, _, rest = line.partition(" ")
        named = vlan_set(rest if how in ("only", "add", "remove", "except") else line)
        if how == "add":
            allowed |= named
        elif how == "remove":
            allowed -= named
        elif how == "except":
            allowed = set(ALL_VLANS - named)
        else:  # only, all, a bare list
            allowed = set(named)
    return frozenset(allowed)


def parse_rgos_config(text: str) -> ConfigFacts:
    """Facts from RGOS `show running-config`."""
    raw = run_template(RGOS_CONFIG, text)
    vlans = frozenset().union(*(vlan_set(v["vlans"]) for v in _items(raw.get("vlans"))))
    interfaces = {}
    for port in _items(raw.get("interfaces")):
        trunk = port.get("link_type") == "trunk"
        allowed = trunk_vlans(str(port.get("allowed", "")).splitlines()) if trunk else frozenset()
        interfaces[port["name"]] = _port(port["name"], port.get("link_type"), allowed)
    return switch_facts(vlans, interfaces, None)


def parse_rgos_version(text: str) -> Version:
    """`show version`; ValueError when it names no Ruijie model or no RGOS release."""
    system: dict[str, Any] = next(iter(_items(run_template(RGOS_VERSION, text).get("system"))), {})
    model = _RGOS_MODEL.search(system.get("description", ""))
    release = _RGOS_RELEASE.search(system.get("software", ""))
    if model is None or release is None:
        raise ValueError("no 'System description ... (<model>) By Ruijie Networks' or RGOS release line")
    return Version(vrp=release.group(1), model=model.group(1).strip(), product=system["software"])
