"""`aaa`: schemes and domains (ME60 BRAS, huawei-vrp-cli.md section 6).

A domain line that names a RADIUS group, scheme, IP pool or user group the device does not have
is refused with an `Error:` line naming it: that is how a missing prerequisite shows on a device.
The messages are ours (the reference gives none).
"""

from __future__ import annotations

import re
from typing import Any

from ssid_rollout.lab.config import Node
from ssid_rollout.lab.context import (
    NOT_CONFIGURED,
    SYSTEM,
    Ctx,
    Result,
    View,
    cmd,
    done,
    replace_matching,
    set_line,
    undo_lines,
    undoer,
)
from ssid_rollout.lab.grammar import CliError

BRAS = ["bras"]
DEFAULT_DOMAINS = ("default0", "default1", "default_admin")
DEFAULT_SCHEMES = ("default0", "default1")
_IP = r"\d+\.\d+\.\d+\.\d+"
REDIRECT_KINDS = (
    "mscg-ip|mscg-name|user-ip-address|user-mac-address|nas-logic-sysname|ssid|ap-mac-address|user-location"
    "|agent-remote-id"
)


def aaa_node(ctx: Ctx) -> Node:
    return ctx.cfg.ensure(ctx.cfg.root, "aaa")


def domains_using(root: Node, domain: str) -> list[str]:
    """Interfaces whose BAS settings name the domain."""
    users = []
    for interface in root.starting("interface"):
        bas = interface.find("bas")
        words = {w for line in (bas.children if bas else []) for w in line.text.split()[1:]}
        if domain in words:
            users.append(interface.text.split(" ", 1)[1])
    return users


def _domain_lines(root: Node, prefix: str, value: str) -> list[str]:
    aaa = root.find("aaa")
    return [
        d.text.split(" ", 1)[1]
        for d in (aaa.starting("domain") if aaa else [])
        if any(c.text == f"{prefix} {value}" or c.text.startswith(f"{prefix} {value} ") for c in d.children)
    ]


def in_use(root: Node, prefix: str, value: str, what: str) -> None:
    """Refuse to delete what a domain still names."""
    users = _domain_lines(root, prefix, value)
    if users:
        raise CliError(f"Error: The {what} {value} is being used by domain {users[0]}.")


# ---------------------------------------------------------------------------------------------- aaa view
def _aaa(ctx: Ctx, a: dict[str, Any]) -> Result:
    aaa_node(ctx)
    return Result(enter=View("aaa", ("aaa",), "-aaa"))


def _enter_sub(ctx: Ctx, keyword: str, name: str, kind: str, suffix: str) -> Result:
    ctx.cfg.ensure(aaa_node(ctx), f"{keyword} {name}")
    return Result(enter=View(kind, ("aaa", f"{keyword} {name}"), f"-aaa-{suffix}-{name}"))


def _undo_sub(ctx: Ctx, keyword: str, name: str, what: str, defaults: tuple[str, ...]) -> Result:
    aaa = aaa_node(ctx)
    node = aaa.find(f"{keyword} {name}")
    if node is None:
        raise CliError(f"Error: The {what} {name} does not exist.")
    if name in defaults:
        raise CliError(f"Error: The default {what} cannot be deleted.")
    if keyword == "domain":
        users = domains_using(ctx.cfg.root, name)
        if users:
            raise CliError(f"Error: The domain {name} is being used by interface {users[0]}.")
    else:
        in_use(ctx.cfg.root, keyword, name, what)
    ctx.cfg.remove(aaa, node)
    return done()


def _authen_scheme(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _enter_sub(ctx, "authentication-scheme", a["name"], "authen", "authen")


def _acct_scheme(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _enter_sub(ctx, "accounting-scheme", a["name"], "accounting", "accounting")


def _domain(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _enter_sub(ctx, "domain", a["name"], "domain", "domain")


def _undo_authen(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _undo_sub(ctx, "authentication-scheme", a["name"], "authentication scheme", DEFAULT_SCHEMES)


def _undo_acct(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _undo_sub(ctx, "accounting-scheme", a["name"], "accounting scheme", DEFAULT_SCHEMES)


def _undo_domain(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _undo_sub(ctx, "domain", a["name"], "domain", DEFAULT_DOMAINS)


def _authen_mode(ctx: Ctx, a: dict[str, Any]) -> Result:
    return set_line(ctx, "authentication-mode", f"authentication-mode {a['modes']}")


def _acct_mode(ctx: Ctx, a: dict[str, Any]) -> Result:
    return set_line(ctx, "accounting-mode", f"accounting-mode {a['mode']}")


# ---------------------------------------------------------------------------------------------- domain view
def _require(exists: bool, what: str, name: str) -> None:
    if not exists:
        raise CliError(f"Error: The {what} {name} does not exist.")


def _scheme(ctx: Ctx, keyword: str, what: str, name: str) -> Result:
    aaa = ctx.cfg.root.find("aaa")
    _require(bool(aaa and aaa.find(f"{keyword} {name}")), what, name)
    return set_line(ctx, keyword, f"{keyword} {name}")


def _d_authen(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _scheme(ctx, "authentication-scheme", "authentication scheme", a["name"])


def _d_acct(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _scheme(ctx, "accounting-scheme", "accounting scheme", a["name"])


def _d_radius(ctx: Ctx, a: dict[str, Any]) -> Result:
    name = a["name"]
    _require(ctx.cfg.root.find(f"radius-server group {name}") is not None, "RADIUS server group", name)
    return set_line(ctx, "radius-server group", f"radius-server group {name}")


def _d_pool(ctx: Ctx, a: dict[str, Any]) -> Result:
    name = a["name"]
    _require(bool(ctx.cfg.root.starting(f"ip pool {name}")), "IP pool", name)
    ctx.cfg.ensure(ctx.node, f"ip-pool {name}")
    return done()


def _d_user_group(ctx: Ctx, a: dict[str, Any]) -> Result:
    name = a["name"]
    _require(ctx.cfg.root.find(f"user-group {name}") is not None, "user group", name)
    return set_line(ctx, "user-group", f"user-group {name}")


def _d_web_server(ctx: Ctx, a: dict[str, Any]) -> Result:
    return replace_matching(ctx, f"web-server {_IP}", f"web-server {a['ip']}")


def _d_undo_web_server(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node
    wanted = a.get("ip")
    found = [c for c in node.children if re.fullmatch(f"web-server {wanted or _IP}", c.text)]
    if not found:
        return done(NOT_CONFIGURED)
    for old in found:
        ctx.cfg.remove(node, old)
    return done()


def _d_url(ctx: Ctx, a: dict[str, Any]) -> Result:
    return set_line(ctx, "web-server url", f"web-server url {a['url']}")


def _d_url_parameter(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.cfg.ensure(ctx.node, "web-server url-parameter")
    return done()


def _d_mode(ctx: Ctx, a: dict[str, Any]) -> Result:
    return set_line(ctx, "web-server mode", f"web-server mode {a['mode']}")


def _d_redirect(ctx: Ctx, a: dict[str, Any]) -> Result:
    return set_line(
        ctx, f"web-server redirect-key {a['kind']}", f"web-server redirect-key {a['kind']} {a['name']}"
    )


def _undo_redirect(ctx: Ctx, a: dict[str, Any]) -> Result:
    return undo_lines(
        ctx, f"web-server redirect-key {a['kind']}" + (f" {a['name']}" if a.get("name") else "")
    )


DOMAIN = ["domain"]
COMMANDS = (
    cmd("aaa", _aaa, [SYSTEM]),
    cmd("authentication-scheme <name:word>", _authen_scheme, ["aaa"], roles=BRAS),
    cmd("accounting-scheme <name:word>", _acct_scheme, ["aaa"], roles=BRAS),
    cmd("domain <name:word>", _domain, ["aaa"], roles=BRAS),
    cmd("undo authentication-scheme <name:word>", _undo_authen, ["aaa"], roles=BRAS),
    cmd("undo accounting-scheme <name:word>", _undo_acct, ["aaa"], roles=BRAS),
    cmd("undo domain <name:word>", _undo_domain, ["aaa"], roles=BRAS),
    cmd("authentication-mode <modes:text>", _authen_mode, ["authen"], roles=BRAS),
    cmd("accounting-mode (mode=radius|none|hwtacacs)", _acct_mode, ["accounting"], roles=BRAS),
    cmd("authentication-scheme <name:word>", _d_authen, DOMAIN, roles=BRAS),
    cmd("accounting-scheme <name:word>", _d_acct, DOMAIN, roles=BRAS),
    cmd("radius-server group <name:word>", _d_radius, DOMAIN, roles=BRAS),
    cmd("ip-pool <name:word>", _d_pool, DOMAIN, roles=BRAS),
    cmd("user-group <name:word>", _d_user_group, DOMAIN, roles=BRAS),
    cmd("web-server <ip:ip>", _d_web_server, DOMAIN, roles=BRAS),
    cmd("web-server url <url:word>", _d_url, DOMAIN, roles=BRAS),
    cmd("web-server url-parameter", _d_url_parameter, DOMAIN, roles=BRAS),
    cmd("web-server mode (mode=get|post)", _d_mode, DOMAIN, roles=BRAS),
    cmd(f"web-server redirect-key (kind={REDIRECT_KINDS}) <name:word>", _d_redirect, DOMAIN, roles=BRAS),
    cmd("undo authentication-scheme", undoer("authentication-scheme"), DOMAIN, roles=BRAS),
    cmd("undo accounting-scheme", undoer("accounting-scheme"), DOMAIN, roles=BRAS),
    cmd("undo radius-server group [<name:word>]", undoer("radius-server group", "name"), DOMAIN, roles=BRAS),
    cmd("undo ip-pool [<name:word>]", undoer("ip-pool", "name"), DOMAIN, roles=BRAS),
    cmd("undo user-group [<name:word>]", undoer("user-group", "name"), DOMAIN, roles=BRAS),
    cmd("undo web-server [<ip:ip>]", _d_undo_web_server, DOMAIN, roles=BRAS),
    cmd("undo web-server url [<url:word>]", undoer("web-server url", "url"), DOMAIN, roles=BRAS),
    cmd("undo web-server url-parameter", undoer("web-server url-parameter"), DOMAIN, roles=BRAS),
    cmd("undo web-server mode", undoer("web-server mode"), DOMAIN, roles=BRAS),
    cmd(
        f"undo web-server redirect-key (kind={REDIRECT_KINDS}) [<name:word>]",
        _undo_redirect,
        DOMAIN,
        roles=BRAS,
    ),
)
