"""The device list as operators keep it: `hosts.xlsx` or `hosts.csv`, one row per device.

A table is read into the same data a `hosts.yaml` gives, so every check of inventory.py applies as
is; an error it finds (`hosts.xlsx: gz-th-sw01.data.trunk_ports[1]`) is then pointed back at the
cell (`hosts.xlsx: sheet 设备, row 3, column F (trunk_ports[1])`). groups.yaml and defaults.yaml
stay YAML: groups carry the shared values, the table the per-device ones.

A device serving several sites (a BRAS, an AC) takes one row per site: the rows after its first
repeat its name and give only the site's own columns (site, subinterface, region, vaps ...).
nornir-table-inventory reads such files too, but builds Nornir's inventory without our checks,
needs pandas and has no per-site rows; openpyxl and the csv module are enough here.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .hostdata import label_text
from .i18n import _, joined
from .inventory_files import CREDENTIAL_KEYS, hint
from .sheets import Row, Table, cell_text, read_table

if TYPE_CHECKING:
    from .hostdata import Settings

TABLE_FILES = ("hosts.xlsx", "hosts.csv")
#: column -> the headers operators write for it (matched without case, spaces as `_`)
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("host", "设备名", "设备名称", "主机名"),
    "hostname": ("ip", "管理地址", "管理ip"),
    "port": ("端口号",),
    "platform": ("device_type", "平台"),
    "groups": ("组",),
    "role": ("角色", "设备类型"),
    "model": ("型号",),
    "department": ("部门", "归属部门"),
    "vendor": ("厂家", "厂商"),
    "integrator": ("集成商",),
    "address": ("地址", "安装地址"),
    "sysname": (),
    "dcn": ("管理网",),
    "bras_id": (),
    "nas_ip": (),
    "site": ("站点",),
    "site_name": ("站点名称",),
    "trunk_ports": ("端口", "上联端口"),
    "subinterface": ("子接口",),
    "region": ("区域",),
    "vaps": (),
}
#: columns that belong to the device (the same on each of its rows); the rest belong to one site
_ENTRY = ("hostname", "port", "platform", "groups")
_DEVICE_DATA = (
    "model",
    "department",
    "vendor",
    "integrator",
    "address",
    "sysname",
    "dcn",
    "bras_id",
    "nas_ip",
)
_SITE_DATA = ("trunk_ports", "subinterface", "region", "vaps")
_ROLES = {"switch": "switch", "交换机": "switch", "bras": "bras", "ac": "ac"}
_LIST_SPLIT = re.compile(r"[,;，；、\n]+")


@dataclass
class HostTable:
    """hosts.yaml's data, read from a table, and where each value came from."""

    table: Table
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    site_names: dict[str, str] = field(default_factory=dict)
    #: `host.data.field` (as inventory.py names it) -> (row, column index, header)
    cells: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    first_rows: dict[str, int] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return self.table.path

    def with_site_names(self, settings: Settings) -> Settings:
        """defaults.yaml's site_info, with the table's site names where it names none."""
        from .hostdata import SiteInfo

        info = dict(settings.site_info)
        for site, name in self.site_names.items():
            given = info.get(site)
            if given is None or not given.name:
                info[site] = SiteInfo(name=name, address=given.address if given else None)
        return settings.model_copy(update={"site_info": info})

    def relocate(self, exc: InputError) -> InputError:
        """An error about `host.data.field` as one about the cell it was read from."""
        prefix = f"{self.path}: "
        if not exc.where.startswith(prefix):
            return exc
        rest = exc.where[len(prefix) :]
        keys = [k for k in self.cells if rest == k or rest.startswith((k + ".", k + "["))]
        if keys:
            key = max(keys, key=len)
            row, column, header = self.cells[key]
            return InputError(self.table.where(row, column, header + rest[len(key) :]), exc.message)
        host = rest.split(".", 1)[0]
        if host in self.first_rows:
            detail = rest[len(host) + 1 :]
            message = f"{detail}: {exc.message}" if detail else exc.message
            return InputError(self.table.where(self.first_rows[host]), message)
        return exc


def find_table(inventory_dir: Path, yaml_file: Path) -> Path | None:
    """hosts.xlsx or hosts.csv when the folder has one instead of hosts.yaml."""
    found = [inventory_dir / name for name in TABLE_FILES if (inventory_dir / name).is_file()]
    if yaml_file.exists():
        found.append(yaml_file)
    if len(found) > 1:
        names = joined(p.name for p in found)
        raise InputError(f"{inventory_dir}: (folder)", _("has {files}: keep one").format(files=names))
    return found[0] if found and found[0] != yaml_file else None


def read_host_table(path: Path) -> HostTable:
    """The table's devices as hosts.yaml entries; cell types and device rows checked here."""
    table = read_table(path)
    if not table.rows:
        raise InputError(table.where(), _("has no header row and no devices"))
    out = HostTable(table)
    columns = _header(table, table.rows[0])
    for row in table.rows[1:]:
        _add_row(out, columns, row)
    return out


def _header(table: Table, row: Row) -> dict[int, str]:
    """Column index -> column key; an unknown or repeated header is refused, naming the cell."""
    known = {alias: key for key, aliases in COLUMNS.items() for alias in (key, *aliases)}
    columns: dict[int, str] = {}
    for index, cell in enumerate(row.cells):
        text = cell_text(cell)
        if text is None:
            continue
        name = "_".join(text.lower().split())
        where = table.where(row.number, index, text)
        if name in CREDENTIAL_KEYS:
            raise InputError(where, _(CREDENTIAL_KEYS[name]))
        key = known.get(name)
        if key is None:
            raise InputError(where, _("unknown column") + hint(name, COLUMNS))
        if key in columns.values():
            raise InputError(where, _("column {column} is given twice").format(column=key))
        columns[index] = key
    if "name" not in columns.values():
        raise InputError(table.where(row.number), _("the header has no name column (the host name)"))
    return columns


def _add_row(out: HostTable, columns: Mapping[int, str], row: Row) -> None:
    table = out.table
    values: dict[str, tuple[Any, int]] = {}
    for index, key in columns.items():
        cell = row.cells[index] if index < len(row.cells) else None
        convert: Callable[[Any, str], Any] = _CONVERT.get(key, _text)
        value = convert(cell, table.where(row.number, index, key))
        if value is not None:
            values[key] = (value, index)
    if "name" not in values:
        raise InputError(table.where(row.number), _("has no host name"))
    name = str(values.pop("name")[0])
    first = name not in out.hosts
    entry = out.hosts.setdefault(name, {})
    out.first_rows.setdefault(name, row.number)
    out.first_rows.setdefault(repr(name), row.number)  # how an error names a host whose name is refused
    _device_values(out, name, entry, values, row, first)
    _site_values(out, name, entry, values, row)


def _device_values(
    out: HostTable,
    name: str,
    entry: dict[str, Any],
    values: dict[str, tuple[Any, int]],
    row: Row,
    first: bool,
) -> None:
    """Entry keys and device data: given on the device's first row; a later row may only repeat them."""
    role = values.pop("role", None)
    if role is not None:
        groups, index = values.get("groups", ([], role[1]))
        values["groups"] = ([role[0], *(g for g in groups if g != role[0])], index)
    for key in (*_ENTRY, *_DEVICE_DATA):
        if key not in values:
            continue
        value, index = values[key]
        target, path = (
            (entry, f"{name}.{key}")
            if key in _ENTRY
            else (entry.setdefault("data", {}), f"{name}.data.{key}")
        )
        if not first and path in out.cells and target.get(key) != value:
            earlier = out.cells[path][0]
            differs = _("differs from row {row} of {host}").format(row=earlier, host=name)
            raise InputError(out.table.where(row.number, index, key), differs)
        if path not in out.cells:
            target[key] = value
            out.cells[path] = (row.number, index, key)


def _site_values(
    out: HostTable, name: str, entry: dict[str, Any], values: dict[str, tuple[Any, int]], row: Row
) -> None:
    """The row's site: `data.site` + fields for a device's one site, `data.sites` once it has two."""
    site_fields = {k: values[k] for k in _SITE_DATA if k in values}
    if "site" not in values:
        if site_fields:
            key, (_value, index) = next(iter(site_fields.items()))
            raise InputError(out.table.where(row.number, index, key), _("a site's value without a site"))
        return
    site, site_index = values["site"]
    if "site_name" in values:
        label, index = values["site_name"]
        if out.site_names.setdefault(site, label) != label:
            raise InputError(
                out.table.where(row.number, index, "site_name"),
                _("{site} is named otherwise above").format(site=site),
            )
    data = entry.setdefault("data", {})
    if "site" in data or "sites" in data:
        _to_many(out, name, data)
        if site in data["sites"]:
            twice = _("{host} lists {site} twice").format(host=name, site=site)
            raise InputError(out.table.where(row.number, site_index, "site"), twice)
        data["sites"][site] = {k: v for k, (v, _) in site_fields.items()}
        base = f"{name}.data.sites.{site}"
    else:
        data["site"] = site
        data.update({k: v for k, (v, _) in site_fields.items()})
        base = f"{name}.data"
    out.cells[base if "sites" in data else f"{base}.site"] = (row.number, site_index, "site")
    for key, (_value, index) in site_fields.items():
        out.cells[f"{base}.{key}"] = (row.number, index, key)
        out.cells[f"{name}.data.sites.{site!r}.{key}"] = (row.number, index, key)


def _to_many(out: HostTable, name: str, data: dict[str, Any]) -> None:
    """A device's second site: its first site's fields move under `data.sites`."""
    if "sites" in data:
        return
    first = data.pop("site")
    data["sites"] = {first: {k: data.pop(k) for k in _SITE_DATA if k in data}}
    for key in [
        k
        for k in out.cells
        if k.startswith(f"{name}.data.") and k.rsplit(".", 1)[-1] in (*_SITE_DATA, "site")
    ]:
        field_name = key.rsplit(".", 1)[-1]
        cell = out.cells.pop(key)
        for spelled in (first, repr(first)):  # inventory.py writes the site plainly, pydantic quoted
            out.cells[f"{name}.data.sites.{spelled}" + ("" if field_name == "site" else f".{field_name}")] = (
                cell
            )


# -- cells ----------------------------------------------------------------------------------------
def _text(cell: Any, where: str) -> str | None:
    return cell_text(cell)


def _whole(cell: Any, where: str) -> int | None:
    text = cell_text(cell)
    if text is None:
        return None
    if not re.fullmatch(r"\d{1,9}", text):
        raise InputError(where, _("{value} is not a whole number").format(value=repr(text)))
    return int(text)


def _items(cell: Any, where: str) -> list[str] | None:
    text = cell_text(cell)
    return None if text is None else [item.strip() for item in _LIST_SPLIT.split(text) if item.strip()]


def _label(cell: Any, where: str) -> str | None:
    text = cell_text(cell)
    if text is None:
        return None
    try:
        return label_text(text)
    except ValueError as exc:
        raise InputError(where, str(exc)) from None


def _role(cell: Any, where: str) -> str | None:
    text = cell_text(cell)
    if text is None:
        return None
    if text.lower() not in _ROLES:
        raise InputError(where, _("{value} is not a role (switch, bras, ac)").format(value=repr(text)))
    return _ROLES[text.lower()]


def _vaps(cell: Any, where: str) -> list[dict[str, int]] | None:
    """`21/0/2; 21/1/2`: AP/radio/WLAN of each VAP binding."""
    items = _items(cell, where)
    if items is None:
        return None
    vaps = []
    for item in items:
        parts = item.split("/")
        if len(parts) != 3 or not all(p.strip().isdigit() for p in parts):
            raise InputError(where, _("{value} is not AP/radio/WLAN like 21/0/2").format(value=repr(item)))
        ap, radio, wlan = (int(p) for p in parts)
        vaps.append({"ap": ap, "radio": radio, "wlan": wlan})
    return vaps


_CONVERT: dict[str, Callable[[Any, str], Any]] = {
    "port": _whole,
    "region": _whole,
    "groups": _items,
    "trunk_ports": _items,
    "role": _role,
    "vaps": _vaps,
    "site_name": _label,
}
