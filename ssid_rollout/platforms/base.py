"""What a platform is: one declared unit per kind of device, and the registry that finds it.

A platform says everything the tool needs to know about one device family (scrapli's habit):
its Netmiko driver, prompts, error and failure texts, the questions it asks and their answers,
the display commands and their parsers, its undo forms, its save dialogue and its commit life
cycle. Nothing outside a platform module branches on a platform name: adding a vendor is adding
one module (and its templates and lab flavour) that calls `register`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from ..errors import InputError
from ..i18n import _
from ..model import Section

if TYPE_CHECKING:
    from ..parse import ConfigFacts, Version
    from ..undo import UndoTable


class Terminal(Protocol):
    """What a commit strategy needs of a session (session.Session is one)."""

    def configure(
        self,
        sections: Sequence[Section],
        context: str = "config",
        before: Callable[[Section], None] | None = None,
    ) -> None: ...

    def commit(self, command: str = "commit") -> str: ...


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


def question(name: str, pattern: str, answer: str, context: str) -> Question:
    return Question(name, re.compile(pattern, re.I), answer, context)


class CommitStrategy:
    """How a device takes a change (scrapli_cfg's life cycle): stage, commit, confirm, discard,
    restore. `atomic`: staged lines take effect only together, at commit (a failure discards all
    of them); otherwise each line applies as it is typed and a failure is undone by `restore`."""

    atomic = False
    #: the work order's words for how lines take effect
    describe = "each line applies at once"
    #: the progress display's name for `commit` ("" when it does nothing to show)
    commit_step = ""

    def stage(
        self, s: Terminal, sections: Sequence[Section], before: Callable[[Section], None] | None = None
    ) -> None:
        s.configure(sections, before=before)

    def commit(self, s: Terminal, description: str, seconds: int) -> None:
        """Make staged lines take effect, reversibly where the platform can (a trial)."""

    def confirm(self, s: Terminal) -> None:
        """Keep what `commit` made take effect."""

    def discard(self, s: Terminal, committed: bool) -> None:
        """Drop what was staged, or (`committed`) revert what `commit` made take effect."""

    def restore(self, s: Terminal, sections: Sequence[Section]) -> None:
        """Send undo sections so that they take effect for good."""
        s.configure(sections, context="undo")

    def end_stale(self, s: Terminal) -> None:
        """A new session after a lost one: end what the lost one left pending."""


@dataclass(frozen=True)
class Prompts:
    """A family's prompts: how to read the base name at login, and a regex for every view's prompt."""

    #: the base name (sysname) from the last line the login printed
    base: Callable[[str], str]
    #: every view's prompt of the host named `base`
    pattern: Callable[[str], re.Pattern[str]]
    #: a prompt's view without brackets and commit marks: nested views start with their parent's
    view: Callable[[str], str]
    #: whether a prompt is the user (non-configuration) view
    is_user: Callable[[str], bool]
    #: what ends the login: a prompt alone on its line, or a question asked at login
    login: str
    #: (pattern, answer) for the forced password-change question at login
    password_change: tuple[str, str] | None = None
    #: the system view's name (as `view` gives it) for a host named `base`
    system: Callable[[str], str] = str
    enter_system: str = "system-view"
    leave_view: str = "quit"
    to_user: str = "return"
    #: the telnet login's user-name and password prompts, each alone at the end of a line (a
    #: `Login authentication` banner must not count as the first: research-huawei-reach.md)
    username_prompt: str = r"(?:^|\n)[ \t]*(?:Username|User name|[Ll]ogin)[ \t]*:[ \t]*$"
    password_prompt: str = r"(?:^|\n)[ \t]*Password[ \t]*:[ \t]*$"


@dataclass(frozen=True)
class Platform:
    """Everything about one device family; `name` is the Netmiko device_type the inventory gives."""

    name: str
    driver: Callable[[], type]  # the Netmiko class, imported when a session is opened
    commit: CommitStrategy
    prompts: Prompts
    undo: UndoTable
    #: hier_config's platform for the configuration tree (`hier_config.Platform` member name)
    hier_platform: str
    #: folder under ssid_rollout/templates with one Jinja template per role
    templates: str
    #: roles this family can hold
    roles: tuple[str, ...]
    #: the lab flavour that simulates it (ssid_rollout/lab)
    lab_flavour: str
    paging: str
    error_re: re.Pattern[str]
    questions: tuple[Question, ...]
    any_question_re: re.Pattern[str]
    save: str
    save_success_re: re.Pattern[str]
    show_running: str
    show_saved: str
    show_version: str
    parse_version: Callable[[str], Version]
    #: whether `display version` shows the software generation this platform speaks
    runs: Callable[[Version], bool]
    parse_config: Callable[[str], ConfigFacts]
    #: displays that show the views `sections` live in (the whole configuration when unsure)
    config_reads: Callable[[Iterable[Section]], tuple[str, ...]]
    #: interface names the inventory accepts for this family, and examples for the refusal
    interface_re: re.Pattern[str]
    interface_hint: str
    #: texts that mean failure although no error line is printed
    failure_texts: tuple[str, ...] = ()
    #: lines that enter one more view than their section (VRPv8 `user-vlan` opens a sub-view)
    subview_re: re.Pattern[str] | None = None
    #: lines whose device answer is a question, so they are always sent alone
    asking_re: re.Pattern[str] = re.compile("(?!)")
    #: (take, release) the configuration lock from user view; None where the tool uses none
    config_lock: tuple[str, str] | None = None
    #: the transport Netmiko speaks ("ssh" or "telnet"), and its port when the inventory gives none
    transport: str = "ssh"
    port: int = 22
    #: the platform that speaks the same CLI over telnet (named by `check` when only telnet answers)
    telnet: str | None = None
    #: the line that makes a switch port a trunk (a prerequisite the service does not create)
    trunk_mode: str = "port link-type trunk"
    #: commands sent with the paging command when a session starts (RGOS `terminal width`)
    prepare: tuple[str, ...] = ()
    #: display commands work in every view (VRP, Comware); else they are sent from user view
    show_anywhere: bool = True
    #: said in every plan of this platform's hosts (telnet: the password crosses in clear text)
    warnings: tuple[str, ...] = ()

    def question_for(self, tail: str, context: str | None = None) -> Question | None:
        """The declared question (allowed in `context`, when given) whose pattern ends `tail`."""
        for known in self.questions:
            if known.pattern.search(tail) and context in (None, known.context):
                return known
        return None


def whole_config(command: str) -> Callable[[Iterable[Section]], tuple[str, ...]]:
    """`config_reads` for a platform that always reads its whole configuration (an access switch's is
    small, and a display of one view is often unconfirmed)."""
    return lambda sections: (command,)


def make_driver(module: str, name: str, prompts: Prompts) -> type:
    """Netmiko's class `name` from `module` with our prompt-driven login (FastTelnetLogin for a telnet
    class); imported when a session is opened, never when the package is."""
    import importlib

    from ..login import FastLogin, FastTelnetLogin

    netmiko_class = getattr(importlib.import_module(module), name)
    login = FastTelnetLogin if name.endswith("Telnet") else FastLogin
    return type(f"Fast{name}", (login, netmiko_class), {"prompts": prompts})


#: What every telnet platform's plan and check say (DESIGN.md, "how devices are reached").
TELNET_WARNING = (
    "telnet: the login password crosses the network in clear text; use SSH where the device has it"
)


def telnet_form(platform: Platform, name: str, driver: Callable[[], type]) -> Platform:
    """The same CLI over telnet (Netmiko's `<device_type>_telnet`): port 23 unless the inventory says."""
    return replace(
        platform,
        name=name,
        driver=driver,
        transport="telnet",
        port=23,
        telnet=None,
        warnings=(*platform.warnings, TELNET_WARNING),
    )


PLATFORMS: dict[str, Platform] = {}


def register(platform: Platform) -> Platform:
    """Make a platform known by its device_type (a test may register its own)."""
    PLATFORMS[platform.name] = platform
    return platform


def platform_for(name: str, host: str = "") -> Platform:
    """The platform of a Netmiko device_type; anything unregistered is an input error."""
    try:
        return PLATFORMS[name]
    except KeyError:
        where = f"host {host}: platform" if host else "platform"
        known = ", ".join(sorted(PLATFORMS))
        raise InputError(
            where, _("{name} is not one of {known}").format(name=repr(name), known=known)
        ) from None
