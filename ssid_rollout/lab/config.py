"""The lab device's configuration: an ordered tree of lines, read from and shown as VRP text.

Real VRP keeps its configuration as objects and prints them in its own order and format; the
lab keeps lines, but VLAN lists are sets (merged, sorted, shown as `a to b` items, ten per line)
because that is exactly where a text diff of a real device goes wrong.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

VLAN_BATCH = "vlan batch"
ALLOW_PASS = "port trunk allow-pass vlan"
UNDO_ALLOW_PASS = "undo port trunk allow-pass vlan"
#: Lines that hold a VLAN set instead of text (top level and interface level).
VLAN_LIST_PREFIXES = (VLAN_BATCH, ALLOW_PASS)
MAX_ITEMS_PER_LINE = 10
DEFAULT_VLAN = 1

#: Display order of new lines: a new line goes after the last sibling of the same or a lower rank.
#: Lines read from a configuration keep their place (the data files follow this order).
_TOP_RANKS = (
    ("sysname", 10),
    ("vlan batch", 20),
    ("vlan", 21),
    ("user-group", 25),
    ("ip pool", 26),
    ("radius-server template", 30),
    ("radius-server group", 31),
    ("web-auth-server", 32),
    ("acl", 35),
    ("aaa", 40),
    ("interface", 60),
    ("wlan", 70),
    ("ess", 71),
    ("vlan-mapping", 72),
    ("vap", 73),
    ("user-interface", 90),
)
_CHILD_RANKS = (
    ("description", 10),
    ("local-user", 11),
    ("authentication-scheme", 12),
    ("authorization-scheme", 13),
    ("accounting-scheme", 14),
    ("domain", 15),
    ("radius-server group", 16),
    ("radius-server authentication", 17),
    ("radius-server accounting", 18),
    ("radius-server shared-key", 19),
    ("radius-server class-as-car", 20),
    ("undo radius-server user-name", 21),
    ("ip-pool", 22),
    ("user-group", 23),
    ("web-server url-parameter", 26),
    ("web-server url", 25),
    ("web-server mode", 27),
    ("web-server redirect-key", 28),
    ("web-server", 24),
    ("access-type", 30),
    ("roam-domain", 31),
    ("authentication-method", 32),
    ("port link-type", 40),
    ("port trunk allow-pass", 41),
    ("port default vlan", 42),
    ("ip address", 45),
    ("user-vlan", 50),
    ("bas", 90),
)
_DEFAULT_RANK = 80
_IF_ORDER = ("Vlanif", "MEth", "Eth-Trunk", "GigabitEthernet", "XGigabitEthernet", "LoopBack", "NULL")
#: A `vlan N` view line (asked of every node each time a configuration is shown).
_VLAN_VIEW = re.compile(r"vlan \d+")


@dataclass
class Node:
    """One configuration line and the lines indented under it.

    A VLAN-list line keeps its command (`vlan batch`) as text and its VLANs in `vlans`.
    """

    text: str
    children: list[Node] = field(default_factory=list)
    vlans: set[int] | None = None
    joined: bool = False  # top level: shown without a `#` line before it (kept from the text read)

    def copy(self) -> Node:
        vlans = None if self.vlans is None else set(self.vlans)
        return Node(self.text, [c.copy() for c in self.children], vlans, self.joined)

    def find(self, text: str) -> Node | None:
        """The child whose line is exactly `text`."""
        return next((c for c in self.children if c.text == text), None)

    def starting(self, prefix: str) -> list[Node]:
        """Children whose line is `prefix` or starts with `prefix` and a space."""
        return list(self._starting(prefix))

    def first(self, prefix: str) -> Node | None:
        """The first of starting(prefix), without scanning the rest (every prompt looks up `sysname`)."""
        return next(self._starting(prefix), None)

    def _starting(self, prefix: str) -> Iterator[Node]:
        spaced = prefix + " "
        return (c for c in self.children if c.text == prefix or c.text.startswith(spaced))

    def walk(self) -> Iterator[Node]:
        for child in self.children:
            yield child
            yield from child.walk()


class Config:
    """A configuration tree whose every change bumps `version` (VRPv8 candidates track changes by it)."""

    def __init__(self, root: Node | None = None) -> None:
        self.root = root or Node("")
        self.version = 0

    def copy(self) -> Config:
        return Config(self.root.copy())

    def node(self, path: Iterable[str]) -> Node | None:
        """The node reached by following exact line texts from the top."""
        node: Node | None = self.root
        for text in path:
            node = node.find(text) if node else None
        return node

    def ensure(self, parent: Node, text: str) -> Node:
        """The child with this exact line, created in display order if missing."""
        found = parent.find(text)
        if found is not None:
            return found
        node = Node(text)
        self._insert(parent, node)
        return node

    def set_line(self, parent: Node, prefix: str, text: str) -> Node:
        """Replace the child line starting with `prefix` (a single-valued setting) or add it."""
        old = parent.first(prefix)
        if old is not None:
            if old.text != text:
                old.text = text
                self.version += 1
            return old
        return self.ensure(parent, text)

    def remove(self, parent: Node, node: Node) -> None:
        parent.children.remove(node)
        self.version += 1

    def vlan_list(self, parent: Node, prefix: str) -> Node:
        node = parent.find(prefix)
        if node is None:
            node = Node(prefix, vlans=set())
            self._insert(parent, node)
        return node

    def add_vlans(self, parent: Node, prefix: str, vlans: Iterable[int]) -> None:
        node = self.vlan_list(parent, prefix)
        assert node.vlans is not None
        before = len(node.vlans)
        node.vlans.update(vlans)
        self.version += len(node.vlans) != before

    def remove_vlans(self, parent: Node, prefix: str, vlans: Iterable[int]) -> set[int]:
        """Remove VLANs from a list; returns the ones that were there."""
        node = parent.find(prefix)
        if node is None or node.vlans is None:
            return set()
        gone = node.vlans & set(vlans)
        node.vlans -= gone
        self.version += bool(gone)
        return gone

    def _insert(self, parent: Node, node: Node) -> None:
        """After the last sibling that sorts before or with it, so lines of a kind stay together."""
        top = parent is self.root
        key = _order_key(node.text, top=top)
        keys = [_order_key(c.text, top=top) for c in parent.children]
        at = next((i + 1 for i in range(len(keys) - 1, -1, -1) if keys[i] <= key), 0)
        if top and at:
            node.joined = _joins(parent.children[at - 1], node)
        parent.children.insert(at, node)
        self.version += 1


@functools.lru_cache(maxsize=65536)
def _order_key(text: str, *, top: bool) -> tuple[int, tuple[int, ...]]:
    """Cached: every insert ranks all its siblings, and the same lines recur on every device."""
    table = _TOP_RANKS if top else _CHILD_RANKS
    rank = next((r for p, r in table if text == p or text.startswith(p + " ")), _DEFAULT_RANK)
    if top and text.startswith("interface "):
        return rank, interface_sort_key(text.split(" ", 1)[1])
    if top and _VLAN_VIEW.fullmatch(text):
        return rank, (int(text.split()[1]),)
    return rank, ()


def interface_sort_key(name: str) -> tuple[int, ...]:
    """Interfaces sort by type (VRP's display order), then numerically."""
    kind = re.match(r"[A-Za-z-]+", name)
    order = _IF_ORDER.index(kind.group(0)) if kind and kind.group(0) in _IF_ORDER else len(_IF_ORDER)
    return (order, *(int(n) for n in re.findall(r"\d+", name)))


# ---------------------------------------------------------------------------------------------- VLAN lists
def parse_vlan_items(words: list[str]) -> set[int]:
    """`10 20 100 to 110` -> {10, 20, 100..110}; the caller has validated the words."""
    vlans: set[int] = set()
    i = 0
    while i < len(words):
        if i + 2 < len(words) and words[i + 1] == "to":
            vlans.update(range(int(words[i]), int(words[i + 2]) + 1))
            i += 3
        else:
            vlans.add(int(words[i]))
            i += 1
    return vlans


def vlan_items(vlans: Iterable[int], *, to: str = " to ") -> list[str]:
    """Sorted VLANs as display items: runs of two or more become `a to b` (or `a-b`)."""
    items: list[str] = []
    ordered = sorted(set(vlans))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        items.append(str(ordered[i]) if i == j else f"{ordered[i]}{to}{ordered[j]}")
        i = j + 1
    return items


def vlan_lines(prefix: str, vlans: Iterable[int]) -> list[str]:
    """`vlan batch ...` lines of at most ten items each, as the device shows them."""
    items = vlan_items(vlans)
    return [
        f"{prefix} {' '.join(items[k : k + MAX_ITEMS_PER_LINE])}"
        for k in range(0, len(items), MAX_ITEMS_PER_LINE)
    ]


# ---------------------------------------------------------------------------------------------- reading
def parse(text: str) -> Config:
    """Read VRP indented text (`display current-configuration` or a fragment) into a tree.

    `#` lines, `!` header lines and `return` are layout, not configuration. VLAN-list lines merge
    into one set per parent; a trunk port allows VLAN 1 unless `undo port trunk allow-pass vlan 1`.
    """
    root = Node("")
    stack: list[tuple[int, Node]] = [(-1, root)]
    separated = True
    for raw in text.replace("\r", "").split("\n"):
        line = raw.rstrip()
        body = line.lstrip(" ")
        depth = len(line) - len(body)
        if body.startswith("#") and depth == 0:
            separated = True
        if not body or body.startswith(("#", "!")) or body == "return":
            continue
        while stack[-1][0] >= depth:
            stack.pop()
        parent = stack[-1][1]
        node = _merge_vlan_line(parent, body)
        if node is None:
            node = Node(body, joined=not separated)
            parent.children.append(node)
        separated = separated and depth > 0
        stack.append((depth, node))
    for node in root.children:
        if node.text.startswith("interface "):
            _normalise_trunk(node)
    return Config(root)


def _merge_vlan_line(parent: Node, body: str) -> Node | None:
    for prefix in VLAN_LIST_PREFIXES:
        if body.startswith(prefix + " "):
            words = body[len(prefix) :].split()
            if not all(w == "to" or w.isdigit() for w in words):
                return None
            node = parent.find(prefix)
            if node is None:
                node = Node(prefix, vlans=set())
                parent.children.append(node)
            assert node.vlans is not None
            node.vlans.update(parse_vlan_items(words))
            return node
    return None


def _normalise_trunk(interface: Node) -> None:
    """Fold the default VLAN 1 and its `undo` line into the trunk port's allowed set."""
    if interface.find("port link-type trunk") is None:
        return
    allowed = interface.find(ALLOW_PASS)
    if allowed is None:
        allowed = Node(ALLOW_PASS, vlans=set())
        interface.children.append(allowed)
    assert allowed.vlans is not None
    allowed.vlans.add(DEFAULT_VLAN)
    for undo in interface.starting(UNDO_ALLOW_PASS):
        allowed.vlans -= parse_vlan_items(undo.text[len(UNDO_ALLOW_PASS) :].split())
        interface.children.remove(undo)


# ---------------------------------------------------------------------------------------------- showing
def render(config: Config, *, flavour: str, header: Iterable[str] = ()) -> str:
    """The whole configuration as `display current-configuration` prints it ("\\n" line ends)."""
    lines = [*header, "#"]
    previous: Node | None = None
    for node in config.root.children:
        if not _shown(node):
            continue
        if previous is not None and not node.joined:
            lines.append("#")
        lines.extend(render_node(node, 0, flavour=flavour))
        previous = node
    lines += ["#", "return"]
    return "\n".join(lines)


def render_node(node: Node, depth: int, *, flavour: str) -> list[str]:
    """One node and its children, indented one space per level."""
    pad = " " * depth
    if node.vlans is not None:
        return [pad + line for line in _vlan_node_lines(node)]
    lines = [pad + node.text]
    v8 = flavour == "vrpv8"
    if v8 and node.text == "bas":
        lines.append(pad + "#")
    children = [c for c in node.children if _shown(c)]
    for i, child in enumerate(children):
        lines.extend(render_node(child, depth + 1, flavour=flavour))
        following = children[i + 1] if i + 1 < len(children) else None
        if (
            v8
            and node.text == "aaa"
            and not (_same_group(child, following) and child.text.startswith("local-user"))
        ):
            lines.append(" " * (depth + 1) + "#")
    if v8 and node.text == "bas":
        lines.append(pad + "#")
    return lines


def _vlan_node_lines(node: Node) -> list[str]:
    assert node.vlans is not None
    if node.text != ALLOW_PASS:
        return vlan_lines(node.text, node.vlans)
    undo = [] if DEFAULT_VLAN in node.vlans else [f"{UNDO_ALLOW_PASS} {DEFAULT_VLAN}"]
    return undo + vlan_lines(node.text, node.vlans - {DEFAULT_VLAN})


def _shown(node: Node) -> bool:
    """A `vlan N` view with nothing in it shows only in `vlan batch`; an empty VLAN list shows nothing."""
    if node.vlans is not None:
        return bool(node.vlans) and (node.text != ALLOW_PASS or node.vlans != {DEFAULT_VLAN})
    return bool(node.children) or not _VLAN_VIEW.fullmatch(node.text)


def _joins(previous: Node, node: Node) -> bool:
    """A new top-level line shares its neighbour's section (no `#` between) when both are `vlan N`
    blocks or one-liners of one kind (`vap ...`, `vlan-mapping ...`); interfaces never do."""
    if _VLAN_VIEW.fullmatch(previous.text) and _VLAN_VIEW.fullmatch(node.text):
        return True
    return _same_group(previous, node) and not node.text.startswith("interface ")


def _same_group(node: Node, following: Node | None) -> bool:
    if following is None or node.children or following.children:
        return False
    if node.vlans is not None or following.vlans is not None:
        return False
    return node.text.split()[0] == following.text.split()[0]
