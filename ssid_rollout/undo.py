"""Undo tables (one per platform, declared in its module), and undo Sections built from them.

hier_config's negation (`undo ` + the line) is wrong for many device commands (DESIGN.md, Known
traps): the key would travel in the undo, weights and ports are not accepted, some undo forms
drop the value, and a desired line may itself be an `undo`. Each rule states, for one forward
line in one view, the device's undo form, and what plan and restore need to know about the line:

- `key`: the setting the line sets. Another line of the same rule and key in the same view is
  the same setting with another value: a conflict. Defaults to the undo line.
- `asks`: the device asks [Y/N] before it obeys the undo (sent alone, the engine answers).
- `removes_section`: the undo removes a whole object the line created.
- `secret`: the device shows the value only as cipher text: compared as "present".
- `vlans`: the value (the `vlans` group) is a VLAN list: compared as a set. `vlan_op` says what the
  line does to the set its view carries (VlanOp); `absent`
  is the set a view without any line of the setting carries (an RGOS trunk: every VLAN); `adds`
  is the line that adds `{vlans}` (default: the key, then the list), for a setting the device
  shows in another form than we type it (RGOS shows `... vlan only <list>`, we type `... vlan add`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Set
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .model import Section
from .values import ALL_VLANS, VRP_VLANS, VlanSyntax

#: System view, as the view regex of a rule (rules name other views by the line that entered them).
SYSTEM = ""
#: What a VLAN list line does to the set its view carries: adds to it, states it, removes from it,
#: or states its complement.
VlanOp = Literal["add", "only", "remove", "except"]


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
    vlan_op: VlanOp = "add"
    absent: frozenset[int] = frozenset()
    adds: str | None = None


@dataclass(frozen=True)
class Undo:
    """A rule applied to one line: the undo command (None: nothing to send), the setting, and the
    VLAN list the line names (VLAN rules only)."""

    rule: UndoRule
    line: str | None
    key: str
    vlans: str = ""

    def adding(self, vlans: str) -> str:
        """The line that adds the VLAN list `vlans` to this line's setting."""
        return self.rule.adds.format(vlans=vlans) if self.rule.adds else f"{self.key} {vlans}"

    def carried(self, before: Set[int], syntax: VlanSyntax) -> frozenset[int]:
        """The VLANs the setting carries after this line, given those it carried before it."""
        named = syntax.parse(self.vlans)
        op = self.rule.vlan_op
        if op in ("only", "except"):
            return named if op == "only" else ALL_VLANS - named
        return frozenset(before - named if op == "remove" else before | named)


def _command(forward: str) -> str:
    """The literal first word of a rule's forward line: the index a view's rules are filed under."""
    word = forward.split(" ", 1)[0]
    if not re.fullmatch(r"[\w-]+", word):
        raise ValueError(f"undo rule {forward!r} must start with a literal command word")
    return word


class UndoTable:
    """A platform's undo rules, looked up by view and command word (the lookups are cached: the
    same lines recur on every device)."""

    def __init__(
        self, rules: Iterable[UndoRule], vlans: VlanSyntax = VRP_VLANS, vlan_list: str = "vlan batch"
    ) -> None:
        self.rules = tuple(rules)
        self.vlans = vlans
        #: the system-view line that lists VLANs (its `vlan N` views count too)
        self.vlan_list = vlan_list
        for rule in self.rules:
            _command(rule.forward)
        self._views = lru_cache(maxsize=1024)(self._view_rules)
        self._lookup = lru_cache(maxsize=1 << 16)(self._find)
        self._absent = lru_cache(maxsize=1024)(self._absent_in)

    def _view_rules(self, view: str) -> dict[str, tuple[tuple[re.Pattern[str], UndoRule], ...]]:
        """The rules of the view entered by `view`, by command word: a line meets only the rules of
        its own command, so the many lines the table does not know cost one dict look-up."""
        out: dict[str, list[tuple[re.Pattern[str], UndoRule]]] = {}
        for rule in self.rules:
            if re.fullmatch(rule.view, view):
                out.setdefault(_command(rule.forward), []).append((re.compile(rule.forward), rule))
        return {word: tuple(rules) for word, rules in out.items()}

    def _find(self, line: str, view: str) -> Undo | None:
        """The first rule (in table order) for `line` in `view`; None is cached too."""
        for forward, rule in self._views(view).get(line.split(" ", 1)[0], ()):
            if m := forward.fullmatch(line):
                fields = m.groupdict()
                undo = rule.undo.format(**fields) if rule.undo else None
                key = (rule.key or rule.undo or line).format(**fields)
                return Undo(rule, undo, key, fields.get("vlans") or "")
        return None

    def absent(self, key: str, path: Iterable[str] = ()) -> frozenset[int]:
        """The VLANs a view (entered by `path`) without any line of the VLAN setting `key` carries."""
        path = tuple(path)
        return self._absent(key, path[-1] if path else SYSTEM)

    def _absent_in(self, key: str, view: str) -> frozenset[int]:
        for rules in self._views(view).values():
            for _, rule in rules:
                if rule.vlans and rule.key == key:
                    return rule.absent
        return frozenset()

    def known(self, line: str, path: Iterable[str] = ()) -> Undo | None:
        """The rule for `line` typed in the view entered by `path`; None for a line the table does not
        know (someone else's configuration)."""
        path = tuple(path)
        return self._lookup(line, path[-1] if path else SYSTEM)

    def undo_line(self, line: str, path: Iterable[str] = ()) -> Undo:
        """Like `known`; KeyError if the table has no rule (the service's own lines all have one)."""
        undo = self.known(line, path)
        if undo is None:
            raise KeyError(f"no undo rule for {line!r} in view {tuple(path)[-1:] or ('system view',)}")
        return undo

    def created_view(self, path: tuple[str, ...], existed: Callable[[tuple[str, ...]], bool]) -> int | None:
        """Index of the first view on `path` that did not exist and can be removed whole."""
        for i in range(len(path)):
            if not existed(path[: i + 1]) and self.undo_line(path[i], path[:i]).rule.removes_section:
                return i
        return None

    def undo_sections(
        self, forward: Iterable[Section], existed: Callable[[tuple[str, ...]], bool]
    ) -> list[Section]:
        """Sections that take `forward` back, in reverse order.

        A section whose view did not exist before (`existed(path)` false) is removed whole, once,
        from its parent view; otherwise each line is undone in its own view. Lines the device
        asks about go in a Section of their own, so the engine can answer the question; other
        neighbours with the same view and owner share one Section (one round trip).
        """
        out: list[tuple[Section, bool]] = []
        removed: set[tuple[tuple[str, ...], str]] = set()
        for section in reversed(list(forward)):
            created = self.created_view(section.path, existed)
            if created is not None:
                parent = section.path[:created]
                line = self.undo_line(section.path[created], parent).line
                if line and (parent, line) not in removed:
                    removed.add((parent, line))
                    _add(out, Section(parent, (line,), section.owner), asks=False)
                continue
            for line in reversed(section.lines):
                undo = self.undo_line(line, section.path)
                if undo.line is not None:
                    _add(out, Section(section.path, (undo.line,), section.owner), undo.rule.asks)
        return [section for section, _ in out]


def _add(out: list[tuple[Section, bool]], section: Section, asks: bool) -> None:
    """Append, joining the previous Section when both are plain and share view and owner."""
    if out and not asks and not out[-1][1]:
        last = out[-1][0]
        if (last.path, last.owner) == (section.path, section.owner):
            out[-1] = (Section(last.path, last.lines + section.lines, last.owner), False)
            return
    out.append((section, asks))
