"""Commands every simulated device has: views, paging, the configuration displays and save."""

from __future__ import annotations

import time
from typing import Any

from ssid_rollout.lab import save, vrpv8
from ssid_rollout.lab.config import Config, Node, render, render_node
from ssid_rollout.lab.context import ANY, SYSTEM, USER, Ctx, Result, View, cmd, done
from ssid_rollout.lab.platforms import version_lines

ENTER_SYSTEM = {
    "vrp5": "Enter system view, return user view with Ctrl+Z.",
    "vrpv8": "Enter system view, return user view with return command.",
}
SCREEN_LENGTH_INFO = "Info: The configuration takes effect on the current user terminal interface only."
EVERYWHERE = (USER, ANY)


def _system_view(ctx: Ctx, a: dict[str, Any]) -> Result:
    return Result([ENTER_SYSTEM[ctx.device.flavour]], enter=View(SYSTEM))


def _sysname(ctx: Ctx, a: dict[str, Any]) -> Result:
    """The prompt follows the running configuration (on VRPv8 after commit)."""
    ctx.cfg.set_line(ctx.cfg.root, "sysname", f"sysname {a['name']}")
    return done()


def _quit(ctx: Ctx, a: dict[str, Any]) -> Result:
    if ctx.view.kind == USER:
        return Result(logout=True)
    if ctx.view.kind == SYSTEM:
        return vrpv8.leave(ctx.session, Result(to_user=True))
    return Result(pop=True)


def _return(ctx: Ctx, a: dict[str, Any]) -> Result:
    return vrpv8.leave(ctx.session, Result(to_user=True))


def _screen_length(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.session.paging = a["lines"]
    return done(SCREEN_LENGTH_INFO)


def _version(ctx: Ctx, a: dict[str, Any]) -> Result:
    device = ctx.device
    return done(*version_lines(device.platform, device.flavour, time.time() - device.started))


def _current(ctx: Ctx, a: dict[str, Any]) -> Result:
    return done(*ctx.device.running_text().split("\n"))


def _current_interface(ctx: Ctx, a: dict[str, Any]) -> Result:
    """`display current-configuration interface [<if>]`: the interface blocks only."""
    ctx.device.expire_trial()
    wanted = a.get("name")
    blocks = [
        n.copy()
        for n in ctx.device.running.root.children
        if n.text.startswith("interface ") and (wanted is None or n.text == f"interface {wanted}")
    ]
    if not blocks:
        return done()
    text = render(Config(Node("", blocks)), flavour=ctx.device.flavour)
    return done(*text.split("\n"))


def _this(ctx: Ctx, a: dict[str, Any]) -> Result:
    """`display this`: the current view's block between `#` lines, then `return`."""
    flavour = ctx.device.flavour
    if ctx.view.kind == SYSTEM:
        body = [
            n.text
            for n in ctx.cfg.root.children
            if not n.children and n.vlans is None and not n.text.startswith("interface ")
        ]
    else:
        body = render_node(ctx.node, len(ctx.view.path) - 1, flavour=flavour)
    return done("#", *body, "#", "return")


def _saved(ctx: Ctx, a: dict[str, Any]) -> Result:
    return done(*ctx.device.saved_text().split("\n"))


COMMANDS = (
    cmd("system-view", _system_view, [USER], config=False),
    cmd("sysname <name:word>", _sysname, [SYSTEM]),
    cmd("quit", _quit, EVERYWHERE, config=False),
    cmd("return", _return, [ANY], config=False),
    cmd("screen-length <lines:screen> temporary", _screen_length, [USER], config=False),
    cmd("display version", _version, EVERYWHERE, config=False),
    cmd("display current-configuration", _current, EVERYWHERE, config=False),
    cmd("display current-configuration interface [<name:if>]", _current_interface, EVERYWHERE, config=False),
    cmd("display this", _this, [ANY], config=False),
    cmd("display saved-configuration", _saved, EVERYWHERE, config=False),
    cmd("save [<file:word>]", save.save, [USER, SYSTEM], config=False),
)
