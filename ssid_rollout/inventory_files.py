"""The inventory's three files: read safely, checked as files, and built into Nornir's inventory.

Each file is parsed once (ruamel, as Nornir does; duplicate keys and alias bombs refused) and the
Nornir inventory is built from the same data with Nornir's public classes; inventory.py then
validates what each host says.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from .errors import InputError
from .hostdata import DefaultsEntry, Entry, Settings, identifier
from .i18n import N_, _
from .yamlfiles import field_path, first_error, parse_yaml

if TYPE_CHECKING:
    from nornir.core.inventory import Inventory

HOSTS_FILE, GROUPS_FILE, DEFAULTS_FILE = "hosts.yaml", "groups.yaml", "defaults.yaml"
#: Keys that describe the whole inventory, not a host: only in defaults.yaml.
DEFAULTS_ONLY = ("special_sites", "window", "timezone", "site_info", "contacts")
#: Keys that would put a credential in the inventory; refused wherever they appear (the message
#: translated where it is raised: `_(CREDENTIAL_KEYS[key])`).
CREDENTIAL_KEYS = {
    "password": N_("plain-text password refused: use SSID_ROLLOUT_PASSWORD(_<HOST>|_<GROUP>) or the keyring"),
    "secret": N_("plain-text secret refused: use SSID_ROLLOUT_PASSWORD or the keyring"),
    "radius_key": N_("RADIUS keys come from SSID_ROLLOUT_RADIUS_KEY_<HOST> or the keyring"),
    "shared_key": N_("RADIUS keys come from SSID_ROLLOUT_RADIUS_KEY_<HOST> or the keyring"),
}


def nornir_inventory(
    hosts: Mapping[str, Any], groups: Mapping[str, Any], defaults: Mapping[str, Any]
) -> Inventory:
    """What Nornir's SimpleInventory builds from these files' data, without parsing them again."""
    from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups

    base = Defaults(**_fields(defaults))
    built_groups = Groups({n: Group(name=n, defaults=base, **_fields(g)) for n, g in groups.items()})
    built_hosts = Hosts({n: Host(name=n, defaults=base, **_fields(h)) for n, h in hosts.items()})
    for built, given in ((built_groups, groups), (built_hosts, hosts)):
        for name, item in built.items():
            item.groups = ParentGroups([built_groups[g] for g in given[name].get("groups") or ()])
    return Inventory(hosts=built_hosts, groups=built_groups, defaults=base)


def _fields(entry: Mapping[str, Any]) -> dict[str, Any]:
    """An inventory entry's keys as Nornir's constructors take them (connection options as objects)."""
    from nornir.core.inventory import ConnectionOptions

    keys = ("hostname", "port", "username", "password", "platform", "data")
    options = entry.get("connection_options") or {}
    return {
        **{key: entry.get(key) for key in keys},
        "connection_options": {name: ConnectionOptions(**dict(o)) for name, o in options.items()},
    }


def paths(inventory_dir: Path) -> tuple[Path, Path, Path]:
    if not inventory_dir.is_dir():
        raise InputError(
            f"{inventory_dir}: (folder)",
            _("is not an inventory folder (hosts.yaml, groups.yaml, defaults.yaml)"),
        )
    return inventory_dir / HOSTS_FILE, inventory_dir / GROUPS_FILE, inventory_dir / DEFAULTS_FILE


def read_yaml(path: Path, *, required: bool) -> dict[Any, Any]:
    """The file as Nornir will read it (ruamel, safe), refused if it holds a credential."""
    import ruamel.yaml

    if not required and not path.exists():
        return {}
    data = parse_yaml(path, ruamel.yaml.YAML(typ="safe").load, ruamel.yaml.YAML(typ="safe").compose)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise InputError(f"{path}: (document)", _("must be a mapping of names to entries"))
    try:
        _refuse_credentials(path, data, ())
    except RecursionError:
        raise InputError(f"{path}: (document)", _("nested too deeply")) from None
    return data


def _refuse_credentials(path: Path, node: Any, loc: tuple[int | str, ...]) -> None:
    if isinstance(node, list):
        for index, item in enumerate(node):
            _refuse_credentials(path, item, (*loc, index))
    elif isinstance(node, dict):
        for key, value in node.items():
            if isinstance(key, str) and key.lower() in CREDENTIAL_KEYS:
                raise InputError(f"{path}: {field_path((*loc, key))}", _(CREDENTIAL_KEYS[key.lower()]))
            _refuse_credentials(path, value, (*loc, str(key)))


def entries(path: Path, data: Mapping[Any, Any]) -> dict[str, Entry]:
    entries = {}
    for name, entry in data.items():
        try:
            identifier(name if isinstance(name, str) else "")
        except ValueError as exc:
            raise InputError(
                f"{path}: {field_path((str(name),))}", _("a name {problem}").format(problem=exc)
            ) from None
        if not isinstance(entry, dict):
            raise InputError(f"{path}: {name}", _("must be a mapping (hostname, platform, groups, data ...)"))
        try:
            entries[name] = Entry.model_validate(entry)
        except ValidationError as exc:
            where, message = first_error(exc)
            raise InputError(f"{path}: {name}.{where}", message) from None
    return entries


def read_settings(path: Path) -> Settings:
    return settings_of(path, read_yaml(path, required=False))


def settings_of(path: Path, raw: Mapping[str, Any]) -> Settings:
    """special_sites, window, timezone, site_info and contacts from defaults.yaml (defaults only)."""
    try:
        entry = DefaultsEntry.model_validate(raw)
    except ValidationError as exc:
        where, message = first_error(exc)
        raise InputError(f"{path}: {where}", message) from None
    data = entry.data or {}
    try:
        return Settings.model_validate({key: data[key] for key in DEFAULTS_ONLY if key in data})
    except ValidationError as exc:
        where, message = first_error(exc)
        raise InputError(f"{path}: data.{where}", message) from None


def refuse_address(where: str, entry: DefaultsEntry) -> None:
    """A group or the defaults must not say where a device is: one line there would silently send
    every member's session to one address. Nornir allows it; a plain `port` stays allowed."""
    for plugin, options in (entry.connection_options or {}).items():
        for key in ("hostname", "port"):
            if getattr(options, key) is not None:
                raise InputError(
                    f"{where}connection_options.{plugin}.{key}",
                    _("a device's address belongs in its own host entry, not in a group or the defaults"),
                )


def check_group_references(
    hosts_file: Path, hosts: Mapping[str, Entry], groups_file: Path, groups: Mapping[str, Entry]
) -> None:
    for path, entries in ((hosts_file, hosts), (groups_file, groups)):
        for name, entry in entries.items():
            for index, group in enumerate(entry.groups):
                if group not in groups:
                    unknown = _("unknown group {group}").format(group=repr(group))
                    raise InputError(f"{path}: {name}.groups[{index}]", unknown + hint(group, groups))

    def visit(name: str, trail: tuple[str, ...]) -> None:
        if name in trail:
            cycle = " -> ".join((*trail, name))
            raise InputError(f"{groups_file}: {name}.groups", _("group cycle: {cycle}").format(cycle=cycle))
        for parent in groups[name].groups:
            visit(parent, (*trail, name))

    for name in groups:
        visit(name, ())


def hint(name: str, known: Iterable[str]) -> str:
    """The name the operator probably meant: one it abbreviates, else the closest."""
    names = sorted(known)
    close = [n for n in names if n.lower().startswith(name.lower())] or difflib.get_close_matches(
        name, names, n=1
    )
    return " " + _("(did you mean {name}?)").format(name=close[0]) if close else ""
