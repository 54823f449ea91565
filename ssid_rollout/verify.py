"""Compare what a device shows with the service description.

Verification never searches the configuration for the pushed text: parse.py turns the device's
own display into typed facts and each property the service needs becomes one Fact with the
value the spec expects and the value the device shows. The same fact names come out whatever
the device shows (a missing container gives "absent" for each of its settings), so a report can
compare runs fact by fact. Values are compared as the device's semantics define them: VLAN
lists as sets, the RADIUS key as present or not (its cipher text differs per device).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

from .model import SHARED, Device, Fact, SiteAttachment
from .parse import ConfigFacts, Domain, RadiusGroup, RadiusServer

if TYPE_CHECKING:
    from .spec import ServiceSpec

ABSENT = "absent"
PRESENT = "present"
#: The service's RADIUS servers carry weight 0 (mission.md reference configuration; render writes it).
RADIUS_WEIGHT = 0

Check = tuple[str, str, str, str]  # name, expected, found, owner


def verify_device(
    device: Device, spec: ServiceSpec, facts: ConfigFacts, sites: Iterable[str] | None = None
) -> list[Fact]:
    """Facts of `device` for the service `spec` (a ServiceSpec, overrides already applied).

    Shared objects (owner SHARED) are always checked; site attachments only for the sites in
    `sites` (all of the device's sites when None).
    """
    chosen = None if sites is None else set(sites)
    attachments = [att for name, att in device.sites.items() if chosen is None or name in chosen]
    return [
        Fact(device.name, name, expected, found, owner)
        for name, expected, found, owner in _CHECKS[device.role](spec, facts, attachments)
    ]


def _text(value: object) -> str:
    return ABSENT if value is None else str(value)


def _presence(present: bool) -> str:
    return PRESENT if present else ABSENT


def _on_off(flag: bool | None) -> str:
    return ABSENT if flag is None else ("on" if flag else "off")


def _vlan_text(vlans: frozenset[int]) -> str:
    """`806`, `900-910` or `10,20`: short enough for a report column."""
    if not vlans:
        return ABSENT
    low, high = min(vlans), max(vlans)
    if len(vlans) > 1 and len(vlans) == high - low + 1:
        return f"{low}-{high}"
    return ",".join(str(v) for v in sorted(vlans))


def _switch(spec: ServiceSpec, facts: ConfigFacts, attachments: list[SiteAttachment]) -> Iterator[Check]:
    # DESIGN.md counts the switch's VLAN among each site's attachments: every site checks it.
    for att in attachments:
        yield f"vlan {spec.vlan} exists", PRESENT, _presence(spec.vlan in facts.vlans), att.site
        for port in att.trunk_ports:
            interface = facts.interfaces.get(port)
            if interface is None:
                found = "interface absent"
            else:
                found = "allowed" if spec.vlan in interface.allow_pass else "not allowed"
            yield f"trunk {port} allows {spec.vlan}", "allowed", found, att.site


def _servers(servers: tuple[RadiusServer, ...] | None) -> str:
    return ", ".join(f"{s.ip} {s.port} weight {s.weight}" for s in sorted(servers or ())) or ABSENT


def _portal_port(ports: dict[str, int | None], server: str) -> str:
    if server not in ports:
        return ABSENT
    port = ports[server]
    return "no port" if port is None else f"port {port}"


_KEY_FORMS = {"cipher": "configured (cipher)", "plain": "configured (plain text)"}


def _key(group: RadiusGroup | None) -> str:
    """Whether a key is configured, never the key: the device shows only its cipher text."""
    if group is None:
        return ABSENT
    return _KEY_FORMS.get(group.key_form or "", "missing")


def _bras_shared(spec: ServiceSpec, facts: ConfigFacts) -> Iterator[Check]:
    portal, radius = spec.portal, spec.radius
    found_port = _portal_port(facts.web_auth_servers, portal.server)
    yield f"web-auth-server {portal.server}", f"port {portal.port}", found_port, SHARED

    group = facts.radius_groups.get(radius.group)
    prefix = f"radius-server group {radius.group}"
    yield prefix, PRESENT, _presence(group is not None), SHARED
    yield (
        f"{prefix} authentication",
        f"{radius.server} {radius.auth_port} weight {RADIUS_WEIGHT}",
        _servers(group.auth_servers if group else None),
        SHARED,
    )
    yield (
        f"{prefix} accounting",
        f"{radius.server} {radius.acct_port} weight {RADIUS_WEIGHT}",
        _servers(group.acct_servers if group else None),
        SHARED,
    )
    yield f"{prefix} shared-key", "configured (cipher)", _key(group), SHARED
    yield (
        f"{prefix} class-as-car",
        _on_off(radius.class_as_car),
        _on_off(group.class_as_car if group else None),
        SHARED,
    )
    yield (
        f"{prefix} user-name domain-included",
        _on_off(radius.user_name_domain_included),
        _on_off(group.user_name_domain_included if group else None),
        SHARED,
    )

    pre, auth = spec.domains.pre_auth, spec.domains.auth
    yield from _domain(
        facts,
        pre.name,
        {
            "authentication-scheme": pre.authentication_scheme,
            "accounting-scheme": pre.accounting_scheme,
            "ip-pool": spec.ip_pool,
            "user-group": spec.user_group,
            "web-server": portal.server,
            "web-server url": portal.url,
            "web-server url-parameter": _on_off(portal.url_parameter),
            "web-server mode": portal.mode,
            **{f"web-server redirect-key {k}": v for k, v in portal.redirect_keys.items()},
        },
    )
    yield from _domain(
        facts,
        auth.name,
        {
            "authentication-scheme": auth.authentication_scheme,
            "accounting-scheme": auth.accounting_scheme,
            "radius-server group": radius.group,
        },
    )

    rules = facts.acls.get(spec.acl.number, {})
    rule = f"permit ip source user-group {spec.user_group} destination ip-address {portal.server} 0"
    found = rules.get(spec.acl.rule)
    yield (
        f"acl {spec.acl.number} rule {spec.acl.rule}",
        rule,
        " ".join(found.split()) if found else ABSENT,
        SHARED,
    )


def _domain_settings(domain: Domain) -> dict[str, object]:
    """A parsed domain's settings under the names its configuration lines give them."""
    return {
        "authentication-scheme": domain.authentication_scheme,
        "accounting-scheme": domain.accounting_scheme,
        "ip-pool": domain.ip_pool,
        "user-group": domain.user_group,
        "web-server": domain.web_server,
        "web-server url": domain.web_url,
        "web-server url-parameter": _on_off(domain.url_parameter),
        "web-server mode": domain.web_mode,
        "radius-server group": domain.radius_group,
        **{f"web-server redirect-key {k}": v for k, v in domain.redirect_keys.items()},
    }


def _domain(facts: ConfigFacts, name: str, expected: dict[str, str]) -> Iterator[Check]:
    domain = facts.domains.get(name)
    yield f"domain {name}", PRESENT, _presence(domain is not None), SHARED
    shown = _domain_settings(domain) if domain else {}
    for setting, value in expected.items():
        yield f"domain {name} {setting}", value, _text(shown.get(setting)), SHARED


def _bras_site(spec: ServiceSpec, facts: ConfigFacts, att: SiteAttachment) -> Iterator[Check]:
    name = att.subinterface
    interface = facts.interfaces.get(name or "")
    bas = interface.bas if interface else None
    pre, auth = spec.domains.pre_auth.name, spec.domains.auth.name
    access_type = bas.access_type.split()[0] if bas and bas.access_type else None
    checks: list[tuple[str, str, object]] = [
        ("", PRESENT, _presence(interface is not None)),
        (" description", spec.bras.subinterface_description, interface and interface.description),
        (" user-vlan", str(spec.vlan), _vlan_text(interface.user_vlans) if interface else None),
        (" bas access-type", "layer2-subscriber", access_type),
        (" bas pre-authentication domain", pre, bas and bas.pre_auth_domain),
        (" bas authentication domain", auth, bas and bas.auth_domain),
        (" bas roam-domain", auth, bas and bas.roam_domain),
        (
            " bas authentication-method",
            "web",
            " ".join(bas.auth_methods) if bas and bas.auth_methods else None,
        ),
    ]
    for suffix, expected, found in checks:
        yield f"interface {name}{suffix}", expected, _text(found), att.site


def _bras(spec: ServiceSpec, facts: ConfigFacts, attachments: list[SiteAttachment]) -> Iterator[Check]:
    yield from _bras_shared(spec, facts)
    for att in attachments:
        yield from _bras_site(spec, facts, att)


def _ac(spec: ServiceSpec, facts: ConfigFacts, attachments: list[SiteAttachment]) -> Iterator[Check]:
    ess_id = spec.ess.id
    yield f"vlan {spec.vlan} exists", PRESENT, _presence(spec.vlan in facts.vlans), SHARED
    ess = facts.ess.get(ess_id)
    yield f"ess {ess_id}", PRESENT, _presence(ess is not None), SHARED
    settings: list[tuple[str, object, object]] = [
        ("name", spec.ess.name, ess and ess.name),
        ("ssid", spec.ssid, ess and ess.ssid),
        ("traffic-profile", spec.ess.traffic_profile, ess and ess.traffic_profile),
        ("security-profile", spec.ess.security_profile, ess and ess.security_profile),
        ("max-user-number", spec.ess.max_users, ess and ess.max_users),
    ]
    for setting, expected, found in settings:
        yield f"ess {ess_id} {setting}", str(expected), _text(found), SHARED
    mapping = facts.vlan_mappings.get(ess_id)
    yield f"vlan-mapping ess {ess_id} mode", "region", _text(mapping and mapping.mode), SHARED
    for att in attachments:
        region = mapping.regions.get(att.region) if mapping and att.region is not None else None
        yield f"vlan-mapping ess {ess_id} region {att.region}", str(spec.vlan), _text(region), att.site
        for vap in att.vaps:
            bound = sorted(
                b.ess_id for b in facts.vaps if (b.ap, b.radio, b.wlan) == (vap.ap, vap.radio, vap.wlan)
            )
            found = ",".join(f"ess {b}" for b in bound) or ABSENT
            yield f"vap ap {vap.ap} radio {vap.radio} wlan {vap.wlan}", f"ess {ess_id}", found, att.site


_CHECKS: dict[str, Callable[[ServiceSpec, ConfigFacts, list[SiteAttachment]], Iterator[Check]]] = {
    "switch": _switch,
    "bras": _bras,
    "ac": _ac,
}
