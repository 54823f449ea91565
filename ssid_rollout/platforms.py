"""Platform knowledge as declared data: prompts, error forms, questions and commit strategy.

Everything the session needs to know about a Huawei dialect lives in these tables
(huawei-vrp-cli.md is the source of each entry), so no module branches on a platform name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InputError

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


PLATFORMS: dict[str, Platform] = {
    "huawei": Platform("huawei", two_stage=False),
    "huawei_vrpv8": Platform("huawei_vrpv8", two_stage=True, subview_re=re.compile(r"^user-vlan \d+")),
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
