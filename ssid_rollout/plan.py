"""Plan one host: what to send, how to take it back, and what stops or worries us first.

The difference itself is hier_config's (`desired.difference(running)`, Platform.HUAWEI_VRP);
the traps it does not know (DESIGN.md, Known traps) are handled here with the undo table's
flags: VLAN lists compared as sets, desired `undo ...` lines planned when absent, the RADIUS
key compared as "present". Everything works on configuration text; nothing here talks to a
device.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .model import Conflict, Device, HostPlan, Prerequisite, Section
from .nas_check import bras_identity_warnings
from .render import config_tree, render_device, render_text
from .undo import UndoRule, UndoTable
from .values import user_vlans, without_cipher

if TYPE_CHECKING:
    from hier_config import HConfig, HConfigChild

    Node = HConfig | HConfigChild

#: The portal's minimum redirect parameters (mission.md, Portal redirect URL).
_PORTAL_NEEDS, _PORTAL_ONE_OF = "wlanuserip", ("wlanacname", "nasip")
#: A `vlan N` view header (system view: the VLAN exists like one in the VLAN list).
_VLAN_VIEW = re.compile(r"vlan \d+")


# -- VLAN lists ---------------------------------------------------------------------------------
def vlans_in(table: UndoTable, view: Node, path: tuple[str, ...], key: str) -> set[int]:
    """Every VLAN the lines of `key` give `view`, in display order (system view: `vlan N` blocks
    too); a view without such a line carries the setting's default (UndoRule.absent)."""
    out: set[int] = set(table.absent(key, path))
    for child in view.children:
        undo = table.known(child.text, path)
        if undo and undo.rule.vlans and undo.key == key:
            out = set(undo.carried(out, table.vlans))
        elif not path and key == table.vlan_list and _VLAN_VIEW.fullmatch(child.text):
            out.add(int(child.text.split()[1]))
    return out


# -- tree helpers -------------------------------------------------------------------------------
def node_at(tree: Node, path: Iterable[str]) -> Node | None:
    node: Node | None = tree
    for part in path:
        node = node.children.get(part) if node is not None else None
    return node


def shown(path: tuple[str, ...], lines: Iterable[str]) -> tuple[str, ...]:
    """Lines with their view headers, indented as the device displays them."""
    return (*(" " * i + p for i, p in enumerate(path)), *(" " * len(path) + x for x in lines))


def _normal_line(table: UndoTable, text: str, path: tuple[str, ...]) -> str:
    undo = table.known(text, path)
    if undo and undo.rule.secret:
        return f"{undo.key} <present>"
    return without_cipher(text)


def view_state(table: UndoTable, node: Node | None, path: tuple[str, ...]) -> frozenset[str] | None:
    """A view's content, normalised: ciphers present/absent only, VLAN lists as one sorted list.

    Lines are relative to the view, indented one space per level; None when the view is absent.
    """
    if node is None:
        return None
    out: set[str] = set()
    for child in node.children:
        undo = table.known(child.text, path)
        if undo and undo.rule.vlans:
            out.add(f"{undo.key} {table.vlans.format(vlans_in(table, node, path, undo.key))}")
            continue
        out.add(_normal_line(table, child.text, path))
        out |= {" " + x for x in view_state(table, child, (*path, child.text)) or ()}
    return frozenset(out)


@dataclass(frozen=True)
class Scope:
    """A touched part of a configuration: a view's whole subtree, or, in system view, the
    settings with these keys and these VLANs (the rest of system view is someone else's)."""

    path: tuple[str, ...]
    keys: frozenset[str] = frozenset()
    vlans: frozenset[int] = frozenset()
    vlan_list: str = ""  # the platform's VLAN list line, for the name

    def name(self) -> str:
        if self.path:
            return " / ".join(self.path)
        vlans = [self.vlan_list] if self.vlans else []
        return ", ".join([*sorted(k.removeprefix("undo ") for k in self.keys), *vlans])

    def state(self, table: UndoTable, tree: Node) -> frozenset[str] | None:
        if self.path:
            return view_state(table, node_at(tree, self.path), self.path)
        lines = {
            _normal_line(table, c.text, ())
            for c in tree.children
            if (u := table.known(c.text)) and u.key in self.keys
        }
        present = self.vlans & vlans_in(table, tree, (), table.vlan_list)
        return frozenset(lines | {f"vlan {v}" for v in present})


def scopes(table: UndoTable, forward: Iterable[Section], before: Node | None = None) -> list[Scope]:
    """The parts of a configuration `forward` touches; with `before`, a view created by the
    change is compared from the first view on its path that `before` lacks."""
    out: dict[tuple[str, ...], Scope] = {}
    keys: set[str] = set()
    vlans: set[int] = set()
    for section in forward:
        if section.path:
            path = section.path
            if before is not None:
                path = next(
                    (path[: i + 1] for i in range(len(path)) if node_at(before, path[: i + 1]) is None), path
                )
            out.setdefault(path, Scope(path))
            continue
        for line in section.lines:
            undo = table.known(line)
            if undo and undo.rule.vlans:
                vlans |= table.vlans.parse(undo.vlans)
            elif undo:
                keys.add(undo.key)
    root = [Scope((), frozenset(keys), frozenset(vlans), table.vlan_list)] if keys or vlans else []
    return root + list(out.values())


def differences(
    table: UndoTable, a: Node, b: Node, where: Iterable[Scope]
) -> Iterator[tuple[Scope, frozenset[str], frozenset[str]]]:
    """(scope, only in a, only in b) for each scope whose normalised content differs."""
    for scope in where:
        sa, sb = scope.state(table, a), scope.state(table, b)
        if sa != sb:
            absent = frozenset({"(absent)"})
            yield scope, (sa or absent) - (sb or frozenset()), (sb or absent) - (sa or frozenset())


# -- plan ---------------------------------------------------------------------------------------
def plan_device(
    device: Device,
    spec: Any,
    running: str,
    saved: str,
    *,
    radius_key: str | None,
    rotate_key: bool = False,
    sites: Iterable[str] | None = None,
) -> HostPlan:
    """Plan `device` from its running and saved configuration text.

    The RADIUS key: the device shows it only as cipher text, so a text diff can neither prove
    it right nor stop re-sending it. A group that already has a key (any `radius-server
    shared-key ...` / `shared-key-cipher ...` line) is taken as satisfied; `rotate_key=True`
    sends the key again (and undo cannot restore the old one: warned). Undo never has a key.
    """
    from .platforms import platform_for

    platform = platform_for(device.platform)
    table = platform.undo
    chosen = list(device.sites if sites is None else sites)
    desired = render_device(device, spec, radius_key, chosen)
    run = config_tree(running)
    delta = config_tree(render_text(desired)).difference(run)
    plan = HostPlan(device.name, device.role, device.platform, desired=desired)
    plan.forward = [s for s in (_forward(table, x, run, delta, rotate_key) for x in desired) if s.lines]
    rotated = [(s.path, x) for s in plan.forward for x in s.lines if _secret_present(table, run, s.path, x)]
    plan.undo = table.undo_sections(
        [_without(s, {x for p, x in rotated if p == s.path}) for s in plan.forward],
        lambda path: node_at(run, path) is not None,
    )
    attachments = [device.sites[x] for x in chosen if x in device.sites]
    paths = _paths(run)
    plan.conflicts = _setting_conflicts(table, desired, run) + _usage_conflicts(
        device.role, spec, run, attachments
    )
    plan.missing = _prerequisites(device.role, spec, paths, attachments, platform.trunk_mode)
    plan.warnings = _warnings(table, device.role, spec, run, paths, attachments, radius_key)
    plan.warnings += bras_identity_warnings(device, running)
    plan.warnings += list(platform.warnings)
    plan.warnings += [
        f"{p[-1]}: the RADIUS key is re-sent (--rotate-key); undo cannot restore the old one"
        for p, _ in rotated
    ]
    plan.unsaved = _unsaved(table, run, running, saved, plan.forward)
    return plan


def _forward(table: UndoTable, section: Section, run: Node, delta: Node, rotate_key: bool) -> Section:
    """The part of a desired section the device lacks (VLAN lines cut to the missing VLANs)."""
    view = node_at(run, section.path)
    if view is None:
        return section
    wanted: list[str] = []
    in_delta = node_at(delta, section.path)
    for line in section.lines:
        undo = table.known(line, section.path)
        if undo and undo.rule.vlans:
            have = vlans_in(table, view, section.path, undo.key)
            missing = table.vlans.parse(undo.vlans) - have
            wanted += [undo.adding(table.vlans.format(missing))] if missing else []
        elif undo and undo.rule.secret:
            wanted += [line] if rotate_key or not _secret_present(table, run, section.path, line) else []
        elif line.startswith("undo "):  # hier_config drops these from the difference
            wanted += [] if line in view.children else [line]
        elif in_delta is not None and line in in_delta.children:
            wanted.append(line)
    return Section(section.path, tuple(wanted), section.owner)


def has_secret(table: UndoTable, view: Node | None, path: tuple[str, ...]) -> bool:
    """The view (entered by `path`) holds a secret, which the device shows only as cipher text."""
    return view is not None and any((u := table.known(c.text, path)) and u.rule.secret for c in view.children)


def _secret_present(table: UndoTable, tree: Node, path: tuple[str, ...], line: str) -> bool:
    undo = table.known(line, path)
    return bool(undo and undo.rule.secret) and has_secret(table, node_at(tree, path), path)


def _without(section: Section, lines: set[str]) -> Section:
    return Section(section.path, tuple(x for x in section.lines if x not in lines), section.owner)


def _unsaved(table: UndoTable, run: Node, running: str, saved: str, forward: list[Section]) -> list[str]:
    """Touched top-level sections where running differs from saved (system view: the touched
    settings). The saved text is parsed only when it differs in more than its `!` headers."""
    views = {s.path[0] for s in forward if s.path}
    touched = [x for x in scopes(table, forward) if not x.path] + [Scope((v,)) for v in sorted(views)]
    if not touched or _config_lines(running) == _config_lines(saved):
        return []
    return [s.name() for s, _, _ in differences(table, run, config_tree(saved, views), touched)]


def _config_lines(text: str) -> list[str]:
    """The lines config_tree reads (it skips `!` headers; VRPv8 dates them)."""
    return [x for x in text.splitlines() if not x.startswith("!")]


# -- conflicts ----------------------------------------------------------------------------------
def _setting_conflicts(table: UndoTable, desired: Iterable[Section], run: Node) -> list[Conflict]:
    """Settings the device already has with another value in a view the service uses."""
    out: list[Conflict] = []
    settings: dict[tuple[str, ...], dict[tuple[UndoRule, str], list[str]]] = {}
    for section in desired:
        view = node_at(run, section.path)
        if view is None:
            continue
        if section.path not in settings:
            settings[section.path] = _settings(table, view, section.path)
        for line in section.lines:
            undo = table.known(line, section.path)
            if undo is None or undo.rule.secret or undo.rule.vlans:
                continue
            others = [x for x in settings[section.path].get((undo.rule, undo.key), ()) if x != line]
            if others:
                where = section.path[-1] if section.path else "system view"
                out.append(
                    Conflict(
                        f"{where}: the service needs {line!r}, the device has another",
                        shown(section.path, others),
                    )
                )
    return out


def _settings(table: UndoTable, view: Node, path: tuple[str, ...]) -> dict[tuple[UndoRule, str], list[str]]:
    """The view's lines by the setting they set (rule and key), in display order; one pass
    per view instead of one per desired line."""
    out: dict[tuple[UndoRule, str], list[str]] = {}
    for child in view.children:
        if undo := table.known(child.text, path):
            out.setdefault((undo.rule, undo.key), []).append(child.text)
    return out


def _usage_conflicts(role: str, spec: Any, run: Node, attachments: list[Any]) -> list[Conflict]:
    """The service VLAN (or, on the AC, the ESS name) already serving something else."""
    out: list[Conflict] = []
    if role == "bras":
        for att in attachments:
            trunk = att.subinterface.rsplit(".", 1)[0]
            for child in run.children:
                if (
                    not child.text.startswith(f"interface {trunk}.")
                    or child.text == f"interface {att.subinterface}"
                ):
                    continue
                used = [
                    c.text
                    for c in child.children
                    if c.text.startswith("user-vlan ") and spec.vlan in user_vlans(c.text)
                ]
                if used:
                    reason = f"VLAN {spec.vlan} already used on {trunk} by {child.text.split()[1]}"
                    out.append(Conflict(reason, shown((child.text,), used)))
    if role == "ac":
        mapping = re.compile(rf"vlan-mapping ess id (\d+) type tag region \d+ vlan {spec.vlan}")
        used = [c.text for c in run.children if (m := mapping.fullmatch(c.text)) and int(m[1]) != spec.ess.id]
        if used:
            out.append(Conflict(f"VLAN {spec.vlan} already mapped to another ESS", tuple(used)))
        name = re.compile(rf"ess name {re.escape(spec.ess.name)} id (\d+) .*")
        taken = [c.text for c in run.children if (m := name.fullmatch(c.text)) and int(m[1]) != spec.ess.id]
        if taken:
            out.append(Conflict(f"ESS name {spec.ess.name} already used by another ESS id", tuple(taken)))
    return out


# -- prerequisites and warnings -----------------------------------------------------------------
def _exact(*parts: str) -> str:
    return "\n".join(parts)


def _ap_known(ap: str) -> re.Pattern[str]:
    """An AP the AC knows: `ap id N ...` or `ap-id N ...` at any level (WS6603 display unconfirmed)."""
    return re.compile(rf"(?:.*\n)*ap(?:-id| id) {ap}(?: .*)?")


def _lists_aps(paths: list[str]) -> bool:
    """Whether the configuration shows the AC's APs at all (if not, it cannot tell one is missing)."""
    pattern = _ap_known(r"\d+")
    return any(pattern.fullmatch(p) for p in paths)


def _needs(
    role: str, spec: Any, attachments: list[Any], trunk_mode: str
) -> Iterator[tuple[str, tuple[str, ...], str | re.Pattern[str]]]:
    """(what, lines to look for, the path in `_paths` or a pattern over them) of each prerequisite;
    `trunk_mode` is the platform's line that makes a switch port a trunk."""
    if role == "bras":
        yield (
            f"user group {spec.user_group}",
            (f"user-group {spec.user_group}",),
            _exact(f"user-group {spec.user_group}"),
        )
        pool = f"ip pool {spec.ip_pool} bas"
        yield f"IP pool {spec.ip_pool}", (f"{pool} local",), re.compile(rf"{re.escape(pool)} .*")
        for domain in (spec.domains.pre_auth, spec.domains.auth):
            for kind, name in (
                ("authentication-scheme", domain.authentication_scheme),
                ("accounting-scheme", domain.accounting_scheme),
            ):
                yield (
                    f"{kind} {name} (domain {domain.name})",
                    ("aaa", f" {kind} {name}"),
                    _exact("aaa", f"{kind} {name}"),
                )
        for parent in sorted({a.subinterface.rsplit(".", 1)[0] for a in attachments}):
            yield f"interface {parent}", (f"interface {parent}",), _exact(f"interface {parent}")
    elif role == "switch":
        for port in sorted({p for a in attachments for p in a.trunk_ports}):
            lines = (f"interface {port}", f" {trunk_mode}")
            yield f"trunk port {port}", lines, _exact(f"interface {port}", trunk_mode)
    elif role == "ac":
        for ap in sorted({v.ap for a in attachments for v in a.vaps}):
            yield f"AP {ap}", (f"ap id {ap} ...",), _ap_known(str(ap))


def _prerequisites(
    role: str, spec: Any, paths: list[str], attachments: list[Any], trunk_mode: str
) -> list[Prerequisite]:
    """Objects the service uses but does not create: the device refuses a line naming a missing one."""
    missing: dict[str, Prerequisite] = {}
    if role == "ac" and not _lists_aps(paths):
        return []  # said as a warning instead
    present = set(paths)
    for what, lines, need in _needs(role, spec, attachments, trunk_mode):
        if need not in present if isinstance(need, str) else not any(need.fullmatch(p) for p in paths):
            missing.setdefault(what, Prerequisite(what, lines))
    return list(missing.values())


def _paths(node: Node, prefix: str = "") -> list[str]:
    """Each line with its views before it, one a line (interface names hold `/`); plan_device
    walks the tree once and hands the list to every check."""
    out: list[str] = []
    for child in node.children:
        here = prefix + child.text
        out.append(here)
        out += _paths(child, here + "\n")
    return out


def _warnings(
    table: UndoTable,
    role: str,
    spec: Any,
    run: Node,
    paths: list[str],
    attachments: list[Any],
    radius_key: str | None,
) -> list[str]:
    """What the device accepts but leaves the service broken or weaker, or what the
    configuration cannot show: said, not stopped."""
    if role == "ac" and not _lists_aps(paths):
        aps = ", ".join(str(x) for x in sorted({v.ap for a in attachments for v in a.vaps}))
        return [f"the configuration lists no APs: check `display ap all` for AP {aps} before the VAPs go out"]
    if role != "bras":
        return []
    out: list[str] = []
    number, own = spec.acl.number, f"acl number {spec.acl.number}"
    applies = re.compile(rf"\b(?:acl|acl-group)\s+(?:number\s+)?{number}\b")
    naming = (p for p in paths if str(number) in p)  # a cheap test first: most lines never name it
    if not any(applies.search(p.rsplit("\n", 1)[-1]) for p in naming if p.split("\n")[0] != own):
        out.append(
            f"nothing applies ACL {number} to user traffic (no `acl {number}`, `acl-group` or "
            f"`if-match acl {number}` line outside the ACL): the portal whitelist has no effect"
        )
    values = set(spec.portal.redirect_keys.values())
    if _PORTAL_NEEDS not in values or not values & set(_PORTAL_ONE_OF):
        pairs = ", ".join(f"{k} {v}" for k, v in spec.portal.redirect_keys.items())
        out.append(
            f"portal redirect keys ({pairs}) miss the portal minimum, {_PORTAL_NEEDS} plus "
            f"{' or '.join(_PORTAL_ONE_OF)}: the BRAS address sent as anything else (wlanacip) is neither"
        )
    group = f"radius-server group {spec.radius.group}"
    if radius_key is None and not has_secret(table, run.children.get(group), (group,)):
        out.append(f"no RADIUS key given and {group} has none: the key line is not planned")
    return out
