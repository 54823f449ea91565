"""The inventory: a Nornir SimpleInventory, checked per role before any device is touched.

Nornir resolves host > groups > defaults and accepts anything. Here the same files are read
with the same YAML parser (ruamel, duplicate keys refused), each host's resolved data is
validated with the model of its role, and what a device would refuse (two sites'
sub-interfaces on one trunk, a VAP bound twice) or what would leave a site half served (a
switch with no BRAS) is refused with one line naming the file, the entry and the field.
"""

from __future__ import annotations

import difflib
import functools
import ipaddress
import operator
import re
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, Field, ValidationError

from ssid_rollout.errors import InputError
from ssid_rollout.model import STAGE_ORDER, Device, Role, SiteAttachment, Vap
from ssid_rollout.spec import (
    AP_RANGE,
    RADIO_RANGE,
    REGION_RANGE,
    WLAN_RANGE,
    IPv4Text,
    Name,
    Port,
    ServiceSpec,
    StrictModel,
    cli_text,
    description_text,
    field_path,
    first_error,
    flatten_overrides,
    parse_yaml,
)

if TYPE_CHECKING:
    from nornir.core import Nornir
    from nornir.core.filter import F_BASE
    from nornir.core.inventory import Host, Inventory

HOSTS_FILE, GROUPS_FILE, DEFAULTS_FILE = "hosts.yaml", "groups.yaml", "defaults.yaml"
DEFAULT_SSH_PORT = 22
#: Keys that describe the whole inventory, not a host: only in defaults.yaml.
DEFAULTS_ONLY = ("special_sites", "window", "timezone")
#: Keys that would put a credential in the inventory; refused wherever they appear.
CREDENTIAL_KEYS = {
    "password": "plain-text password refused: use SSID_ROLLOUT_PASSWORD or the keyring",
    "secret": "plain-text secret refused: use SSID_ROLLOUT_PASSWORD or the keyring",
    "username": "credentials come from SSID_ROLLOUT_USERNAME or the keyring, not the inventory",
    "radius_key": "RADIUS keys come from SSID_ROLLOUT_RADIUS_KEY_<HOST> or the keyring",
    "shared_key": "RADIUS keys come from SSID_ROLLOUT_RADIUS_KEY_<HOST> or the keyring",
}

_IDENTIFIER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_DNS_LABEL = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?")
_PORT_NAME = (
    r"(?:(?:GigabitEthernet|XGigabitEthernet|MultiGE|25GE|40GE|100GE|Ethernet)\d{1,2}/\d{1,2}/\d{1,3}"
    r"|Eth-Trunk\d{1,3})"
)
_INTERFACE = re.compile(_PORT_NAME)
_SUBINTERFACE = re.compile(rf"{_PORT_NAME}\.(\d{{1,4}})")
_WINDOW = re.compile(r"([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)")
_TIMEZONE = re.compile(r"[A-Za-z][A-Za-z0-9_+-]*(?:/[A-Za-z0-9_+-]+){0,2}")


# --- field types --------------------------------------------------------------------------


def _identifier(value: str) -> str:
    """Host, group and site names end up in file names and environment variable names."""
    if not _IDENTIFIER.fullmatch(value):
        raise ValueError("must be 1-64 characters of A-Z a-z 0-9 _ . - starting with a letter or digit")
    return value


def _hostname(value: str) -> str:
    try:
        ipaddress.ip_address(value)
        return value
    except ValueError:
        pass
    labels = value.split(".")
    if len(value) > 253 or not all(_DNS_LABEL.fullmatch(label) for label in labels) or labels[-1].isdigit():
        raise ValueError("must be an IP address or a DNS name")
    return value


def _interface(value: str) -> str:
    if not _INTERFACE.fullmatch(value):
        raise ValueError(
            "must be an interface name like GigabitEthernet0/0/1, XGigabitEthernet0/0/1 or Eth-Trunk1"
        )
    return value


def _subinterface(value: str) -> str:
    match = _SUBINTERFACE.fullmatch(value)
    if not match or not 1 <= int(match.group(1)) <= 4096:
        raise ValueError("must be a sub-interface like Eth-Trunk5.807 (number 1-4096)")
    return value


def _sysname(value: str) -> str:
    """The device's own name (`sysname`), compared with what its prompt shows."""
    return cli_text(value, max_bytes=246)


def _window(value: str) -> str:
    match = _WINDOW.fullmatch(value)
    if not match:
        raise ValueError("must be HH:MM-HH:MM (24 h), e.g. 01:00-05:00")
    if match.group(1, 2) == match.group(3, 4):
        raise ValueError("must not start and end at the same time")
    return value


def _timezone(value: str) -> str:
    """An IANA zone name; checked against the zone database when the machine has one."""
    if not _TIMEZONE.fullmatch(value):
        raise ValueError("must be an IANA time zone like Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(value)
    except (ValueError, OSError, zoneinfo.ZoneInfoNotFoundError):
        if zoneinfo.available_timezones():
            raise ValueError("must be an IANA time zone like Asia/Shanghai") from None
    return value


Identifier = Annotated[str, AfterValidator(_identifier)]
Hostname = Annotated[str, AfterValidator(_hostname)]
Interface = Annotated[str, AfterValidator(_interface)]
SubInterface = Annotated[str, AfterValidator(_subinterface)]
Platform = Literal["huawei", "huawei_vrpv8"]


# --- file entries (what Nornir reads) -----------------------------------------------------


class _ConnectionOptions(StrictModel):
    hostname: Hostname | None = None
    port: Port | None = None
    platform: Platform | None = None
    extras: dict[str, Any] | None = None


class _DefaultsEntry(StrictModel):
    hostname: Hostname | None = None
    port: Port | None = None
    platform: Platform | None = None
    data: dict[str, Any] | None = None
    connection_options: dict[str, _ConnectionOptions] | None = None


class _Entry(_DefaultsEntry):
    groups: list[Identifier] = []


class _Settings(StrictModel):
    special_sites: dict[Identifier, Annotated[str, AfterValidator(description_text)]] = {}
    window: Annotated[str, AfterValidator(_window)] | None = None
    timezone: Annotated[str, AfterValidator(_timezone)] | None = None


# --- host data per role -------------------------------------------------------------------


class _Common(StrictModel):
    model: Name
    department: Name
    sysname: Annotated[str, AfterValidator(_sysname)] | None = None
    service: dict[str, Any] | None = None
    lab_faults: dict[str, Any] | None = None  # read by the lab simulator only


class _SwitchSite(StrictModel):
    trunk_ports: Annotated[list[Interface], Field(min_length=1)]


class _BrasSite(StrictModel):
    subinterface: SubInterface


class _Vap(StrictModel):
    ap: Annotated[int, Field(ge=AP_RANGE[0], le=AP_RANGE[1])]
    radio: Annotated[int, Field(ge=RADIO_RANGE[0], le=RADIO_RANGE[1])]
    wlan: Annotated[int, Field(ge=WLAN_RANGE[0], le=WLAN_RANGE[1])]


class _AcSite(StrictModel):
    region: Annotated[int, Field(ge=REGION_RANGE[0], le=REGION_RANGE[1])]
    vaps: Annotated[list[_Vap], Field(min_length=1)]


class _Bras(_Common):
    bras_id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")]
    nas_ip: IPv4Text


class _SwitchOne(_Common, _SwitchSite):
    site: Identifier


class _SwitchMany(_Common):
    sites: Annotated[dict[Identifier, _SwitchSite], Field(min_length=1)]


class _BrasOne(_Bras, _BrasSite):
    site: Identifier


class _BrasMany(_Bras):
    sites: Annotated[dict[Identifier, _BrasSite], Field(min_length=1)]


class _AcOne(_Common, _AcSite):
    site: Identifier


class _AcMany(_Common):
    sites: Annotated[dict[Identifier, _AcSite], Field(min_length=1)]


#: (one site: `data.site` + the site's fields, several sites: `data.sites: {SITE: {...}}`)
_ROLE_MODELS: dict[Role, tuple[type[_Common], type[_Common]]] = {
    "switch": (_SwitchOne, _SwitchMany),
    "bras": (_BrasOne, _BrasMany),
    "ac": (_AcOne, _AcMany),
}


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
        suffix = "" if self._origin(field) == self.origin else f" (host {self.name})"
        return InputError(self.where(field), message + suffix)


@dataclass(frozen=True)
class LoadedInventory:
    """Everything the inventory says, validated: devices, each host's service, the settings."""

    devices: dict[str, Device]
    specs: dict[str, ServiceSpec]  # the service with each host's overrides applied
    special_sites: dict[str, str]
    settings: dict[str, str | None]  # window, timezone
    nornir: Inventory = field(repr=False, compare=False)  # the same hosts, for make_nornir


# --- loading ------------------------------------------------------------------------------


def load_devices(inventory_dir: Path, spec: ServiceSpec) -> dict[str, Device]:
    """The validated devices of an inventory folder, by host name."""
    return load_inventory(inventory_dir, spec).devices


def load_inventory(inventory_dir: Path, spec: ServiceSpec) -> LoadedInventory:
    """Read, resolve (the Nornir way) and validate an inventory folder against a service.

    Each file is parsed once: the Nornir inventory is built from the same data (at 1,000 hosts
    a YAML parse takes most of a second, and Nornir's own loader would parse again).
    """
    hosts_file, groups_file, defaults_file = _paths(inventory_dir)
    hosts_data = _read_yaml(hosts_file, required=True)
    groups_data = _read_yaml(groups_file, required=False)
    defaults_data = _read_yaml(defaults_file, required=False)
    raw_hosts = _entries(hosts_file, hosts_data)
    if not raw_hosts:
        raise InputError(f"{hosts_file}: (document)", "lists no hosts")
    raw_groups = _entries(groups_file, groups_data)
    settings = _settings(defaults_file, defaults_data)
    for name, group in raw_groups.items():
        _refuse_address(f"{groups_file}: {name}.", group)
    _refuse_address(f"{defaults_file}: ", _DefaultsEntry.model_validate(defaults_data))
    _check_group_references(hosts_file, raw_hosts, groups_file, raw_groups)
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
    for site in settings.special_sites:
        if site not in site_fields:
            raise InputError(
                f"{defaults_file}: data.special_sites.{site}",
                "names a site no host serves" + _hint(site, site_fields),
            )
    return LoadedInventory(
        devices=devices,
        specs=specs,
        special_sites=dict(settings.special_sites),
        settings={"window": settings.window, "timezone": settings.timezone},
        nornir=inventory,
    )


def nornir_inventory(
    hosts: Mapping[str, Any], groups: Mapping[str, Any], defaults: Mapping[str, Any]
) -> Inventory:
    """What Nornir's SimpleInventory builds from these files' data, without parsing them again."""
    from nornir.core.inventory import Group, Groups, Host, Hosts, Inventory, ParentGroups
    from nornir.plugins.inventory.simple import _get_defaults, _get_inventory_element

    base = _get_defaults(dict(defaults))
    built_groups = Groups({n: _get_inventory_element(Group, g, n, base) for n, g in groups.items()})
    built_hosts = Hosts({n: _get_inventory_element(Host, h, n, base) for n, h in hosts.items()})
    for data, built in ((groups, built_groups), (hosts, built_hosts)):
        for name, item in built.items():
            item.groups = ParentGroups([built_groups[g] for g in data[name].get("groups") or ()])
    return Inventory(hosts=built_hosts, groups=built_groups, defaults=base)


def special_sites(inventory_dir: Path) -> dict[str, str]:
    """Sites (schools, dormitories) whose own managers must be coordinated: {site: reason}."""
    return dict(_read_settings(_paths(inventory_dir)[2]).special_sites)


def inventory_settings(inventory_dir: Path) -> dict[str, str | None]:
    """The maintenance window (`HH:MM-HH:MM`) and its time zone from defaults.yaml, or None."""
    settings = _read_settings(_paths(inventory_dir)[2])
    return {"window": settings.window, "timezone": settings.timezone}


def _paths(inventory_dir: Path) -> tuple[Path, Path, Path]:
    if not inventory_dir.is_dir():
        raise InputError(
            f"{inventory_dir}: (folder)",
            "is not an inventory folder (hosts.yaml, groups.yaml, defaults.yaml)",
        )
    return inventory_dir / HOSTS_FILE, inventory_dir / GROUPS_FILE, inventory_dir / DEFAULTS_FILE


def _read_yaml(path: Path, *, required: bool) -> dict[Any, Any]:
    """The file as Nornir will read it (ruamel, safe), refused if it holds a credential."""
    import ruamel.yaml

    if not required and not path.exists():
        return {}
    data = parse_yaml(path, ruamel.yaml.YAML(typ="safe").load, ruamel.yaml.YAML(typ="safe").compose)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: (document)", "must be a mapping of names to entries")
    try:
        _refuse_credentials(path, data, ())
    except RecursionError:
        raise InputError(f"{path}: (document)", "nested too deeply") from None
    return data


def _refuse_credentials(path: Path, node: Any, loc: tuple[int | str, ...]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _refuse_credentials(path, item, (*loc, index))
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.lower() in CREDENTIAL_KEYS:
                raise InputError(f"{path}: {field_path((*loc, key))}", CREDENTIAL_KEYS[key.lower()])
            _refuse_credentials(path, value, (*loc, str(key)))


def _entries(path: Path, data: Mapping[Any, Any]) -> dict[str, _Entry]:
    entries = {}
    for name, entry in data.items():
        try:
            _identifier(name if isinstance(name, str) else "")
        except ValueError as exc:
            raise InputError(f"{path}: {field_path((str(name),))}", f"a name {exc}") from None
        if not isinstance(entry, dict):
            raise InputError(f"{path}: {name}", "must be a mapping (hostname, platform, groups, data ...)")
        try:
            entries[name] = _Entry.model_validate(entry)
        except ValidationError as exc:
            where, message = first_error(exc)
            raise InputError(f"{path}: {name}.{where}", message) from None
    return entries


def _read_settings(path: Path) -> _Settings:
    return _settings(path, _read_yaml(path, required=False))


def _settings(path: Path, raw: Mapping[str, Any]) -> _Settings:
    """special_sites, window and timezone from defaults.yaml (defaults only)."""
    try:
        entry = _DefaultsEntry.model_validate(raw)
    except ValidationError as exc:
        where, message = first_error(exc)
        raise InputError(f"{path}: {where}", message) from None
    data = entry.data or {}
    try:
        return _Settings.model_validate({key: data[key] for key in DEFAULTS_ONLY if key in data})
    except ValidationError as exc:
        where, message = first_error(exc)
        raise InputError(f"{path}: data.{where}", message) from None


def _refuse_address(where: str, entry: _DefaultsEntry) -> None:
    """A group or the defaults must not say where a device is: one line there would silently send
    every member's session to one address. Nornir allows it; a plain `port` stays allowed."""
    for plugin, options in (entry.connection_options or {}).items():
        for key in ("hostname", "port"):
            if getattr(options, key) is not None:
                raise InputError(
                    f"{where}connection_options.{plugin}.{key}",
                    "a device's address belongs in its own host entry, not in a group or the defaults",
                )


def _check_group_references(
    hosts_file: Path, hosts: Mapping[str, _Entry], groups_file: Path, groups: Mapping[str, _Entry]
) -> None:
    for path, entries in ((hosts_file, hosts), (groups_file, groups)):
        for name, entry in entries.items():
            for index, group in enumerate(entry.groups):
                if group not in groups:
                    raise InputError(
                        f"{path}: {name}.groups[{index}]", f"unknown group {group!r}" + _hint(group, groups)
                    )

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            raise InputError(f"{groups_file}: {name}.groups", "group cycle: " + " -> ".join((*trail, name)))
        for parent in groups[name].groups:
            visit(parent, (*trail, name))

    for name in groups:
        visit(name, ())


def _hint(name: str, known: Iterable[str]) -> str:
    """The name the operator probably meant: one it abbreviates, else the closest."""
    names = sorted(known)
    close = [n for n in names if n.lower().startswith(name.lower())] or difflib.get_close_matches(
        name, names, n=1
    )
    return f" (did you mean {close[0]}?)" if close else ""


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
            raise check.fail(key, f"belongs in {DEFAULTS_FILE} only")
    return check


def _role(host: Host, origin: _Origin) -> Role:
    names = [group.name for group in host.extended_groups()]
    roles = [role for role in STAGE_ORDER if role in names]
    if len(roles) != 1:
        found = ", ".join(roles) or "none"
        raise InputError(
            origin.at("groups"), f"needs exactly one role group among bras, switch, ac (found {found})"
        )
    return roles[0]


def _site_key(check: _HostCheck) -> str:
    return "sites" if "sites" in check.data else "site"


def _device(host: Host, role: Role, check: _HostCheck, vlan: int) -> Device:
    if "site" in check.data and "sites" in check.data:
        raise check.fail("sites", "use either data.site (one site) or data.sites (several), not both")
    many = "sites" in check.data
    model = _ROLE_MODELS[role][many]
    try:
        data = model.model_validate(check.data)
    except ValidationError as exc:
        raise check.fail(*first_error(exc, missing=f"missing: every {role} needs it")) from None
    sites = {site: _attachment(site, part) for site, part in _parts(data).items()}
    _check_attachments(check, many, sites, vlan)
    hostname, port = _address(host, check.origin)
    platform = host.platform
    if hostname is None or platform is None:
        missing = "hostname" if hostname is None else "platform"
        raise InputError(check.origin.at(missing), f"missing: every {role} needs it")
    return Device(
        name=host.name,
        role=role,
        platform=platform,
        model=data.model,
        department=data.department,
        hostname=hostname,
        port=port,
        sites=sites,
        bras_id=getattr(data, "bras_id", None),
        nas_ip=getattr(data, "nas_ip", None),
        groups=tuple(group.name for group in host.extended_groups()),
        sysname=data.sysname,
    )


def _address(host: Host, origin: _Origin) -> tuple[str | None, int]:
    """Where the host's sessions go: its hostname and port, or what its own connection options say
    instead (every plugin the same address: two would mean two devices)."""
    default = (host.hostname, host.port or DEFAULT_SSH_PORT)
    given = {
        (options.hostname or default[0], options.port or default[1])
        for options in host.connection_options.values()
        if options.hostname is not None or options.port is not None
    }
    if len(given) > 1:
        raise InputError(origin.at("connection_options"), "two plugins give two different addresses")
    return next(iter(given), default)


def _parts(data: _Common) -> Mapping[str, Any]:
    """{site: the model holding that site's fields}, for either way of writing them."""
    if isinstance(data, _SwitchMany | _BrasMany | _AcMany):
        return data.sites
    assert isinstance(data, _SwitchOne | _BrasOne | _AcOne)
    return {data.site: data}


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
            raise check.fail(at(site, name), f"{problem} (also under site {seen[key]})")
        seen[key] = site

    for site, part in sites.items():
        for port in part.trunk_ports:
            once(("port", port), site, "trunk_ports", f"{port} is listed twice")
        if part.subinterface:
            parent = part.subinterface.split(".", 1)[0]
            once(("sub", part.subinterface), site, "subinterface", f"{part.subinterface} is used twice")
            once(
                ("trunk", parent),
                site,
                "subinterface",
                f"two sub-interfaces with user-vlan {vlan} on {parent}",
            )
        if part.region is not None:
            once(("region", part.region), site, "region", f"region {part.region} is used twice")
        for ap in sorted({vap.ap for vap in part.vaps}):
            once(("ap", ap), site, "vaps", f"AP {ap} is listed under two sites")
        radios: set[tuple[int, int]] = set()
        for index, vap in enumerate(part.vaps):
            if (vap.ap, vap.radio) in radios:
                raise check.fail(at(site, f"vaps[{index}]"), f"AP {vap.ap} radio {vap.radio} is bound twice")
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
            raise InputError(where, "must be a mapping of overridable playbook keys")
        for key, value in flatten_overrides(overrides, where).items():
            merged[key] = value
            sources[key] = where
    return spec.for_device(merged, where=check.origin.at("data.service"), sources=sources)


# --- the whole fleet ----------------------------------------------------------------------


def _check_fleet(devices: Mapping[str, Device], hosts_file: Path, site_fields: Mapping[str, str]) -> None:
    unique: dict[tuple[str, object], str] = {}
    for name, device in devices.items():
        for label, value in (
            ("hostname", (_normal_address(device.hostname), device.port)),
            ("data.bras_id", device.bras_id),
            ("data.nas_ip", device.nas_ip),
        ):
            if value is None:
                continue
            other = unique.setdefault((label, value), name)
            if other != name:
                what = "same address and port as" if label == "hostname" else "same as"
                raise InputError(f"{hosts_file}: {name}.{label}", f"{what} host {other}'s")
    # the site with the fewest hosts first: a typo in one host's site makes a site of one host
    # (named at that host's field) and leaves a role missing at the site it meant
    by_size = sorted(sites_of(devices).items(), key=lambda item: (sum(map(len, item[1].values())), item[0]))
    for site, roles in by_size:
        missing = [role for role in STAGE_ORDER if not roles.get(role)]
        if missing:
            have = "; ".join(f"{role} {', '.join(hosts)}" for role, hosts in roles.items())
            raise InputError(
                site_fields[site], f"site {site} has no {' and no '.join(missing)} serving it (has {have})"
            )


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


# --- selection ----------------------------------------------------------------------------


def select(
    devices: Mapping[str, Device],
    *,
    hosts: Iterable[str] = (),
    groups: Iterable[str] = (),
    sites: Iterable[str] = (),
    departments: Iterable[str] = (),
) -> dict[str, Device]:
    """Devices matching every given kind of filter (any value within a kind).

    A name that matches nothing is refused: a typo in a filter must not quietly select nothing.
    """
    wanted = {
        "hosts": set(hosts),
        "groups": set(groups),
        "sites": set(sites),
        "departments": set(departments),
    }
    known = {
        "hosts": set(devices),
        "groups": {group for device in devices.values() for group in device.groups},
        "sites": {site for device in devices.values() for site in device.sites},
        "departments": {device.department for device in devices.values()},
    }
    for kind, names in wanted.items():
        for name in sorted(names - known[kind]):
            raise InputError(f"filter {kind}", f"no host matches {name!r}" + _hint(name, known[kind]))

    def matches(name: str, device: Device) -> bool:
        return (
            (not wanted["hosts"] or name in wanted["hosts"])
            and (not wanted["groups"] or bool(wanted["groups"].intersection(device.groups)))
            and (not wanted["sites"] or bool(wanted["sites"].intersection(device.sites)))
            and (not wanted["departments"] or device.department in wanted["departments"])
        )

    return {name: device for name, device in devices.items() if matches(name, device)}


def nornir_filter(
    hosts: Iterable[str] = (),
    groups: Iterable[str] = (),
    sites: Iterable[str] = (),
    departments: Iterable[str] = (),
) -> F_BASE:
    """The same selection as `select`, as a Nornir F object for `nr.filter(...)`."""
    from nornir.core.filter import F

    def any_of(filters: Iterable[F_BASE]) -> F_BASE:
        return functools.reduce(operator.or_, filters)

    parts: list[F_BASE] = []
    if hosts:
        parts.append(F(name__in=list(hosts)))
    if groups:
        parts.append(any_of(F(has_parent_group=group) for group in groups))
    if sites:
        parts.append(any_of(F(site=site) | F(sites__contains=site) for site in sites))
    if departments:
        parts.append(F(department__in=list(departments)))
    return functools.reduce(operator.and_, parts, F())


def make_nornir(source: Path | Inventory, workers: int) -> Nornir:
    """Nornir over an inventory folder (or its loaded inventory), threaded, with its ./nornir.log
    turned off (it would leak)."""
    from nornir.core import Nornir
    from nornir.core.configuration import Config, LoggingConfig, RunnerConfig
    from nornir.core.state import GlobalState
    from nornir.plugins.runners import ThreadedRunner

    if workers < 1:
        raise InputError("--workers", "must be at least 1")
    if isinstance(source, Path):
        hosts, groups, defaults = _paths(source)
        source = nornir_inventory(
            _read_yaml(hosts, required=True),
            _read_yaml(groups, required=False),
            _read_yaml(defaults, required=False),
        )
    return Nornir(
        inventory=source,
        runner=ThreadedRunner(num_workers=workers),
        config=Config(
            logging=LoggingConfig(enabled=False),
            runner=RunnerConfig(plugin="threaded", options={"num_workers": workers}),
        ),
        data=GlobalState(),
    )
