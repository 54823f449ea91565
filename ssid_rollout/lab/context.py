"""What a command handler sees and returns; shared by the command modules and the session."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ssid_rollout.lab.config import Config, Node
from ssid_rollout.lab.grammar import TYPES, CliError, Element, ParamParser, compile_pattern

if TYPE_CHECKING:
    from ssid_rollout.lab.device import CliSession, LabDevice

USER = "user"
SYSTEM = "system"
#: Every view below user view; a command valid in all of them lists this.
ANY = "*"
#: The answer to `undo` of a setting that is not configured. Real VRP varies (silence, `Info:`);
#: the lab says so with an Info line, so a plan that undoes what is not there is visible but not fatal.
#: Undoing a named object that does not exist (domain, group, ACL, interface, ESS, VAP) is an `Error:`.
NOT_CONFIGURED = "Info: The configuration does not exist."


@dataclass(frozen=True)
class View:
    """Where the session is: `path` follows configuration lines from the top, `suffix` goes in the prompt."""

    kind: str
    path: tuple[str, ...] = ()
    suffix: str = ""
    entry: tuple[str, ...] = ()  # the lines typed from user view to get here (VRPv8 commit replays them)


@dataclass
class Ask:
    """A question the device waits on; `answer` gets the line typed (stripped) and decides."""

    text: str
    answer: Callable[[str], Result]
    choices: str = "yn"  # "yn", "ync" or "text"


@dataclass
class Result:
    lines: list[str] = field(default_factory=list)
    enter: View | None = None
    ask: Ask | None = None
    to_user: bool = False  # `return`, or the end of the Y/N/C question
    pop: bool = False  # `quit` from a view below system view
    logout: bool = False


@dataclass
class Ctx:
    """One command's world: the tree it reads and changes (running on VRP5, the candidate on VRPv8)."""

    cfg: Config
    view: View
    device: LabDevice
    session: CliSession

    @property
    def node(self) -> Node:
        """The current view's configuration node (created by entering the view)."""
        node = self.cfg.node(self.view.path)
        if node is None:  # removed under us, e.g. by another session or an expired trial
            raise CliError("Error: The configuration of the current view does not exist.")
        return node

    @property
    def v8(self) -> bool:
        return self.device.flavour == "vrpv8"


Handler = Callable[[Ctx, dict[str, Any]], Result]


@dataclass(frozen=True)
class Cmd:
    """One command form: where it is valid, for which devices, and whether it changes configuration.

    `config` commands are the ones a reject fault can refuse and a VRPv8 candidate records.
    """

    pattern: str
    handler: Handler
    views: frozenset[str]
    roles: frozenset[str] | None = None
    flavours: frozenset[str] | None = None
    config: bool = True
    variants: tuple[tuple[Element, ...], ...] = ()

    def available(self, view: str, role: str, flavour: str) -> bool:
        in_view = view in self.views or (ANY in self.views and view != USER)
        return (
            in_view
            and (self.roles is None or role in self.roles)
            and (self.flavours is None or flavour in self.flavours)
        )


def cmd(
    pattern: str,
    handler: Handler,
    views: Iterable[str],
    *,
    roles: Iterable[str] | None = None,
    flavours: Iterable[str] | None = None,
    config: bool = True,
    types: dict[str, ParamParser] | None = None,
) -> Cmd:
    variants = tuple(compile_pattern(pattern, {**TYPES, **(types or {})}))
    return Cmd(
        pattern,
        handler,
        frozenset(views),
        None if roles is None else frozenset(roles),
        None if flavours is None else frozenset(flavours),
        config,
        variants,
    )


def done(*lines: str) -> Result:
    return Result(list(lines))


def set_line(ctx: Ctx, prefix: str, text: str) -> Result:
    """A single-valued setting in the current view: replaced, or added in display order."""
    ctx.cfg.set_line(ctx.node, prefix, text)
    return done()


def undo_lines(ctx: Ctx, prefix: str, parent: Node | None = None) -> Result:
    """`undo` of a setting: drop the lines starting with `prefix`, or say it was not there."""
    parent = parent or ctx.node
    found = parent.starting(prefix)
    if not found:
        return done(NOT_CONFIGURED)
    for node in found:
        ctx.cfg.remove(parent, node)
    return done()


def replace_matching(ctx: Ctx, pattern: str, text: str) -> Result:
    """A setting whose lines share no fixed prefix (`web-server <ip>` beside `web-server url ...`)."""
    node = ctx.node
    for old in [c for c in node.children if re.fullmatch(pattern, c.text) and c.text != text]:
        ctx.cfg.remove(node, old)
    ctx.cfg.ensure(node, text)
    return done()


def undoer(prefix: str, arg: str = "") -> Handler:
    """A handler for `undo <setting> [<value>]`; a value given must be the configured one."""

    def handler(ctx: Ctx, a: dict[str, Any]) -> Result:
        value = a.get(arg) if arg else None
        return undo_lines(ctx, f"{prefix} {value}" if value else prefix)

    return handler
