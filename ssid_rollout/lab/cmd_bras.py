"""BRAS objects of the portal service (huawei-vrp-cli.md sections 5 and 6) and RADIUS on every role.

The RADIUS key is turned into cipher text when typed and the plain key is never kept, so no
display can show it: VRPv8 shows ` radius-server shared-key %^%#...%^%#`, VRP5 (BRAS, switch, AC)
` radius-server shared-key cipher %^%#...%^%#`, with fresh random cipher text each time.
Error texts marked "ours" are not from a reference.
"""

from __future__ import annotations

import re
import secrets
import string
from collections.abc import Sequence
from typing import Any

from ssid_rollout.lab.cmd_aaa import DEFAULT_DOMAINS, in_use
from ssid_rollout.lab.config import Node
from ssid_rollout.lab.context import (
    NOT_CONFIGURED,
    SYSTEM,
    Ask,
    Ctx,
    Handler,
    Result,
    View,
    cmd,
    done,
    set_line,
    undo_lines,
    undoer,
)
from ssid_rollout.lab.grammar import UNRECOGNIZED, CliError, ParamError, ParamParser, Token

BRAS = ["bras"]
L2 = ["switch", "ac"]
DELETE_KEY = "Warning: Are you sure you want to delete the shared key?[Y/N]"
CIPHER = "%^%#"
_CIPHER_CHARS = string.ascii_letters + string.digits + "!$&()*+,-./:;=@_{}~"
AUTH_METHODS = ("ppp", "web", "fast", "dot1x", "bind")
_UCL_RULE = re.compile(
    r"ip( source (user-group \S+|ip-address \S+ \S+|any))?"
    r"( destination (user-group \S+|ip-address \S+ \S+|any))?"
)


def cipher() -> str:
    """Fresh reversible-cipher-looking text; the lab never stores the plain key."""
    return CIPHER + "".join(secrets.choice(_CIPHER_CHARS) for _ in range(48)) + CIPHER


def _key(tokens: Sequence[Token], i: int) -> tuple[str, int]:
    word = tokens[i][0]
    longest = 268 if word.startswith(CIPHER) else 128
    if word.lower() in ("cipher", "simple") or len(word) > longest or "?" in word:
        raise ParamError(i)
    return word, i + 1


def _methods(tokens: Sequence[Token], i: int) -> tuple[list[str], int]:
    methods = [w.lower() for w, _ in tokens[i:]]
    for j, method in enumerate(methods):
        if method not in AUTH_METHODS or method in methods[:j]:
            raise ParamError(i + j)
    return methods, len(tokens)


TYPES: dict[str, ParamParser] = {"key": _key, "methods": _methods}


# ---------------------------------------------------------------------------------------------- system view
def _web_auth_server(ctx: Ctx, a: dict[str, Any]) -> Result:
    port = f" port {a['port']}" if a.get("port") else ""
    ctx.cfg.set_line(ctx.cfg.root, f"web-auth-server {a['ip']}", f"web-auth-server {a['ip']}{port}")
    return done()


def _undo_web_auth_server(ctx: Ctx, a: dict[str, Any]) -> Result:
    root = ctx.cfg.root
    node = root.first(f"web-auth-server {a['ip']}")
    if node is None:
        raise CliError("Error: The web authentication server does not exist.")
    ctx.cfg.remove(root, node)
    return done()


def _user_group(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.cfg.ensure(ctx.cfg.root, f"user-group {a['name']}")
    return done()


def _undo_user_group(ctx: Ctx, a: dict[str, Any]) -> Result:
    root, name = ctx.cfg.root, a["name"]
    node = root.find(f"user-group {name}")
    if node is None:
        raise CliError(f"Error: The user group {name} does not exist.")
    in_use(root, "user-group", name, "user group")
    if any(
        f" user-group {name} " in f" {line.text} " for acl in root.starting("acl") for line in acl.children
    ):
        raise CliError(f"Error: The user group {name} is being used by an ACL.")
    ctx.cfg.remove(root, node)
    return done()


def _ip_pool(ctx: Ctx, a: dict[str, Any]) -> Result:
    text = f"ip pool {a['name']} bas local"
    ctx.cfg.ensure(ctx.cfg.root, text)
    return Result(enter=View("ip-pool", (text,), f"-ip-pool-{a['name']}"))


def _undo_ip_pool(ctx: Ctx, a: dict[str, Any]) -> Result:
    root, name = ctx.cfg.root, a["name"]
    node = root.first(f"ip pool {name}")
    if node is None:
        raise CliError(f"Error: The IP pool {name} does not exist.")
    in_use(root, "ip-pool", name, "IP pool")
    ctx.cfg.remove(root, node)
    return done()


def _pool_line(prefix: str, *names: str) -> Handler:
    def handler(ctx: Ctx, a: dict[str, Any]) -> Result:
        return set_line(ctx, prefix, " ".join([prefix, *(str(a[n]) for n in names if a.get(n) is not None)]))

    return handler


def _radius_group(ctx: Ctx, a: dict[str, Any]) -> Result:
    kind = a["kind"]
    text = f"radius-server {kind} {a['name']}"
    ctx.cfg.ensure(ctx.cfg.root, text)
    return Result(enter=View("radius", (text,), f"-radius-{a['name']}"))


def _undo_radius_group(ctx: Ctx, a: dict[str, Any]) -> Result:
    root, name = ctx.cfg.root, a["name"]
    node = root.find(f"radius-server {a['kind']} {name}")
    if node is None:
        raise CliError(f"Error: The RADIUS server {a['kind']} {name} does not exist.")
    in_use(root, "radius-server group", name, "RADIUS server group")
    ctx.cfg.remove(root, node)
    return done()


# ---------------------------------------------------------------------------------------------- RADIUS view
def _server(ctx: Ctx, a: dict[str, Any]) -> Result:
    prefix = f"radius-server {a['kind']} {a['ip']} {a['port']}"
    weight = f" weight {a['weight']}" if a.get("weight") is not None else ""
    return set_line(ctx, prefix, prefix + weight)


def _undo_server(ctx: Ctx, a: dict[str, Any]) -> Result:
    return undo_lines(ctx, f"radius-server {a['kind']} {a['ip']} {a['port']}")


def _shared_key(ctx: Ctx, a: dict[str, Any]) -> Result:
    """`radius-server shared-key[-cipher] [cipher] <key>`: stored as cipher text only."""
    key: str = a["key"]
    shown = key if key.startswith(CIPHER) and key.endswith(CIPHER) and len(key) > 8 else cipher()
    if a.get("keyword") == "shared-key-cipher":
        return set_line(ctx, "radius-server shared-key-cipher", f"radius-server shared-key-cipher {shown}")
    word = "" if ctx.v8 else " cipher"
    return set_line(ctx, "radius-server shared-key", f"radius-server shared-key{word} {shown}")


def _undo_shared_key(ctx: Ctx, a: dict[str, Any]) -> Result:
    prefix = f"radius-server {a['keyword']}"
    node = ctx.node
    if not node.starting(prefix):
        return done(NOT_CONFIGURED)
    return Result(
        ask=Ask(DELETE_KEY, lambda reply: undo_lines(ctx, prefix, node) if reply == "y" else Result())
    )


def _class_as_car(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.cfg.ensure(ctx.node, "radius-server class-as-car")
    return done()


def _undo_class_as_car(ctx: Ctx, a: dict[str, Any]) -> Result:
    return undo_lines(ctx, "radius-server class-as-car")


def _no_domain_in_user_name(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.cfg.ensure(ctx.node, "undo radius-server user-name domain-included")
    return done()


def _domain_in_user_name(ctx: Ctx, a: dict[str, Any]) -> Result:
    """The default: no line at all."""
    node = ctx.node.find("undo radius-server user-name domain-included")
    if node is not None:
        ctx.cfg.remove(ctx.node, node)
    return done()


# ---------------------------------------------------------------------------------------------- ACL
def acl_view(number: int, v8: bool) -> str:
    kind = {2: "basic", 3: "advance" if v8 else "adv", 4: "L2"}.get(number // 1000, "ucl")
    family = "acl" if kind == "ucl" or not v8 else "acl4"
    return f"-{family}-{kind}-{number}"


def _acl(ctx: Ctx, a: dict[str, Any]) -> Result:
    text = f"acl number {a['number']}"
    ctx.cfg.ensure(ctx.cfg.root, text)
    return Result(enter=View("acl", (text,), acl_view(a["number"], ctx.v8)))


def _undo_acl(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.cfg.root.find(f"acl number {a['number']}")
    if node is None:
        raise CliError("Error: The ACL does not exist.")
    ctx.cfg.remove(ctx.cfg.root, node)
    return done()


def _rule(ctx: Ctx, a: dict[str, Any]) -> Result:
    body = f"{a['action']} {a['rest']}"
    number = int(ctx.view.path[0].split()[-1])
    if number >= 6000:
        if not _UCL_RULE.fullmatch(a["rest"]):
            raise ParamError("rest")
        group = re.search(r"user-group (\S+)", a["rest"])
        if group and ctx.cfg.root.find(f"user-group {group.group(1)}") is None:
            raise CliError(f"Error: The user group {group.group(1)} does not exist.")
    node = ctx.node
    prefix = f"rule {a['id']}"
    if any(c.text.split(" ", 2)[2:] == [body] and not c.text.startswith(prefix + " ") for c in node.children):
        raise CliError("Error: The rule already exists.")
    return set_line(ctx, prefix, f"{prefix} {body}")


def _undo_rule(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node.first(f"rule {a['id']}")
    if node is None:
        raise CliError("Error: The rule does not exist.")
    ctx.cfg.remove(ctx.node, node)
    return done()


# ---------------------------------------------------------------------------------------------- BAS
def _sub_interface(ctx: Ctx) -> str:
    name = ctx.view.path[0].removeprefix("interface ")
    if "." not in name:
        raise ParamError(0, UNRECOGNIZED)
    return name


def _user_vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    """`user-vlan <v> [<end>]`; one trunk cannot carry a user VLAN on two sub-interfaces."""
    name = _sub_interface(ctx)
    low, high = a["vlan"], a.get("end") or a["vlan"]
    if high < low:
        raise ParamError("end")
    parent = name.split(".")[0]
    for other in ctx.cfg.root.children:
        if not other.text.startswith(f"interface {parent}.") or other.text == f"interface {name}":
            continue
        for line in other.starting("user-vlan"):
            bounds = [int(w) for w in line.text.split()[1:3] if w.isdigit()]
            if bounds and bounds[0] <= high and low <= bounds[-1]:
                owner = other.text.split(" ", 1)[1]
                raise CliError(
                    f"Error: The user VLAN {low} has been configured on interface {owner}."
                )  # ours
    text = f"user-vlan {low}" + (f" {high}" if a.get("end") is not None else "")
    ctx.cfg.ensure(ctx.node, text)
    if not ctx.v8:
        return done()
    return Result(enter=View("user-vlan", ctx.view.path, f"-{name}-vlan-{low}-{high}"))


def _undo_user_vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    _sub_interface(ctx)
    end = f" {a['end']}" if a.get("end") is not None else ""
    return undo_lines(ctx, f"user-vlan {a['vlan']}{end}")


def _bas(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.cfg.ensure(ctx.node, "bas")
    name = ctx.view.path[0].removeprefix("interface ")
    return Result(enter=View("bas", (*ctx.view.path, "bas"), f"-{name}-bas"))


def _undo_bas(ctx: Ctx, a: dict[str, Any]) -> Result:
    return undo_lines(ctx, "bas")


def _domain_exists(root: Node, name: str) -> None:
    aaa = root.find("aaa")
    if name not in DEFAULT_DOMAINS and (aaa is None or aaa.find(f"domain {name}") is None):
        raise CliError(f"Error: The domain {name} does not exist.")


def _access_type(ctx: Ctx, a: dict[str, Any]) -> Result:
    text = "access-type layer2-subscriber"
    pre, auth = a.get("pre"), a.get("auth")
    for name in (pre, auth):
        if name:
            _domain_exists(ctx.cfg.root, name)
    if pre or auth:
        text += (
            " default-domain"
            + (f" pre-authentication {pre}" if pre else "")
            + (f" authentication {auth}" if auth else "")
        )
    return set_line(ctx, "access-type", text)


def _roam_domain(ctx: Ctx, a: dict[str, Any]) -> Result:
    _domain_exists(ctx.cfg.root, a["name"])
    return set_line(ctx, "roam-domain", f"roam-domain {a['name']}")


def _auth_method(ctx: Ctx, a: dict[str, Any]) -> Result:
    methods: list[str] = a["methods"]
    if {"web", "fast"} <= set(methods) or ("bind" in methods and len(methods) > 1):
        raise CliError("Error: The authentication methods conflict with each other.")  # ours
    return set_line(ctx, "authentication-method", "authentication-method " + " ".join(methods))


def _logic_sysname(ctx: Ctx, a: dict[str, Any]) -> Result:
    """The BRAS ID a redirect carries as `nas-logic-sysname` (nas_check.py reads it back)."""
    return set_line(ctx, "nas logic-sysname", f"nas logic-sysname {a['name']}")


IF = ["interface"]
RADIUS = ["radius"]
ACCESS = "access-type layer2-subscriber default-domain"
COMMANDS = (
    cmd("web-auth-server <ip:ip> [port <port:port>]", _web_auth_server, [SYSTEM], roles=BRAS),
    cmd("undo web-auth-server <ip:ip>", _undo_web_auth_server, [SYSTEM], roles=BRAS),
    cmd("user-group <name:word>", _user_group, [SYSTEM], roles=BRAS),
    cmd("undo user-group <name:word>", _undo_user_group, [SYSTEM], roles=BRAS),
    cmd("ip pool <name:word> bas local", _ip_pool, [SYSTEM], roles=BRAS),
    cmd("undo ip pool <name:word>", _undo_ip_pool, [SYSTEM], roles=BRAS),
    cmd("gateway <ip:ip> <mask:ip>", _pool_line("gateway", "ip", "mask"), ["ip-pool"], roles=BRAS),
    cmd(
        "section <n:num> <start:ip> <end:ip>",
        _pool_line("section", "n", "start", "end"),
        ["ip-pool"],
        roles=BRAS,
    ),
    cmd(
        "dns-server <ip:ip> [<second:ip>]", _pool_line("dns-server", "ip", "second"), ["ip-pool"], roles=BRAS
    ),
    cmd("radius-server (kind=group) <name:word>", _radius_group, [SYSTEM], roles=BRAS),
    cmd("undo radius-server (kind=group) <name:word>", _undo_radius_group, [SYSTEM], roles=BRAS),
    cmd("radius-server (kind=template) <name:word>", _radius_group, [SYSTEM], roles=L2),
    cmd("undo radius-server (kind=template) <name:word>", _undo_radius_group, [SYSTEM], roles=L2),
    cmd(
        "radius-server (kind=authentication|accounting) <ip:ip> <port:port> [weight <weight:weight>]",
        _server,
        RADIUS,
    ),
    cmd("undo radius-server (kind=authentication|accounting) <ip:ip> <port:port>", _undo_server, RADIUS),
    cmd("radius-server (keyword=shared-key) <key:key>", _shared_key, RADIUS, types=TYPES),
    cmd(
        "radius-server (keyword=shared-key) cipher <key:key>",
        _shared_key,
        RADIUS,
        flavours=["vrp5"],
        types=TYPES,
    ),
    cmd(
        "radius-server (keyword=shared-key-cipher) <key:key>",
        _shared_key,
        RADIUS,
        flavours=["vrpv8"],
        types=TYPES,
    ),
    cmd("undo radius-server (keyword=shared-key|shared-key-cipher)", _undo_shared_key, RADIUS),
    cmd("radius-server class-as-car", _class_as_car, RADIUS),
    cmd("undo radius-server class-as-car", _undo_class_as_car, RADIUS),
    cmd("undo radius-server user-name domain-included", _no_domain_in_user_name, RADIUS),
    cmd("radius-server user-name domain-included", _domain_in_user_name, RADIUS),
    cmd("acl number <number:acl>", _acl, [SYSTEM]),
    cmd("acl <number:acl>", _acl, [SYSTEM]),
    cmd("undo acl number <number:acl>", _undo_acl, [SYSTEM]),
    cmd("undo acl <number:acl>", _undo_acl, [SYSTEM]),
    cmd("rule <id:rule> (action=permit|deny) <rest:text>", _rule, ["acl"]),
    cmd("undo rule <id:rule>", _undo_rule, ["acl"]),
    cmd("user-vlan <vlan:vlan> [<end:vlan>]", _user_vlan, IF, roles=BRAS),
    cmd("undo user-vlan <vlan:vlan> [<end:vlan>]", _undo_user_vlan, IF, roles=BRAS),
    cmd("bas", _bas, IF, roles=BRAS),
    cmd("undo bas", _undo_bas, IF, roles=BRAS),
    cmd("access-type layer2-subscriber", _access_type, ["bas"], roles=BRAS),
    cmd(
        f"{ACCESS} pre-authentication <pre:word> [authentication <auth:word>]",
        _access_type,
        ["bas"],
        roles=BRAS,
    ),
    cmd(
        f"{ACCESS} authentication <auth:word> [pre-authentication <pre:word>]",
        _access_type,
        ["bas"],
        roles=BRAS,
    ),
    cmd("roam-domain <name:word>", _roam_domain, ["bas"], roles=BRAS),
    cmd("authentication-method <methods:methods>", _auth_method, ["bas"], roles=BRAS, types=TYPES),
    cmd("undo access-type", undoer("access-type"), ["bas"], roles=BRAS),
    cmd("undo roam-domain", undoer("roam-domain"), ["bas"], roles=BRAS),
    cmd("undo authentication-method", undoer("authentication-method"), ["bas"], roles=BRAS),
    cmd("nas logic-sysname <name:word>", _logic_sysname, ["bas"], roles=BRAS),
    cmd("undo nas logic-sysname", undoer("nas logic-sysname"), ["bas"], roles=BRAS),
)
