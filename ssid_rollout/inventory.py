"""The inventory: a Nornir SimpleInventory, checked per role before any device is touched.

Nornir resolves host > groups > defaults and accepts anything. Here the same files are read
with the same YAML parser (ruamel, duplicate keys refused), each host's resolved data is
validated with the model of its role, and what a device would refuse (two sites'
sub-interfaces on one trunk, a VAP bound twice) or what would leave a site half served (a
switch with no BRAS) is refused with one line naming the file, the entry and the field.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .errors import InputError
from .hostdata import ROLE_MODELS, DefaultsEntry
from .i18n import N_, _, joined
from .inventory_files import (
    DEFAULTS_FILE,
    DEFAULTS_ONLY,
    check_group_references,
    entries,
    hint,
    nornir_inventory,
    paths,
    read_settings,
    read_yaml,
    refuse_address,
    settings_of,
)
from .model import STAGE_ORDER, Device, JumpHost, Role, SiteAttachment, Vap
from .people import Directory
from .spec import ServiceSpec, flatten_overrides
from .yamlfiles import first_error

if TYPE_CHECKING:
    from nornir.core.inventory import Host, Inventory

    from .inventory_tables import HostTable
    from .platforms import Platform


# --- locations ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Origin:
    """Where a value was written: a file and its entry (None for defaults.yaml)."""

    file: Path
    entry: str | None = None

    def at(self, field: str) -> str:
        return f"{self.file}: {self.entry}.{field}" if self.entry else f"{self.file}: {field}"


@dataclass
class _HostCheck:
    """One host's resolved data, kept with where each top-level key came from."""

    name: str
    origin: _Origin
    data: dict[str, Any]
    origins: dict[str, _Origin]

    def _origin(self, field: str) -> _Origin:
        return self.origins.get(re.split(r"[.\[]", field, maxsplit=1)[0], self.origin)

    def where(self, field: str) -> str:
        return self._origin(field).at(f"data.{field}")

    def fail(self, field: str, message: str) -> InputError:
        suffix = "" if self._origin(field) == self.origin else " " + _("(host {host})").format(host=self.name)
        return InputError(self.where(field), message + suffix)


@dataclass(frozen=True)
class LoadedInventory:
    """Everything the inventory says, validated: devices, each host's service, the settings."""

    devices: dict[str, Device]
    specs: dict[str, ServiceSpec]  # the service with each host's overrides applied
    special_sites: dict[str, str]
    settings: dict[str, str | None]  # window, timezone
    nornir: Inventory = field(repr=False, compare=False)  # the same hosts, for make_nornir
    directory: Directory = field(default_factory=Directory)  # people and places, for the artifacts


# --- loading ------------------------------------------------------------------------------


def load_devices(inventory_dir: Path, spec: ServiceSpec) -> dict[str, Device]:
    """The validated devices of an inventory folder, by host name."""
    return load_inventory(inventory_dir, spec).devices


def load_inventory(inventory_dir: Path, spec: ServiceSpec) -> LoadedInventory:
    """Read, resolve (the Nornir way) and validate an inventory folder against a service.

    Each file is parsed once: the Nornir inventory is built from the same data (at 1,000 hosts
    a YAML parse takes most of a second, and Nornir's own loader would parse again). The device
    list may be a table (hosts.xlsx, hosts.csv): its errors then name the sheet, row and column.
    """
    from .inventory_tables import find_table, read_host_table

    found = find_table(inventory_dir, paths(inventory_dir)[0])
    table = read_host_table(found) if found is not None else None
    try:
        return _load(inventory_dir, spec, table)
    except InputError as exc:
        raise (table.relocate(exc) if table is not None else exc) from None


def _load(inventory_dir: Path, spec: ServiceSpec, table: HostTable | None) -> LoadedInventory:
    hosts_file, groups_file, defaults_file = paths(inventory_dir)
    if table is not None:
        hosts_file, hosts_data = table.path, table.hosts
    else:
        hosts_data = read_yaml(hosts_file, required=True)
    groups_data = read_yaml(groups_file, required=False)
    defaults_data = read_yaml(defaults_file, required=False)
    raw_hosts = entries(hosts_file, hosts_data)
    if not raw_hosts:
        raise InputError(f"{hosts_file}: (document)", _("lists no hosts"))
    raw_groups = entries(groups_file, groups_data)
    settings = settings_of(defaults_file, defaults_data)
    if table is not None:
        settings = table.with_site_names(settings)
    for name, group in raw_groups.items():
        refuse_address(f"{groups_file}: {name}.", group)
    refuse_address(f"{defaults_file}: ", DefaultsEntry.model_validate(defaults_data))
    check_group_references(hosts_file, raw_hosts, groups_file, raw_groups)
    inventory = nornir_inventory(hosts_data, groups_data, defaults_data)

    devices: dict[str, Device] = {}
    specs: dict[str, ServiceSpec] = {}
    site_fields: dict[str, str] = {}
    files = {"host": hosts_file, "group": groups_file, "defaults": defaults_file}
    for name, host in inventory.hosts.items():
        check = _resolve(host, files)
        role = _role(host, _Origin(hosts_file, name))
        devices[name] = _device(host, role, check, spec.vlan)
        specs[name] = _service(host, check, files, spec)
        for site in devices[name].sites:
            site_fields.setdefault(site, check.where(_site_key(check)))
    _check_fleet(devices, hosts_file, site_fields)
    for key in ("special_sites", "site_info"):
        for site in getattr(settings, key):
            if site not in site_fields:
                where = f"{defaults_file}: data.{key}.{site}"
                raise InputError(where, _("names a site no host serves") + hint(site, site_fields))
    directory = Directory.of(settings)
    return LoadedInventory(
        devices=devices,
        specs=specs,
        special_sites={site: entry.reason for site, entry in directory.special.items()},
        settings={"window": settings.window, "timezone": settings.timezone},
        nornir=inventory,
        directory=directory,
    )


def special_sites(inventory_dir: Path) -> dict[str, str]:
    """Sites (schools, dormitories) whose own managers must be coordinated: {site: reason}."""
    special = Directory.of(read_settings(paths(inventory_dir)[2])).special
    return {site: entry.reason for site, entry in special.items()}


# --- one host -----------------------------------------------------------------------------


def _levels(host: Host, files: Mapping[str, Path]) -> list[tuple[dict[str, Any], _Origin]]:
    """Data in Nornir's priority order: the host, its groups (extended), the defaults."""
    return [
        (host.data, _Origin(files["host"], host.name)),
        *((group.data, _Origin(files["group"], group.name)) for group in host.extended_groups()),
        (host.defaults.data, _Origin(files["defaults"])),
    ]


def _resolve(host: Host, files: Mapping[str, Path]) -> _HostCheck:
    origins: dict[str, _Origin] = {}
    for data, origin in _levels(host, files):
        for key in data:
            origins.setdefault(key, origin)
    check = _HostCheck(host.name, _Origin(files["host"], host.name), {}, origins)
    for key, value in host.extended_data().items():
        if key not in DEFAULTS_ONLY:
            check.data[key] = value
        elif origins[key].entry is not None:
            raise check.fail(key, _("belongs in {file} only").format(file=DEFAULTS_FILE))
    return check


def _role(host: Host, origin: _Origin) -> Role:
    names = [group.name for group in host.extended_groups()]
    roles = [role for role in STAGE_ORDER if role in names]
    if len(roles) != 1:
        found = ", ".join(roles) or _("none")
        raise InputError(
            origin.at("groups"),
            _("needs exactly one role group among bras, switch, ac (found {found})").format(found=found),
        )
    return roles[0]


def _site_key(check: _HostCheck) -> str:
    return "sites" if "sites" in check.data else "site"


def _device(host: Host, role: Role, check: _HostCheck, vlan: int) -> Device:
    if "site" in check.data and "sites" in check.data:
        raise check.fail("sites", _("use either data.site (one site) or data.sites (several), not both"))
    many = "sites" in check.data
    model = ROLE_MODELS[role][many]
    try:
        data = model.model_validate(check.data)
    except ValidationError as exc:
        raise check.fail(*first_error(exc, missing=_needed(role))) from None
    sites = {site: _attachment(site, part) for site, part in _parts(data).items()}
    _check_attachments(check, many, sites, vlan)
    hostname, port = _address(host, check.origin)
    if hostname is None or host.platform is None:
        missing = "hostname" if hostname is None else "platform"
        raise InputError(check.origin.at(missing), _needed(role))
    platform = _platform(host.platform, role, check)
    _check_interfaces(check, many, sites, platform)
    return Device(
        name=host.name,
        role=role,
        platform=platform.name,
        model=data.model,
        department=data.department,
        hostname=hostname,
        port=port or platform.port,
        sites=sites,
        bras_id=getattr(data, "bras_id", None),
        nas_ip=getattr(data, "nas_ip", None),
        groups=tuple(group.name for group in host.extended_groups()),
        sysname=data.sysname,
        username=host.username,
        jump=JumpHost(**data.jump_host.model_dump()) if data.jump_host else None,
        telnet_port=data.telnet_port or 23,
        vendor=data.vendor,
        integrator=data.integrator,
        address=data.address,
        dcn=data.dcn,
    )


def _needed(role: Role) -> str:
    return _("missing: every {role} needs it").format(role=role)


def _platform(name: str, role: Role, check: _HostCheck) -> Platform:
    """The registered platform of a Netmiko device_type, if it can hold this role."""
    from .platforms import PLATFORMS

    platform = PLATFORMS.get(name)
    if platform is None:
        where = check.origins.get("platform", check.origin)
        known = ", ".join(sorted(PLATFORMS))
        raise InputError(
            where.at("platform"), _("{name} is not one of {known}").format(name=repr(name), known=known)
        )
    if role not in platform.roles:
        raise InputError(
            check.origin.at("platform"),
            _("{platform} devices cannot be a {role} here").format(platform=name, role=role),
        )
    return platform


def _check_interfaces(
    check: _HostCheck, many: bool, sites: Mapping[str, SiteAttachment], platform: Platform
) -> None:
    """Interface names in the platform's own forms (`10GE1/0/13`, `GigabitEthernet 0/1` ...)."""
    names = platform.interface_re
    like = _("a {platform} interface name like {example}").format(
        platform=platform.name, example=platform.interface_hint
    )
    for site, part in sites.items():
        prefix = f"sites.{site}." if many else ""
        for index, port in enumerate(part.trunk_ports):
            if not names.fullmatch(port):
                raise check.fail(
                    f"{prefix}trunk_ports[{index}]",
                    _("{port} is not {like}").format(port=repr(port), like=like),
                )
        if part.subinterface and not names.fullmatch(part.subinterface.rsplit(".", 1)[0]):
            shown = repr(part.subinterface)
            raise check.fail(
                f"{prefix}subinterface", _("{port} is not on {like}").format(port=shown, like=like)
            )


def _address(host: Host, origin: _Origin) -> tuple[str | None, int | None]:
    """Where the host's sessions go: its hostname and port, or what its own connection options say
    instead (every plugin the same address: two would mean two devices)."""
    default = (host.hostname, host.port)  # no port: the platform's (22 for SSH, 23 for telnet)
    given = {
        (options.hostname or default[0], options.port or default[1])
        for options in host.connection_options.values()
        if options.hostname is not None or options.port is not None
    }
    if len(given) > 1:
        raise InputError(origin.at("connection_options"), _("two plugins give two different addresses"))
    return next(iter(given), default)


def _parts(data: Any) -> Mapping[str, Any]:
    """{site: the model holding that site's fields}, for either way of writing them (a role model)."""
    sites: Mapping[str, Any] | None = getattr(data, "sites", None)
    return sites if sites is not None else {data.site: data}


def _attachment(site: str, part: Any) -> SiteAttachment:
    return SiteAttachment(
        site=site,
        trunk_ports=tuple(getattr(part, "trunk_ports", ())),
        subinterface=getattr(part, "subinterface", None),
        region=getattr(part, "region", None),
        vaps=tuple(Vap(vap.ap, vap.radio, vap.wlan) for vap in getattr(part, "vaps", ())),
    )


def _check_attachments(check: _HostCheck, many: bool, sites: Mapping[str, SiteAttachment], vlan: int) -> None:
    """What one device would refuse or misapply when several sites share it."""

    def at(site: str, name: str) -> str:
        return f"sites.{site}.{name}" if many else name

    seen: dict[tuple[str, object], str] = {}

    def once(key: tuple[str, object], site: str, name: str, problem: str) -> None:
        if key in seen:
            also = _("(also under site {site})").format(site=seen[key])
            raise check.fail(at(site, name), f"{problem} {also}")
        seen[key] = site

    for site, part in sites.items():
        for port in part.trunk_ports:
            once(("port", port), site, "trunk_ports", _("{port} is listed twice").format(port=port))
        if part.subinterface:
            parent = part.subinterface.split(".", 1)[0]
            twice = _("{port} is used twice").format(port=part.subinterface)
            once(("sub", part.subinterface), site, "subinterface", twice)
            both = _("two sub-interfaces with user-vlan {vlan} on {port}").format(vlan=vlan, port=parent)
            once(("trunk", parent), site, "subinterface", both)
        if part.region is not None:
            once(("region", part.region), site, "region", _("region {n} is used twice").format(n=part.region))
        for ap in sorted({vap.ap for vap in part.vaps}):
            once(("ap", ap), site, "vaps", _("AP {ap} is listed under two sites").format(ap=ap))
        radios: set[tuple[int, int]] = set()
        for index, vap in enumerate(part.vaps):
            if (vap.ap, vap.radio) in radios:
                bound = _("AP {ap} radio {radio} is bound twice").format(ap=vap.ap, radio=vap.radio)
                raise check.fail(at(site, f"vaps[{index}]"), bound)
            radios.add((vap.ap, vap.radio))


def _service(host: Host, check: _HostCheck, files: Mapping[str, Path], spec: ServiceSpec) -> ServiceSpec:
    """The service for this host: `data.service` merged key by key, host over groups over defaults."""
    merged: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for data, origin in reversed(_levels(host, files)):
        overrides = data.get("service")
        if overrides is None:
            continue
        where = origin.at("data.service")
        if not isinstance(overrides, dict):
            raise InputError(where, _("must be a mapping of overridable playbook keys"))
        for key, value in flatten_overrides(overrides, where).items():
            merged[key] = value
            sources[key] = where
    return spec.for_device(merged, where=check.origin.at("data.service"), sources=sources)


# --- the whole fleet ----------------------------------------------------------------------


def _check_fleet(devices: Mapping[str, Device], hosts_file: Path, site_fields: Mapping[str, str]) -> None:
    unique: dict[tuple[str, object], str] = {}
    for name, device in devices.items():
        for label, value in (
            ("hostname", (device.jump, _normal_address(device.hostname), device.port)),
            ("data.bras_id", device.bras_id),
            ("data.nas_ip", device.nas_ip),
        ):
            if value is None:
                continue
            other = unique.setdefault((label, value), name)
            if other != name:
                same = (
                    _("same address and port as host {other}'s")
                    if label == "hostname"
                    else _("same as host {other}'s")
                )
                raise InputError(f"{hosts_file}: {name}.{label}", same.format(other=other))
    # the site with the fewest hosts first: a typo in one host's site makes a site of one host
    # (named at that host's field) and leaves a role missing at the site it meant
    by_size = sorted(sites_of(devices).items(), key=lambda item: (sum(map(len, item[1].values())), item[0]))
    for site, roles in by_size:
        missing = [role for role in STAGE_ORDER if not roles.get(role)]
        if missing:
            have = "; ".join(f"{role} {', '.join(hosts)}" for role, hosts in roles.items())
            absent = joined(missing, N_("{first} and no {second}"))
            text = _("site {site} has no {roles} serving it (has {have})")
            raise InputError(site_fields[site], text.format(site=site, roles=absent, have=have))


def _normal_address(hostname: str) -> str:
    """One spelling per address (`2001:DB8::1` is `2001:db8::1`; DNS names ignore case)."""
    try:
        return str(ipaddress.ip_address(hostname))
    except ValueError:
        return hostname.lower().rstrip(".")


def sites_of(devices: Mapping[str, Device]) -> dict[str, dict[Role, list[str]]]:
    """Which hosts serve each site, by role, in stage order: {site: {role: [host, ...]}}."""
    sites: dict[str, dict[Role, list[str]]] = {}
    for name, device in devices.items():
        for site in device.sites:
            sites.setdefault(site, {}).setdefault(device.role, []).append(name)
    return {
        site: {role: sorted(roles[role]) for role in STAGE_ORDER if role in roles}
        for site, roles in sorted(sites.items())
    }
