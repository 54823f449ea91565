"""Platform knowledge as declared data: prompts, error forms, questions and commit strategy.

Everything the session needs to know about a Huawei dialect lives in these tables
(huawei-vrp-cli.md is the source of each entry), so no module branches on a platform name.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .errors import InputError
from .model import Section

#: Lines that report a refused command (huawei-vrp-cli.md section 3: the spacing varies).
ERROR_RE = re.compile(r"^\s*Error\s*:.*$", re.M)


@dataclass(frozen=True)
class Question:
    """A device question and how to answer it.

    `context` names the operation during which the answer is allowed ("save", "undo",
    "exit"); outside its context the same question is unexpected and gets "N".
    """

    name: str
    pattern: re.Pattern[str]
    answer: str
    context: str


def _q(name: str, pattern: str, answer: str, context: str) -> Question:
    return Question(name, re.compile(pattern, re.I), answer, context)


#: One table of every question the tool answers (huawei-vrp-cli.md sections 1, 2, 4 and 9).
QUESTIONS: tuple[Question, ...] = (
    _q(
        "save file name",
        r"Please input the file name\(\*\.cfg, \*\.zip, \*\.dat\):\s*$",
        "vrpcfg.zip",
        "save",
    ),
    _q("save to card", r"Are you sure to save the configuration to \S+\s*\?\s*\[Y/N\]:?\s*$", "y", "save"),
    _q("overwrite file", r"exists,\s*overwrite\?\s*\[Y/N\]:?\s*$", "y", "save"),
    _q("save", r"(?:Are you sure to continue|Continue)\s*\?\s*\[Y/N\]:?\s*$", "y", "save"),
    _q("delete shared key", r"delete the shared key\s*\?\s*\[Y/N\]:?\s*$", "y", "undo"),
    _q(
        "delete vlan",
        r"configurations of the VLAN will be deleted\..*Continue\?\s*\[Y/N\]:?\s*$",
        "y",
        "undo",
    ),
    _q("uncommitted on exit", r"\[Y\(yes\)/N\(no\)/C\(cancel\)\]:?\s*$", "c", "never"),
)
#: Anything else that waits for an answer; answered "N" and the host fails with its text.
ANY_QUESTION_RE = re.compile(r"(?:\[Y/N\]|\[y/n\]|\(Y/N\)|\[Y\(yes\)/N\(no\)/C\(cancel\)\]):?\s*$")
#: A save is only a save when the device says so (huawei-vrp-cli.md section 9).
SAVE_SUCCESS_RE = re.compile(r"successfully", re.I)


def question_for(tail: str, context: str | None = None) -> Question | None:
    """The declared question (allowed in `context`, when given) whose pattern ends `tail`."""
    for question in QUESTIONS:
        if question.pattern.search(tail) and context in (None, question.context):
            return question
    return None


@dataclass(frozen=True)
class Platform:
    """How one Netmiko device_type behaves."""

    name: str
    two_stage: bool  # VRPv8: changes go to a candidate and need a commit
    #: lines that enter one more view than their section (VRPv8 `user-vlan` opens a sub-view)
    subview_re: re.Pattern[str] | None = None
    #: texts that mean failure although no `Error:` line is printed
    failure_texts: tuple[str, ...] = ("Failed to", "failed to commit")
    #: lines whose device answer is a question, so they are always sent alone
    asking_re: re.Pattern[str] = re.compile(r"^undo (?:radius-server shared-key|vlan)\b")
    #: (take, release) the device's configuration lock, from user view, so no other session commits
    #: into our change (docs/research-vrpv8-lock.md); None where the tool does not use one
    config_lock: tuple[str, str] | None = None


PLATFORMS: dict[str, Platform] = {
    "huawei": Platform("huawei", two_stage=False),
    "huawei_vrpv8": Platform(
        "huawei_vrpv8",
        two_stage=True,
        subview_re=re.compile(r"^user-vlan \d+"),
        config_lock=("configuration exclusive", "undo configuration exclusive"),
    ),
}


def platform_for(name: str, host: str = "") -> Platform:
    """Platform table for a Netmiko device_type; anything else is an input error."""
    try:
        return PLATFORMS[name]
    except KeyError:
        raise InputError(f"host {host}: platform", f"{name!r} is not one of {', '.join(PLATFORMS)}") from None


def prompt_re(base: str) -> re.Pattern[str]:
    """Prompts of every view of a host: `<R1>`, `[R1]`, `[~R1-aaa]`, `[*R1-Eth-Trunk5.807-bas]`."""
    host = re.escape(base)
    return re.compile(rf"(?:<{host}>|\[[~*]?{host}(?:-[^\]\r\n]*)?\])")


def view_of(prompt: str) -> str:
    """A prompt without brackets and the VRPv8 commit marker, so views compare across markers."""
    return prompt.strip("<>[]").lstrip("~*")


#: The whole running configuration: what a verify reads when no smaller display covers a view.
WHOLE_CONFIG = "display current-configuration"


def config_reads(sections: Iterable[Section]) -> tuple[str, ...]:
    """Displays that show every view `sections` live in, and little else.

    Confirmed forms only (huawei-vrp-cli.md section 2): `display current-configuration interface
    <if>` for an interface, the `| include ^<word>` filter for system-view lines (`^vlan` also
    shows `vlan-mapping`, so the longer word is not read twice). Any other view (aaa,
    radius-server group ...) needs the whole configuration: the `configuration <type>` variant
    would show one, but its keywords are unconfirmed.
    """
    words: set[str] = set()
    interfaces: dict[str, None] = {}
    for section in sections:
        if not section.path:
            words.update(line.split()[0] for line in section.lines)
        elif section.path[0].startswith("interface "):
            interfaces[section.path[0]] = None
        else:
            return (WHOLE_CONFIG,)
    shortest = sorted(w for w in words if not any(w != o and w.startswith(o) for o in words))
    reads = [f"{WHOLE_CONFIG} | include ^{word}" for word in shortest]
    return (*reads, *(f"{WHOLE_CONFIG} {name}" for name in interfaces)) or (WHOLE_CONFIG,)
