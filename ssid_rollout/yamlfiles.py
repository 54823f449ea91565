"""Reading the operator's YAML files: bounded (size, alias expansion), strict (a key written twice is
refused) and every problem one InputError naming the file and the line or field."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ssid_rollout.errors import InputError
from ssid_rollout.i18n import N_, _

_SIMPLE_PART = re.compile(r"[A-Za-z0-9_-]+")


def field_path(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as the dotted path the operator wrote (`portal.port`, `vaps[2].ap`)."""
    path = ""
    for part in loc:
        if part == "[key]":
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            text = part if _SIMPLE_PART.fullmatch(part) else repr(part)
            path += f".{text}" if path else text
    return path or "(top level)"


#: Our words for the structural errors, and pydantic's English templates of the value errors an
#: operator's file most often has: translated where the run's language has them, else pydantic's own.
_OUR_WORDS = {
    "extra_forbidden": N_("unknown key"),
    "dict_type": N_("must be a mapping"),
    "model_type": N_("must be a mapping"),
    "model_attributes_type": N_("must be a mapping"),
}
_PYDANTIC_WORDS = {
    "int_type": N_("Input should be a valid integer"),
    "string_type": N_("Input should be a valid string"),
    "bool_type": N_("Input should be a valid boolean"),
    "list_type": N_("Input should be a valid list"),
    "greater_than_equal": N_("Input should be greater than or equal to {ge}"),
    "less_than_equal": N_("Input should be less than or equal to {le}"),
    "string_too_long": N_("String should have at most {max_length} characters"),
    "string_pattern_mismatch": N_("String should match pattern '{pattern}'"),
    "too_short": N_("should have at least {min_length} item(s)"),
}


def first_error(exc: ValidationError, *, missing: str | None = None) -> tuple[str, str]:
    """The first problem as (field path, one-line message); the rest are counted, not dumped."""
    errors = exc.errors(include_url=False, include_input=False)
    error = errors[0]
    if error["type"] == "missing":
        message = missing or _("missing")
    elif error["type"] in _OUR_WORDS:
        message = _(_OUR_WORDS[error["type"]])
    else:
        message = _pydantic_words(error)
    message = " ".join(message.split())
    if len(errors) == 2:
        message += " " + _("(and 1 more problem)")
    elif len(errors) > 2:
        message += " " + _("(and {n} more problems)").format(n=len(errors) - 1)
    return field_path(tuple(error["loc"])), message


def _pydantic_words(error: ErrorDetails) -> str:
    """pydantic's own message, or its template in the run's language (filled from the error's ctx)."""
    template = _PYDANTIC_WORDS.get(error["type"])
    if template is not None and _(template) != template:
        return _(template).format(**error.get("ctx", {}))
    return re.sub(r"^(Value error|Assertion failed), ", "", error["msg"])


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping (PyYAML keeps the last)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _value in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
            except TypeError:
                raise yaml.constructor.ConstructorError(
                    None, None, "found an unhashable key", key_node.start_mark
                ) from None
            if duplicate:
                raise yaml.constructor.ConstructorError(
                    None, None, f"found duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def yaml_error(path: Path, exc: Exception, text: str = "") -> InputError:
    """A YAML error (PyYAML or ruamel, same shape) as one line naming the file and the line.

    C parsers leave the offending character out of "found character that cannot start any
    token"; it is added from the text (a tab, usually).
    """
    mark = getattr(exc, "problem_mark", None)
    problem = " ".join(str(getattr(exc, "problem", None) or exc).split())
    if mark is None:
        return InputError(f"{path}: (document)", _("invalid YAML: {problem}").format(problem=problem))
    lines = text.splitlines()
    line = lines[mark.line] if mark.line < len(lines) else ""
    char = line[mark.column] if mark.column < len(line) else ""
    if char and "found character" in problem and repr(char) not in problem:
        problem = problem.replace("found character", f"found character {char!r}", 1)
    where = f"{path}: line {mark.line + 1}, column {mark.column + 1}"
    return InputError(where, _("invalid YAML: {problem}").format(problem=problem))


#: Bounds on the work one input file may cause: its size, and its nodes once aliases are expanded
#: (a 1,000-host inventory has about 30,000; a billion-laughs document has 10**9).
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_YAML_NODES = 1_000_000


def read_text(path: Path) -> str:
    """The file's text, or an InputError naming it."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise InputError(
                f"{path}: (file)", _("is larger than {mb} MB").format(mb=MAX_FILE_BYTES // 2**20)
            )
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: (file)", _("not found")) from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: (file)", _("is not UTF-8 text")) from None
    except OSError as exc:
        why = exc.strerror or exc
        raise InputError(f"{path}: (file)", _("cannot be read ({why})").format(why=why)) from None


def parse_yaml(path: Path, load: Callable[[str], Any], compose: Callable[[str], Any]) -> Any:
    """The file parsed by `load`; whatever the parser trips on becomes one InputError.

    A document with aliases is first composed (`compose`, which expands nothing) and refused when
    its aliases would expand it past MAX_YAML_NODES: every later walk over the data would pay that.
    """
    text = read_text(path)
    try:
        if "*" in text and _expanded_nodes(compose(text), {}) > MAX_YAML_NODES:
            raise InputError(
                f"{path}: (document)",
                _("its aliases expand it to more than {n} nodes").format(n=MAX_YAML_NODES),
            )
        return load(text)
    except RecursionError:
        raise InputError(f"{path}: (document)", _("nested too deeply")) from None
    except Exception as exc:  # parsers fail on odd text with IndexError, ValueError, KeyError ... too
        raise yaml_error(path, exc, text) from None


def _expanded_nodes(node: Any, memo: dict[int, int]) -> int:
    """Nodes of a composed YAML graph (PyYAML or ruamel) with every alias expanded, counted once
    per distinct node and capped just past the limit."""
    if node is None:
        return 0
    if id(node) in memo:
        return memo[id(node)]
    memo[id(node)] = MAX_YAML_NODES + 1  # a node met again while counting is a cycle
    total = 1
    if isinstance(node.value, list):
        for item in node.value:
            for part in item if isinstance(item, tuple) else (item,):
                total += _expanded_nodes(part, memo)
            if total > MAX_YAML_NODES:
                break
    memo[id(node)] = min(total, MAX_YAML_NODES + 1)
    return memo[id(node)]


def load_yaml(path: Path) -> Any:
    """Safe YAML with duplicate keys refused; anchors, merges and tabs behave as YAML says."""
    return parse_yaml(
        path,
        lambda text: yaml.load(text, Loader=_StrictLoader),
        lambda text: yaml.compose(text, Loader=_StrictLoader),
    )
