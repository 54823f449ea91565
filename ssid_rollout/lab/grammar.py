"""Command patterns and a matcher that fails the way VRP does: at a word, with a caret.

VRP answers a line it cannot take with the caret under the first character of the offending
word (columns counted from the prompt's first character) and one of a few fixed messages
(huawei-vrp-cli.md section 3). Keywords may be abbreviated to any unique prefix, as on VRP.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from ssid_rollout.lab.config import parse_vlan_items

UNRECOGNIZED = "Error: Unrecognized command found at '^' position."
WRONG = "Error: Wrong parameter found at '^' position."
# The spacing variants are the device's own (X-eNSP, X-CMC, AN#409).
INCOMPLETE = "Error:Incomplete command found at '^' position."
TOO_MANY = "Error:Too many parameters found at '^' position."
AMBIGUOUS = "Error: Ambiguous command found at '^' position."
#: When two patterns fail at the same word, the more specific message wins.
_PRIORITY = {WRONG: 4, INCOMPLETE: 3, UNRECOGNIZED: 2, TOO_MANY: 1, AMBIGUOUS: 0}

Token = tuple[str, int]  # word, column in the command line
_WORD = re.compile(r"\S+")


class CliError(Exception):
    """A semantic refusal: one `Error:` line without a caret (`Error: The VLAN does not exist.`)."""

    def __init__(self, line: str) -> None:
        super().__init__(line)
        self.line = line


class ParamError(Exception):
    """A refusal pointing at a word; `at` is a token index or a parameter name."""

    def __init__(self, at: int | str, message: str = WRONG) -> None:
        super().__init__(message)
        self.at = at
        self.message = message


ParamParser = Callable[[Sequence[Token], int], tuple[Any, int]]


@dataclass(frozen=True)
class Element:
    """A keyword (one of `words`, stored under `name` if named) or a typed parameter."""

    words: tuple[str, ...] = ()
    name: str = ""
    parse: ParamParser | None = None


@dataclass
class Outcome:
    ok: bool
    pos: int = 0
    message: str = ""
    args: dict[str, Any] = field(default_factory=dict)
    positions: dict[str, int] = field(default_factory=dict)
    abbreviated: int = 0
    keywords: tuple[str, ...] = ()


def tokenize(line: str) -> list[Token]:
    return [(m.group(0), m.start()) for m in _WORD.finditer(line)]


# ---------------------------------------------------------------------------------------------- parameters
def _one(check: Callable[[str], Any]) -> ParamParser:
    def parse(tokens: Sequence[Token], i: int) -> tuple[Any, int]:
        try:
            return check(tokens[i][0]), i + 1
        except (ValueError, TypeError):
            raise ParamError(i) from None

    return parse


def int_range(low: int, high: int) -> ParamParser:
    def check(word: str) -> int:
        if not word.isdigit() or not low <= int(word) <= high:
            raise ValueError(word)
        return int(word)

    return _one(check)


def _ipv4(word: str) -> str:
    return str(ipaddress.IPv4Address(word))


def _word(word: str) -> str:
    if word.startswith('"') != word.endswith('"') or len(word) > 200:
        raise ValueError(word)
    return word


def _rest_text(tokens: Sequence[Token], i: int) -> tuple[str, int]:
    return " ".join(t for t, _ in tokens[i:]), len(tokens)


def _vlan_list(tokens: Sequence[Token], i: int) -> tuple[set[int], int]:
    """`{ v1 [ to v2 ] } &<1-10>` (USG): at most ten items, each VLAN 1-4094, ranges rising."""
    words: list[str] = []
    items = 0
    j = i
    while j < len(tokens):
        word = tokens[j][0]
        if not word.isdigit() or not 1 <= int(word) <= 4094:
            raise ParamError(j)
        items += 1
        if items > 10:
            raise ParamError(j, TOO_MANY)
        words.append(word)
        if j + 1 < len(tokens) and tokens[j + 1][0].lower() == "to":
            if j + 2 >= len(tokens):
                raise ParamError(len(tokens), INCOMPLETE)
            end = tokens[j + 2][0]
            if not end.isdigit() or not int(word) <= int(end) <= 4094:
                raise ParamError(j + 2)
            words += ["to", end]
            j += 3
        else:
            j += 1
    return parse_vlan_items(words), j


#: CloudEngine-based S-series name their ports by speed: `10GE1/0/13`, `25GE`, `40GE`, `100GE`,
#: `MultiGE` (huawei-vrp-cli.md; the inventory accepts them for `huawei`).
CE_PORTS = ("MultiGE", "10GE", "25GE", "40GE", "100GE")
IF_TYPES = (
    "GigabitEthernet", "XGigabitEthernet", *CE_PORTS, "Eth-Trunk", "Vlanif", "LoopBack", "MEth", "NULL"
)  # fmt: skip
_IF_NUMBER = {
    "GigabitEthernet": r"\d+/\d+/\d+(\.\d+)?",
    "XGigabitEthernet": r"\d+/\d+/\d+(\.\d+)?",
    **dict.fromkeys(CE_PORTS, r"\d+/\d+/\d+(\.\d+)?"),
    "Eth-Trunk": r"\d+(\.\d+)?",
    "Vlanif": r"\d+",
    "LoopBack": r"\d+",
    "MEth": r"\d+/\d+/\d+",
    "NULL": r"0",
}


def _interface(tokens: Sequence[Token], i: int) -> tuple[str, int]:
    """`GigabitEthernet0/0/1`, `GigabitEthernet 0/0/1` or `gi0/0/1` -> `GigabitEthernet0/0/1`."""
    split = re.fullmatch(r"(\d+GE|[A-Za-z][A-Za-z-]*)(\d.*)?", tokens[i][0])
    if not split:
        raise ParamError(i)
    typed = split.group(1).lower()
    kinds = [k for k in IF_TYPES if k.lower() == typed] or [
        k for k in IF_TYPES if k.lower().startswith(typed)
    ]
    if len(kinds) != 1:
        raise ParamError(i)
    number, following = split.group(2), i + 1
    if number is None:
        if following >= len(tokens):
            raise ParamError(following, INCOMPLETE)
        number, following = tokens[following][0], following + 1
    if not re.fullmatch(_IF_NUMBER[kinds[0]], number):
        raise ParamError(following - 1)
    return kinds[0] + number, following


TYPES: dict[str, ParamParser] = {
    "if": _interface,
    "vlan": int_range(1, 4094),
    "vlans": _vlan_list,
    "ip": _one(_ipv4),
    "word": _one(_word),
    "text": _rest_text,
    "port": int_range(1, 65535),
    "weight": int_range(0, 100),
    "acl": int_range(2000, 9999),
    "rule": int_range(0, 4294967294),
    "num": int_range(0, 2147483647),
    "seconds": int_range(60, 65535),
    "screen": int_range(0, 512),
}


# ---------------------------------------------------------------------------------------------- patterns
def compile_pattern(spec: str, types: Mapping[str, ParamParser]) -> list[tuple[Element, ...]]:
    """`vlan batch <vlans:vlans>`, `port link-type (kind=trunk|access|hybrid)`, trailing `[ ... ]`
    groups are optional (each expands the pattern)."""
    parts = re.findall(r"\[[^\]]*\]|\S+", spec)
    required: list[list[Element]] = [[]]
    options: list[list[Element]] = []
    for part in parts:
        if part.startswith("["):
            options.append([_element(w, types) for w in part[1:-1].split()])
        else:
            if options:
                raise ValueError(f"optional groups must come last: {spec}")
            required[0].append(_element(part, types))
    variants = []
    for chosen in product((False, True), repeat=len(options)):
        elements = list(required[0])
        for take, group in zip(chosen, options, strict=True):
            if take:
                elements += group
        variants.append(tuple(elements))
    return variants


def _element(word: str, types: Mapping[str, ParamParser]) -> Element:
    param = re.fullmatch(r"<(\w+):(\w+)>", word)
    if param:
        return Element(name=param.group(1), parse=types[param.group(2)])
    choice = re.fullmatch(r"\((\w+)=([\w|-]+)\)", word)
    if choice:
        return Element(words=tuple(choice.group(2).split("|")), name=choice.group(1))
    return Element(words=(word,))


def match(elements: Sequence[Element], tokens: Sequence[Token]) -> Outcome:
    args: dict[str, Any] = {}
    positions: dict[str, int] = {}
    keywords: list[str] = []
    abbreviated = 0
    i = 0
    for element in elements:
        if i >= len(tokens):
            return Outcome(False, len(tokens), INCOMPLETE)
        if element.words:
            word = tokens[i][0].lower()
            if word not in element.words:
                candidates = [w for w in element.words if w.startswith(word)]
                if len(candidates) != 1:
                    return Outcome(False, i, UNRECOGNIZED)
                word = candidates[0]
                abbreviated += 1
            keywords.append(word)
            if element.name:
                args[element.name] = word
                positions[element.name] = i
            i += 1
            continue
        assert element.parse is not None
        try:
            value, following = element.parse(tokens, i)
        except ParamError as err:
            assert isinstance(err.at, int)
            return Outcome(False, err.at, err.message)
        args[element.name] = value
        positions[element.name] = i
        i = following
    if i < len(tokens):
        return Outcome(False, i, TOO_MANY)
    return Outcome(True, args=args, positions=positions, abbreviated=abbreviated, keywords=tuple(keywords))


def best_failure(outcomes: Sequence[Outcome]) -> Outcome:
    """The failure that got furthest; at equal reach the more specific message."""
    return max(outcomes, key=lambda o: (o.pos, _PRIORITY[o.message]))


def caret_lines(prompt: str, line: str, tokens: Sequence[Token], pos: int, message: str) -> list[str]:
    """The caret line under word `pos` (past the end for a missing word) and the message."""
    column = tokens[pos][1] if pos < len(tokens) else len(line.rstrip()) + 1
    return [" " * (len(prompt) + column) + "^", message]
