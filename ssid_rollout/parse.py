"""Typed facts from Huawei VRP display output, parsed with the TTP templates in `parsers/`.

TTP's results are nested dicts and lists whose shape depends on how often a line matched; they
become frozen dataclasses here, at once, so no dict of dicts leaves this module. TTP is imported
inside the functions (STYLE habit 11) and writes its function cache to a user cache folder
instead of beside its package (habit 12), so a read-only install works.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import tempfile
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, NamedTuple

from .values import user_vlans, vlan_set

# --- typed facts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bas:
    """The `bas` block of a user (sub-)interface."""

    access_type: str | None  # the `access-type` line after the keyword
    pre_auth_domain: str | None
    auth_domain: str | None
    roam_domain: str | None
    auth_methods: tuple[str, ...]  # as shown; empty when the line is absent (device default)


@dataclass(frozen=True)
class Interface:
    name: str
    link_type: str | None
    allow_pass: frozenset[int]
    description: str | None
    user_vlans: frozenset[int]
    bas: Bas | None


class RadiusServer(NamedTuple):
    ip: str
    port: int
    weight: int  # 0 when the line shows none (the device's default weight)


@dataclass(frozen=True)
class RadiusGroup:
    name: str
    auth_servers: tuple[RadiusServer, ...]
    acct_servers: tuple[RadiusServer, ...]
    key_form: str | None  # "cipher", "plain" or None; the key itself is never kept
    class_as_car: bool
    user_name_domain_included: bool  # False only when the `undo` line is shown

    @property
    def key_present(self) -> bool:
        return self.key_form is not None


@dataclass(frozen=True)
class Domain:
    name: str
    authentication_scheme: str | None
    accounting_scheme: str | None
    radius_group: str | None
    ip_pool: str | None
    user_group: str | None
    web_server: str | None
    web_url: str | None
    url_parameter: bool
    web_mode: str | None
    redirect_keys: dict[str, str]  # in display order


@dataclass(frozen=True)
class Ess:
    name: str
    ssid: str | None
    traffic_profile: str | None
    security_profile: str | None
    max_users: int | None


@dataclass(frozen=True)
class VlanMapping:
    mode: str | None
    regions: dict[int, int]  # region -> VLAN


class VapBinding(NamedTuple):
    ap: int
    radio: int
    ess_id: int
    wlan: int


@dataclass(frozen=True)
class ConfigFacts:
    """What verify needs from `display current-configuration` of a switch, BRAS or AC."""

    vlans: frozenset[int]
    interfaces: dict[str, Interface]
    radius_groups: dict[str, RadiusGroup]
    web_auth_servers: dict[str, int | None]  # ip -> portal port; None when no port is shown
    domains: dict[str, Domain]
    acls: dict[int, dict[int, str]]  # ACL number -> rule id -> rule text after the id
    ess: dict[int, Ess]
    vlan_mappings: dict[int, VlanMapping]  # ESS id -> mapping
    vaps: frozenset[VapBinding]
    user_groups: frozenset[str]
    ip_pools: frozenset[str]
    authentication_schemes: frozenset[str]
    accounting_schemes: frozenset[str]
    version: str | None  # `!Software Version V...` or `[V...]` (VRP5 AR, AC) header, when shown


@dataclass(frozen=True)
class Version:
    """`display version`: VRP release (`5.170`, `8.180`) and chassis model."""

    vrp: str
    model: str
    product: str = ""  # e.g. "NE40E V800R011C00SPC200"


# --- templates and TTP ---------------------------------------------------------------------------


def templates_dir() -> Traversable:
    """The TTP templates: shipped in the wheel as `ssid_rollout/parsers`, else the checkout's `parsers/`."""
    installed = resources.files("ssid_rollout") / "parsers"
    if installed.is_dir():
        return installed
    return Path(__file__).resolve().parent.parent / "parsers"


@cache
def template_text(name: str) -> str:
    return (templates_dir() / f"{name}.ttp").read_text(encoding="utf-8")


def ttp_cache_dir() -> Path:
    """A writable folder for TTP's function cache; TTP reads TTPCACHEFOLDER on every parser it builds."""
    configured = os.environ.get("TTPCACHEFOLDER")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    candidates = [Path(configured)] if configured else []
    candidates += [
        base / "ssid_rollout" / "ttp",
        Path(tempfile.gettempdir()) / f"ssid_rollout-ttp-{os.getuid()}",
    ]
    for folder in candidates:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    return Path(tempfile.mkdtemp(prefix="ssid_rollout-ttp-"))


#: Idle TTP parsers by template: building one compiles every regex of the template, which costs
#: more than parsing a device's configuration. TTP objects are not thread-safe, so a parser is
#: taken out while in use; the pool grows only to the number of parses running at once (a few,
#: under the GIL), not to the number of worker threads (100 threads built 300 parsers, 3 s).
_PARSERS: dict[str, queue.SimpleQueue[Any]] = {}


@contextlib.contextmanager
def _parser(name: str) -> Iterator[Any]:
    pool = _PARSERS.setdefault(name, queue.SimpleQueue())
    try:
        parser = pool.get_nowait()
    except queue.Empty:
        os.environ["TTPCACHEFOLDER"] = str(ttp_cache_dir())
        from ttp import ttp

        parser = ttp(template=template_text(name))
    try:
        yield parser
    finally:
        pool.put(parser)


def run_template(name: str, text: str) -> dict[str, Any]:
    """Parse `text` with `parsers/<name>.ttp`; the results of its single input as one dict."""
    with _parser(name) as parser:
        parser.clear_input()
        parser.clear_result()
        parser.add_input(text.replace("\r\n", "\n"))
        parser.parse()
        results = parser.result()
    per_input = results[0] if results else []
    return per_input[0] if per_input and isinstance(per_input[0], dict) else {}


def _items(value: Any) -> list[dict[str, Any]]:
    """TTP gives a dict for one match and a list for several; always a list here."""
    if value is None:
        return []
    return [value] if isinstance(value, dict) else [v for v in value if isinstance(v, dict)]


# --- VLAN lists ----------------------------------------------------------------------------------


def _lines(joined: Any) -> list[str]:
    """The lines TTP's `joinmatches` put together with newlines."""
    return str(joined).splitlines() if joined else []


def _user_vlans(joined: Any) -> frozenset[int]:
    """The VLANs of a sub-interface's `user-vlan` lines (TTP keeps what follows the keyword)."""
    return frozenset().union(*(user_vlans(f"user-vlan {line}") for line in _lines(joined)))


# --- display current-configuration ---------------------------------------------------------------

_WEIGHT_RE = re.compile(r"\bweight\s+(\d+)")
_PRE_AUTH_RE = re.compile(r"\bpre-authentication\s+(\S+)")
_AUTH_RE = re.compile(r"(?<![\w-])authentication\s+(?:(?:force|replace)\s+)?(\S+)")


def _group(regex: re.Pattern[str], text: str | None) -> str | None:
    match = regex.search(text or "")
    return match.group(1) if match else None


def _interface(raw: dict[str, Any]) -> Interface:
    description = raw.get("description")
    access_type = raw.get("access_type")
    return Interface(
        name=raw["name"],
        link_type=raw.get("link_type"),
        allow_pass=vlan_set(raw.get("allow_pass", "")),
        description=description.strip() if description else None,
        user_vlans=_user_vlans(raw.get("user_vlans")),
        bas=Bas(
            access_type=access_type,
            pre_auth_domain=_group(_PRE_AUTH_RE, access_type),
            auth_domain=_group(_AUTH_RE, access_type),
            roam_domain=raw.get("roam_domain"),
            auth_methods=tuple(str(raw.get("auth_methods", "")).split()),
        )
        if raw.get("bas")
        else None,
    )


def _servers(joined: Any) -> tuple[RadiusServer, ...]:
    """`<ip> <port> [vpn-instance v] [weight w]` lines of a RADIUS group."""
    servers = []
    for line in _lines(joined):
        ip, port, *_ = line.split() + [""]
        weight = _group(_WEIGHT_RE, line)
        if port.isdigit():
            servers.append(RadiusServer(ip, int(port), int(weight) if weight else 0))
    return tuple(servers)


def _radius_group(raw: dict[str, Any]) -> RadiusGroup:
    return RadiusGroup(
        name=raw["name"],
        auth_servers=_servers(raw.get("auth")),
        acct_servers=_servers(raw.get("acct")),
        key_form=raw.get("key"),
        class_as_car=bool(raw.get("class_as_car")),
        user_name_domain_included=not raw.get("undo_domain_included"),
    )


def _pairs(joined: Any) -> dict[str, str]:
    """`<first word> <rest>` of each joined line, in display order."""
    pairs = (line.split(None, 1) for line in _lines(joined))
    return {pair[0]: pair[1].strip() for pair in pairs if len(pair) == 2}


def _domain(raw: dict[str, Any]) -> Domain:
    return Domain(
        name=raw["name"],
        authentication_scheme=raw.get("authentication_scheme"),
        accounting_scheme=raw.get("accounting_scheme"),
        radius_group=raw.get("radius_group"),
        ip_pool=raw.get("ip_pool"),
        user_group=raw.get("user_group"),
        web_server=raw.get("web_server"),
        web_url=raw.get("web_url"),
        url_parameter=bool(raw.get("url_parameter")),
        web_mode=raw.get("web_mode"),
        redirect_keys=_pairs(raw.get("redirect_keys")),
    )


_ESS_OPTION_RE = re.compile(r"(ssid|traffic-profile|security-profile|max-user-number)\s+(\S+)")


def _ess(raw: dict[str, Any]) -> Ess:
    options = dict(_ESS_OPTION_RE.findall(raw.get("options", "")))
    max_users = options.get("max-user-number")
    return Ess(
        name=raw["name"],
        ssid=options.get("ssid"),
        traffic_profile=options.get("traffic-profile"),
        security_profile=options.get("security-profile"),
        max_users=int(max_users) if max_users and max_users.isdigit() else None,
    )


def _vlan_mappings(raw: dict[str, Any]) -> dict[int, VlanMapping]:
    modes = {int(m["ess_id"]): m["mode"] for m in _items(raw.get("vlan_mapping_modes"))}
    regions: dict[int, dict[int, int]] = {}
    for item in _items(raw.get("vlan_mapping_regions")):
        regions.setdefault(int(item["ess_id"]), {})[int(item["region"])] = int(item["vlan"])
    return {ess: VlanMapping(modes.get(ess), regions.get(ess, {})) for ess in modes.keys() | regions.keys()}


def _names(raw: Any) -> frozenset[str]:
    return frozenset(item["name"] for item in _items(raw))


CONFIG_TEMPLATE = "huawei_vrp_display_current_configuration"
#: Top-level sections parse_config hands to TTP, by their first line (see its docstring).
WANTED_SECTIONS = re.compile(
    r"(?:!Software Version|\[V\d|vlan |interface |web-auth-server |radius-server group |user-group "
    r"|ip pool |aaa\b|acl |ess |vlan-mapping |vap |wlan\b)"
)


def sections(text: str) -> Iterator[str]:
    """Top-level blocks of a configuration: a line at column 0 and the indented lines under it.

    The line after a top-level `#` also starts a block even when indented (VRP5 prints ` sysname`).
    """
    block: list[str] = []
    for line in text.splitlines():
        if block and (line[:1] not in (" ", "\t", "") or block[-1] == "#"):
            yield "\n".join(block)
            block = []
        block.append(line)
    if block:
        yield "\n".join(block)


def relevant_text(text: str) -> str:
    """The sections the template reads, with the `#` separators the device printed between them.

    A section VRP5 shows indented (` vlan batch ...` after a `#`) is moved to column 0: the
    template's indentation is significant, and its lines are the device's top level.
    """
    kept = ["#"]
    for section in sections(text.replace("\r\n", "\n")):
        separator = section == "#"
        if (separator and kept[-1] != "#") or (not separator and WANTED_SECTIONS.match(section.lstrip())):
            kept.append(textwrap.dedent(section) if section[:1] == " " else section)
    if kept[-1] != "#":
        kept.append("#")
    return "\n".join(kept[1:]) + "\n"


def parse_config(text: str) -> ConfigFacts:
    """Facts from `display current-configuration` (VRP5 or VRPv8).

    The configuration is first cut into its top-level sections and only those whose first line
    the template reads (WANTED_SECTIONS) go to TTP, with the `#` separators between them. TTP
    runs each block's `#` end regex over the rest of the text and handles every match in Python,
    so the sections it would ignore anyway (routing, QoS, users, SNMP) still cost time. Best of 6
    on a 2-core machine, same facts either way: 0.53 s against 0.59 s for TTP on the whole text on
    the 100,000-line BRAS configuration of benchmarks/parse_speed.py (two thirds of it read), and
    0.18 s against 0.57 s on 20,000 service lines followed by 80,000 lines of other sections.
    """
    return config_facts(run_template(CONFIG_TEMPLATE, relevant_text(text)))


def config_facts(raw: dict[str, Any]) -> ConfigFacts:
    """Typed facts from the configuration template's results (on the whole text or its sections)."""
    aaa = _items(raw.get("aaa"))
    aaa_raw: dict[str, Any] = aaa[0] if aaa else {}
    vlans = {int(v["vid"]) for v in _items(raw.get("vlan_blocks"))}
    for batch in _items(raw.get("vlan_batches")):
        vlans |= vlan_set(batch["vlans"])
    acls: dict[int, dict[int, str]] = {}
    for acl in _items(raw.get("acls")):
        rules = acls.setdefault(int(acl["number"]), {})
        rules.update({int(rule): text for rule, text in _pairs(acl.get("rules")).items() if rule.isdigit()})
    header = _items(raw.get("header"))
    return ConfigFacts(
        vlans=frozenset(vlans),
        interfaces={i["name"]: _interface(i) for i in _items(raw.get("interfaces"))},
        radius_groups={g["name"]: _radius_group(g) for g in _items(raw.get("radius_groups"))},
        web_auth_servers={
            s["ip"]: int(s["port"]) if "port" in s else None for s in _items(raw.get("web_auth_servers"))
        },
        domains={d["name"]: _domain(d) for d in _items(aaa_raw.get("domains"))},
        acls=acls,
        ess={int(e["id"]): _ess(e) for e in _items(raw.get("ess"))},
        vlan_mappings=_vlan_mappings(raw),
        vaps=frozenset(
            VapBinding(int(v["ap"]), int(v["radio"]), int(v["ess_id"]), int(v["wlan"]))
            for v in _items(raw.get("vaps"))
        ),
        user_groups=_names(raw.get("user_groups")) | _names(aaa_raw.get("user_groups")),
        ip_pools=_names(raw.get("ip_pools")),
        authentication_schemes=_names(aaa_raw.get("authentication_schemes")),
        accounting_schemes=_names(aaa_raw.get("accounting_schemes")),
        version=header[0].get("version") if header else None,
    )


# --- display version ------------------------------------------------------------------------------


def parse_version(text: str) -> Version:
    """`display version`; raises ValueError when the text is not a VRP version display."""
    rows = _items(run_template("huawei_vrp_display_version", text).get("version"))
    if not rows or "vrp" not in rows[0]:
        raise ValueError("no 'VRP (R) software, Version' line in the output")
    row = rows[0]
    return Version(
        vrp=row["vrp"], model=row.get("model", "").removesuffix(" Router"), product=row.get("product", "")
    )
