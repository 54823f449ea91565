"""The one declared table of VRP undo forms, and undo Sections built from it.

hier_config's negation (`undo ` + the line) is wrong for many VRP commands (DESIGN.md, Known
traps): the key would travel in the undo, weights and ports are not accepted, some undo forms
drop the value, and a desired line may itself be an `undo`. Each rule below states, for one
forward line in one view, the device's undo form (NE40E V800R012C10 command reference, via
huawei-vrp-cli.md sections 2 and 6), and what plan and restore need to know about the line:

- `key`: the setting the line sets. Another line of the same rule and key in the same view is
  the same setting with another value: a conflict. Defaults to the undo line.
- `asks`: the device asks [Y/N] before it obeys the undo (sent alone, the engine answers).
- `removes_section`: the undo removes a whole object the line created.
- `secret`: the device shows the value only as cipher text: compared as "present".
- `vlans`: the value is a VLAN list: compared as a set.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from .model import Section

# Views, as a regex on the line that entered them ("" = system view).
SYSTEM = ""
GROUP = r"radius-server group \S+"
AAA = "aaa"
DOMAIN = r"domain \S+"
ACL = r"acl number \d+"
INTERFACE = r"interface \S+"
BAS = "bas"


@dataclass(frozen=True)
class UndoRule:
    """How to undo one kind of forward line in one view (`undo` None: never removed)."""

    view: str
    forward: str
    undo: str | None
    key: str | None = None
    asks: bool = False
    removes_section: bool = False
    secret: bool = False
    vlans: bool = False


@dataclass(frozen=True)
class Undo:
    """A rule applied to one line: the undo command (None: nothing to send) and the setting."""

    rule: UndoRule
    line: str | None
    key: str


RULES: tuple[UndoRule, ...] = (
    # system view: switch and AC
    UndoRule(
        SYSTEM, r"vlan batch (?P<vlans>.+)", "undo vlan batch {vlans}", "vlan batch", asks=True, vlans=True
    ),
    UndoRule(SYSTEM, r"interface (?P<name>\S+\.\d+)", "undo interface {name}", removes_section=True),
    UndoRule(SYSTEM, r"interface \S+", None),  # a physical port or trunk: a prerequisite, never removed
    UndoRule(SYSTEM, r"ess name \S+ id (?P<id>\d+) .+", "undo ess id {id}", removes_section=True),
    UndoRule(
        SYSTEM,
        r"vlan-mapping ess id (?P<id>\d+) mode (?P<mode>\S+)",
        "undo vlan-mapping ess id {id} mode {mode}",
        "vlan-mapping ess id {id} mode",
    ),
    UndoRule(
        SYSTEM,
        r"vlan-mapping ess id (?P<id>\d+) type tag region (?P<region>\d+) vlan \d+",
        "undo vlan-mapping ess id {id} type tag region {region}",
    ),
    UndoRule(
        SYSTEM,
        r"vap ap (?P<ap>\d+) radio (?P<radio>\d+) ess id \d+ wlan (?P<wlan>\d+)",
        "undo vap ap {ap} radio {radio} wlan {wlan}",
    ),
    # system view: BRAS
    UndoRule(SYSTEM, r"web-auth-server (?P<ip>\S+)(?: .*)?", "undo web-auth-server {ip}"),
    UndoRule(
        SYSTEM,
        r"radius-server group (?P<group>\S+)",
        "undo radius-server group {group}",
        removes_section=True,
    ),
    UndoRule(SYSTEM, AAA, None),  # holds every domain and scheme; never removed
    UndoRule(SYSTEM, r"acl number (?P<number>\d+)", "undo acl number {number}", removes_section=True),
    # RADIUS group (a group points at one authentication and one accounting server)
    UndoRule(
        GROUP,
        r"radius-server (?P<kind>authentication|accounting) (?P<ip>\S+) (?P<port>\d+)(?: .*)?",
        "undo radius-server {kind} {ip} {port}",
        "radius-server {kind}",
    ),
    UndoRule(
        GROUP,
        r"radius-server (?P<form>shared-key|shared-key-cipher) .+",
        "undo radius-server {form}",
        "radius-server shared-key",
        asks=True,
        secret=True,
    ),
    UndoRule(GROUP, r"radius-server class-as-car(?: .*)?", "undo radius-server class-as-car"),
    UndoRule(
        GROUP,
        r"undo radius-server user-name domain-included",
        "radius-server user-name domain-included",
        "radius-server user-name",
    ),
    # AAA and domains
    UndoRule(AAA, r"domain (?P<name>\S+)", "undo domain {name}", removes_section=True),
    UndoRule(DOMAIN, r"authentication-scheme \S+", "undo authentication-scheme"),
    UndoRule(DOMAIN, r"accounting-scheme \S+", "undo accounting-scheme"),
    UndoRule(DOMAIN, r"radius-server group \S+", "undo radius-server group"),
    UndoRule(DOMAIN, r"ip-pool (?P<pool>\S+)", "undo ip-pool {pool}"),  # a domain may bind several pools
    UndoRule(DOMAIN, r"user-group (?P<group>\S+)", "undo user-group {group}", "user-group"),  # one group only
    UndoRule(DOMAIN, r"web-server \d+\.\d+\.\d+\.\d+(?: .*)?", "undo web-server"),
    UndoRule(DOMAIN, r"web-server url \S+(?: .*)?", "undo web-server url"),
    UndoRule(DOMAIN, r"web-server url-parameter(?: .*)?", "undo web-server url-parameter"),
    # NE documents only `undo web-server mode post` (get is the default): unconfirmed for get.
    UndoRule(DOMAIN, r"web-server mode (?P<mode>get|post)", "undo web-server mode {mode}", "web-server mode"),
    UndoRule(DOMAIN, r"web-server redirect-key (?P<name>\S+) .+", "undo web-server redirect-key {name}"),
    # whitelist ACL
    UndoRule(ACL, r"rule (?P<id>\d+) .+", "undo rule {id}"),
    # interfaces
    UndoRule(INTERFACE, r"description .+", "undo description"),
    UndoRule(INTERFACE, r"user-vlan (?P<vlan>\d+(?: \d+)?)(?: .*)?", "undo user-vlan {vlan}", "user-vlan"),
    UndoRule(INTERFACE, BAS, "undo bas", removes_section=True),
    UndoRule(
        INTERFACE,
        r"port trunk allow-pass vlan (?P<vlans>.+)",
        "undo port trunk allow-pass vlan {vlans}",
        "port trunk allow-pass vlan",
        vlans=True,
    ),
    UndoRule(BAS, r"access-type .+", "undo access-type"),
    UndoRule(BAS, r"roam-domain \S+", "undo roam-domain"),
    UndoRule(BAS, r"authentication-method .+", "undo authentication-method"),
)


def _command(forward: str) -> str:
    """The literal first word of a rule's forward line: the index `_view_rules` files it under."""
    word = forward.split(" ", 1)[0]
    if not re.fullmatch(r"[\w-]+", word):
        raise ValueError(f"undo rule {forward!r} must start with a literal command word")
    return word


@lru_cache(maxsize=1024)
def _view_rules(view: str) -> dict[str, tuple[tuple[re.Pattern[str], UndoRule], ...]]:
    """The rules of the view entered by `view`, by command word: a line meets only the rules of
    its own command, so the many lines the table does not know cost one dict look-up."""
    out: dict[str, list[tuple[re.Pattern[str], UndoRule]]] = {}
    for rule in RULES:
        if re.fullmatch(rule.view, view):
            out.setdefault(_command(rule.forward), []).append((re.compile(rule.forward), rule))
    return {word: tuple(rules) for word, rules in out.items()}


@lru_cache(maxsize=1 << 16)
def _lookup(line: str, view: str) -> Undo | None:
    """The first rule (in table order) for `line` in `view`; None is cached too (unknown lines recur)."""
    for forward, rule in _view_rules(view).get(line.split(" ", 1)[0], ()):
        if m := forward.fullmatch(line):
            fields = m.groupdict()
            undo = rule.undo.format(**fields) if rule.undo else None
            return Undo(rule, undo, (rule.key or rule.undo or line).format(**fields))
    return None


def _view(path: Iterable[str]) -> str:
    path = tuple(path)
    return path[-1] if path else SYSTEM


def undo_line(line: str, path: Iterable[str] = ()) -> Undo:
    """The rule for `line` typed in the view entered by `path`; KeyError if the table has none."""
    view = _view(path)
    undo = _lookup(line, view)
    if undo is None:
        raise KeyError(f"no undo rule for {line!r} in view {view!r}")
    return undo


def known(line: str, path: Iterable[str] = ()) -> Undo | None:
    """Like undo_line, None for a line the table does not know (someone else's configuration)."""
    return _lookup(line, _view(path))


def undo_sections(forward: Iterable[Section], existed: Callable[[tuple[str, ...]], bool]) -> list[Section]:
    """Sections that take `forward` back, in reverse order.

    A section whose view did not exist before (`existed(path)` false) is removed whole, once,
    from its parent view; otherwise each line is undone in its own view. Lines the device
    asks about go in a Section of their own, so the engine can answer the question; other
    neighbours with the same view and owner share one Section (one round trip).
    """
    out: list[tuple[Section, bool]] = []
    removed: set[tuple[tuple[str, ...], str]] = set()
    for section in reversed(list(forward)):
        created = created_view(section.path, existed)
        if created is not None:
            parent = section.path[:created]
            line = undo_line(section.path[created], parent).line
            if line and (parent, line) not in removed:
                removed.add((parent, line))
                _add(out, Section(parent, (line,), section.owner), asks=False)
            continue
        for line in reversed(section.lines):
            undo = undo_line(line, section.path)
            if undo.line is not None:
                _add(out, Section(section.path, (undo.line,), section.owner), undo.rule.asks)
    return [section for section, _ in out]


def created_view(path: tuple[str, ...], existed: Callable[[tuple[str, ...]], bool]) -> int | None:
    """Index of the first view on `path` that did not exist and can be removed whole."""
    for i in range(len(path)):
        if not existed(path[: i + 1]) and undo_line(path[i], path[:i]).rule.removes_section:
            return i
    return None


def _add(out: list[tuple[Section, bool]], section: Section, asks: bool) -> None:
    """Append, joining the previous Section when both are plain and share view and owner."""
    if out and not asks and not out[-1][1]:
        last = out[-1][0]
        if (last.path, last.owner) == (section.path, section.owner):
            out[-1] = (Section(last.path, last.lines + section.lines, last.owner), False)
            return
    out.append((section, asks))
