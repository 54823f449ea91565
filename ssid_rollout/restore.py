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

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from .model import Conflict, Section
from .plan import Scope, differences, has_secret, node_at, scopes, shown, vlans_in
from .render import config_tree, sections_of
from .undo import UndoTable

if TYPE_CHECKING:
    from hier_config import HConfig, HConfigChild

    Node = HConfig | HConfigChild

Path = tuple[str, ...]


def restore_plan(
    table: UndoTable, backup: str, current: str, forward: list[Section]
) -> tuple[list[Section], list[Conflict]]:
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
        scope = _scope(table, forward, path)
        foreign = _foreign(table, view, old, path, forward, scope)
        if foreign:
            reason = f"{' / '.join(path) or 'system view'}: changed by someone else since the run"
            conflicts.append(Conflict(reason, shown(path, foreign)))
            protected.update(path[: i + 1] for i in range(len(path)))
        taken = {u.key for x in foreign if (u := table.known(x, path))}
        back, lost_secret = _removed(table, old, view, path, scope, taken, owner)
        readd += back
        if lost_secret:
            reason = f"{path[-1]}: the key was removed since the run; enter it again"
            conflicts.append(Conflict(reason, shown(path, lost_secret)))

    def existed(path: Path) -> bool:
        return node_at(before, path) is not None or path in protected

    undo = table.undo_sections(_still_there(table, forward, now, before, existed), existed)
    return undo + readd, conflicts


def touched_equal(table: UndoTable, backup: str, current: str, forward: list[Section]) -> list[str]:
    """Differences between backup and current in the parts `forward` touched ([] = restored).

    Headers, `#` lines and timestamps are ignored, cipher strings compare as "present", VLAN
    lists as sets; what others changed outside the touched parts does not count.
    """
    before = config_tree(backup)
    found = differences(table, before, config_tree(current), scopes(table, forward, before))
    return [f"{scope.name()}: backup has {sorted(a)}, now {sorted(b)}" for scope, a, b in found]


# -- helpers ------------------------------------------------------------------------------------
def _scope(table: UndoTable, forward: Iterable[Section], path: Path) -> Scope | None:
    """System view is shared with everyone: only the settings the run touched count there."""
    if path:
        return None
    return next((s for s in scopes(table, (x for x in forward if not x.path)) if not s.path), None)


def _in_scope(table: UndoTable, text: str, path: Path, scope: Scope | None) -> bool:
    """Whether a line is compared line by line here (VLAN lists are compared as sets)."""
    undo = table.known(text, path)
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


def _same(table: UndoTable, a: str, b: str, path: Path) -> bool:
    """Lines equal after normalisation (a key and its cipher display are the same setting)."""
    ua, ub = table.known(a, path), table.known(b, path)
    if ua and ub and ua.rule.secret and ub.rule.secret:
        return ua.key == ub.key
    return a == b


def _foreign(
    table: UndoTable,
    view: Node | None,
    old: Node | None,
    path: Path,
    forward: list[Section],
    scope: Scope | None,
) -> list[str]:
    """Lines in a touched view that are neither the backup's nor the run's."""
    if view is None:
        return []
    mine = _sent(forward, path) | {c.text for c in (old.children if old is not None else ())}
    return [
        c.text
        for c in view.children
        if _in_scope(table, c.text, path, scope) and not any(_same(table, c.text, m, path) for m in mine)
    ]


def _removed(
    table: UndoTable,
    old: Node | None,
    view: Node | None,
    path: Path,
    scope: Scope | None,
    taken: set[str],
    owner: str,
) -> tuple[list[Section], list[str]]:
    """Backup lines of a touched view that are gone now: Sections to type them again, and the
    secrets among them (cannot be typed again from their cipher display)."""
    if old is None:
        return [], []
    if view is None:
        return sections_of(old, owner, path), []
    out: list[Section] = []
    secrets: list[str] = []
    lists: set[str] = set()
    for child in old.children:
        undo = table.known(child.text, path)
        if undo and undo.rule.vlans:
            if undo.key in lists:
                continue
            lists.add(undo.key)
            lost = vlans_in(table, old, path, undo.key) - vlans_in(table, view, path, undo.key)
            if lost and path:  # system view: the run only adds VLANs, someone else's removal is theirs
                out.append(Section(path, (undo.adding(table.vlans.format(lost)),), owner))
            continue
        if not _in_scope(table, child.text, path, scope) or any(
            _same(table, child.text, c.text, path) for c in view.children
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
    table: UndoTable,
    forward: Iterable[Section],
    now: Node,
    before: Node | None,
    existed: Callable[[Path], bool],
) -> list[Section]:
    """The part of `forward` still on the device (a created view: while the view is there)."""
    out: list[Section] = []
    for section in forward:
        created = table.created_view(section.path, existed)
        if created is not None:
            if node_at(now, section.path[: created + 1]) is not None:
                out.append(section)
            continue
        view = node_at(now, section.path)
        if view is None:
            continue
        present = (_present(table, line, section.path, view, before) for line in section.lines)
        lines = tuple(x for x in present if x)
        if lines:
            out.append(Section(section.path, lines, section.owner))
    return out


def _present(table: UndoTable, line: str, path: Path, view: Node, before: Node | None) -> str | None:
    """`line` as far as the run added it and it is still there (VLAN lines: those VLANs)."""
    undo = table.known(line, path)
    if undo and undo.rule.vlans:
        left = table.vlans.parse(undo.vlans) & vlans_in(table, view, path, undo.key)
        return undo.adding(table.vlans.format(left)) if left else None
    if undo and undo.rule.secret:  # only a key where there was none: a replaced one cannot come back
        added = before is not None and not has_secret(table, node_at(before, path), path)
        return line if added and has_secret(table, view, path) else None
    return line if line in view.children else None
