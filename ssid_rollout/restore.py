"""Rollback planning (DESIGN.md, Rollback): bring what a run touched back, never replay blindly.

Each function re-reads the device's current text and compares it with what the run sent
(`forward`) and, when there is one, the backup taken before the run:
- a line the run added that is still there is undone (from the undo table); a view the run
  created is removed whole, unless someone else has put something in it since;
- a line the run added that is gone already is skipped;
- a line in a touched view that is neither in the backup nor the run's is someone else's
  change: a Conflict, left alone;
- a backup line removed since is typed again (a removed key cannot be: a Conflict says so).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .model import SHARED, Conflict, Device, Section
from .plan import (
    Scope,
    differences,
    has_secret,
    node_at,
    scopes,
    shown,
    view_state,
    vlan_set,
    vlan_text,
    vlans_in,
)
from .render import config_tree, render_text, sections_of
from .undo import created_view, known, undo_sections

if TYPE_CHECKING:
    from hier_config import HConfig, HConfigChild

    Node = HConfig | HConfigChild

Path = tuple[str, ...]


def restore_plan(backup: str, current: str, forward: list[Section]) -> tuple[list[Section], list[Conflict]]:
    """Sections that bring the views `forward` touched back to `backup` (undo first, then the
    backup lines to type again), and the conflicts to show instead of touching them."""
    before, now = config_tree(backup), config_tree(current)
    conflicts: list[Conflict] = []
    protected: set[Path] = set()
    readd: list[Section] = []
    owners: dict[Path, str] = {}
    for section in forward:
        owners.setdefault(section.path, section.owner)
    for path, owner in owners.items():
        view, old = node_at(now, path), node_at(before, path)
        scope = _scope(forward, path)
        foreign = _foreign(view, old, path, forward, scope)
        if foreign:
            reason = f"{' / '.join(path) or 'system view'}: changed by someone else since the run"
            conflicts.append(Conflict(reason, shown(path, foreign)))
            protected.update(path[: i + 1] for i in range(len(path)))
        taken = {u.key for x in foreign if (u := known(x, path))}
        back, lost_secret = _removed(old, view, path, scope, taken, owner)
        readd += back
        if lost_secret:
            reason = f"{path[-1]}: the key was removed since the run; enter it again"
            conflicts.append(Conflict(reason, shown(path, lost_secret)))

    def existed(path: Path) -> bool:
        return node_at(before, path) is not None or path in protected

    undo = undo_sections(_still_there(forward, now, before, existed), existed)
    return undo + readd, conflicts


def site_compensation(
    device: Device, spec: Any, running: str, forward: list[Section], site: str
) -> list[Section]:
    """Undo of `site`'s attachments the run added, and of the run's shared objects when no
    other attachment on the device still uses the service.

    There is no backup here, so a view counts as created by the run when everything in it now
    is what the run sent; and a key is never removed from a group the run did not create
    (a rotated key and a new one look the same).
    """
    now = config_tree(running)
    owners = {site} if _still_used(device, spec, now, site) else {site, SHARED}
    mine = [s for s in forward if s.owner in owners]

    def existed(path: Path) -> bool:
        state = view_state(node_at(now, path), path)
        return state is not None and not state <= _sent_state(forward, path)

    return undo_sections(_still_there(mine, now, None, existed), existed)


def touched_equal(backup: str, current: str, forward: list[Section]) -> list[str]:
    """Differences between backup and current in the parts `forward` touched ([] = restored).

    Headers, `#` lines and timestamps are ignored, cipher strings compare as "present", VLAN
    lists as sets; what others changed outside the touched parts does not count.
    """
    before = config_tree(backup)
    found = differences(before, config_tree(current), scopes(forward, before))
    return [f"{scope.name()}: backup has {sorted(a)}, now {sorted(b)}" for scope, a, b in found]


# -- helpers ------------------------------------------------------------------------------------
def _scope(forward: Iterable[Section], path: Path) -> Scope | None:
    """System view is shared with everyone: only the settings the run touched count there."""
    if path:
        return None
    return next((s for s in scopes(x for x in forward if not x.path) if not s.path), None)


def _in_scope(text: str, path: Path, scope: Scope | None) -> bool:
    """Whether a line is compared line by line here (VLAN lists are compared as sets)."""
    undo = known(text, path)
    if undo is not None and undo.rule.vlans:
        return False
    return scope is None or (undo is not None and undo.key in scope.keys)


def _sent(forward: Iterable[Section], path: Path) -> set[str]:
    """What the run typed in the view at `path`: its lines and the views it entered below."""
    out: set[str] = set()
    for section in forward:
        if section.path == path:
            out |= set(section.lines)
        elif section.path[: len(path)] == path and len(section.path) > len(path):
            out.add(section.path[len(path)])
    return out


def _same(a: str, b: str, path: Path) -> bool:
    """Lines equal after normalisation (a key and its cipher display are the same setting)."""
    ua, ub = known(a, path), known(b, path)
    if ua and ub and ua.rule.secret and ub.rule.secret:
        return ua.key == ub.key
    return a == b


def _foreign(
    view: Node | None, old: Node | None, path: Path, forward: list[Section], scope: Scope | None
) -> list[str]:
    """Lines in a touched view that are neither the backup's nor the run's."""
    if view is None:
        return []
    mine = _sent(forward, path) | {c.text for c in (old.children if old is not None else ())}
    return [
        c.text
        for c in view.children
        if _in_scope(c.text, path, scope) and not any(_same(c.text, m, path) for m in mine)
    ]


def _removed(
    old: Node | None, view: Node | None, path: Path, scope: Scope | None, taken: set[str], owner: str
) -> tuple[list[Section], list[str]]:
    """Backup lines of a touched view that are gone now: Sections to type them again, and the
    secrets among them (cannot be typed again from their cipher display)."""
    if old is None:
        return [], []
    if view is None:
        return sections_of(old, owner, path), []
    out: list[Section] = []
    secrets: list[str] = []
    for child in old.children:
        undo = known(child.text, path)
        if undo and undo.rule.vlans:
            lost = vlan_set(child.text.removeprefix(undo.key)) - vlans_in(view, path, undo.key)
            if lost and path:  # system view: the run only adds VLANs, someone else's removal is theirs
                out.append(Section(path, (f"{undo.key} {vlan_text(lost)}",), owner))
            continue
        if not _in_scope(child.text, path, scope) or any(
            _same(child.text, c.text, path) for c in view.children
        ):
            continue
        if undo and undo.key in taken:
            continue  # someone else's value sits there now: reported as a conflict
        if undo and undo.rule.secret:
            secrets.append(child.text)
        elif child.children:
            out += sections_of(child, owner, (*path, child.text))
        else:
            out.append(Section(path, (child.text,), owner))
    return out, secrets


def _still_there(
    forward: Iterable[Section], now: Node, before: Node | None, existed: Callable[[Path], bool]
) -> list[Section]:
    """The part of `forward` still on the device (a created view: while the view is there)."""
    out: list[Section] = []
    for section in forward:
        created = created_view(section.path, existed)
        if created is not None:
            if node_at(now, section.path[: created + 1]) is not None:
                out.append(section)
            continue
        view = node_at(now, section.path)
        if view is None:
            continue
        lines = tuple(x for x in (_present(line, section.path, view, before) for line in section.lines) if x)
        if lines:
            out.append(Section(section.path, lines, section.owner))
    return out


def _present(line: str, path: Path, view: Node, before: Node | None) -> str | None:
    """`line` as far as the run added it and it is still there (VLAN lines: those VLANs)."""
    undo = known(line, path)
    if undo and undo.rule.vlans:
        left = vlan_set(line.removeprefix(undo.key)) & vlans_in(view, path, undo.key)
        return f"{undo.key} {vlan_text(left)}" if left else None
    if undo and undo.rule.secret:  # only a key where there was none: a replaced one cannot come back
        added = before is not None and not has_secret(node_at(before, path), path)
        return line if added and has_secret(view, path) else None
    return line if line in view.children else None


def _sent_state(forward: Iterable[Section], path: Path) -> frozenset[str]:
    """What the run sent at and below `path`, normalised like the view's own state."""
    below = [Section(s.path[len(path) :], s.lines) for s in forward if s.path[: len(path)] == path]
    return view_state(config_tree(render_text(below)), path) or frozenset()


def _still_used(device: Device, spec: Any, now: Node, site: str) -> bool:
    """Another attachment on the device still uses the service (so shared objects stay)."""
    att = device.sites[site]
    if device.role == "bras":
        pre = re.compile(rf"\bpre-authentication {re.escape(spec.domains.pre_auth.name)}\b")
        return any(
            child.text != f"interface {att.subinterface}" and _bas_uses(child, pre)
            for child in now.children
            if child.text.startswith("interface ")
        )
    if device.role == "ac":
        ess = spec.ess.id
        theirs = re.compile(
            rf"vlan-mapping ess id {ess} type tag region (\d+) vlan \d+"
            rf"|vap ap (\d+) radio (\d+) ess id {ess} wlan (\d+)"
        )
        own = {f"region {att.region}", *(f"vap {v.ap} {v.radio} {v.wlan}" for v in att.vaps)}
        for child in now.children:
            if m := theirs.fullmatch(child.text):
                name = f"region {m[1]}" if m[1] else f"vap {m[2]} {m[3]} {m[4]}"
                if name not in own:
                    return True
        return False
    ports = {f"interface {p}" for p in att.trunk_ports}
    return any(
        spec.vlan in vlans_in(child, (child.text,), "port trunk allow-pass vlan")
        for child in now.children
        if child.text.startswith("interface ") and child.text not in ports
    )


def _bas_uses(interface: Node, pre: re.Pattern[str]) -> bool:
    bas = interface.children.get("bas")
    return bas is not None and any(pre.search(c.text) for c in bas.children)
