"""WS6603 AC, legacy ESS syntax (huawei-vrp-cli.md section 8: unconfirmed details are ours).

`ess`, `vlan-mapping` and `vap` are typed in system view; APs are known by the `ap id` lines of
the `wlan` view. The rules the rollout depends on are enforced: an ESS id belongs to one ESS,
a mapping needs its ESS and VLAN, a VAP needs its ESS and AP, and an ESS in use cannot go.
"""

from __future__ import annotations

import re
from typing import Any

from ssid_rollout.lab.cmd_interface import VLAN_MISSING, vlans
from ssid_rollout.lab.config import Node
from ssid_rollout.lab.context import ANY, SYSTEM, USER, Ctx, Result, View, cmd, done, undo_lines
from ssid_rollout.lab.grammar import CliError, ParamParser, int_range

AC = ["ac"]
TYPES: dict[str, ParamParser] = {
    "essid": int_range(0, 1023),
    "ap": int_range(0, 8191),
    "radio": int_range(0, 2),
    "wlan": int_range(0, 15),
    "users": int_range(1, 256),
    "region": int_range(0, 1023),
}
_ESS = re.compile(
    r"ess name (?P<name>\S+) id (?P<id>\d+) ssid (?P<ssid>\S+)(?: traffic-profile (?P<traffic>\S+))?"
    r"(?: security-profile (?P<security>\S+))?(?: max-user-number (?P<max>\d+))?"
)
_VAP = re.compile(r"vap ap (?P<ap>\d+) radio (?P<radio>\d+) ess id (?P<ess>\d+) wlan (?P<wlan>\d+)")


def ess_lines(root: Node) -> dict[int, re.Match[str]]:
    return {int(m["id"]): m for node in root.starting("ess") if (m := _ESS.fullmatch(node.text))}


def _ess_node(root: Node, ess_id: int) -> Node:
    node = next((n for n in root.starting("ess") if re.search(f" id {ess_id} ", n.text)), None)
    if node is None:
        raise CliError("Error: The ESS does not exist.")
    return node


def _aps(root: Node) -> list[list[str]]:
    wlan = root.find("wlan")
    return [n.text.split() for n in (wlan.starting("ap id") if wlan else [])]


def _ess(ctx: Ctx, a: dict[str, Any]) -> Result:
    root = ctx.cfg.root
    text = f"ess name {a['name']} id {a['id']} ssid {a['ssid']}"
    for keyword, arg in (
        ("traffic-profile", "traffic"),
        ("security-profile", "security"),
        ("max-user-number", "max"),
    ):
        if a.get(arg) is not None:
            text += f" {keyword} {a[arg]}"
    for ess_id, found in ess_lines(root).items():
        if ess_id == a["id"] and found["name"] != a["name"]:
            raise CliError(f"Error: The ESS ID {ess_id} has been used by ESS {found['name']}.")
        if found["name"] == a["name"] and ess_id != a["id"]:
            raise CliError(f"Error: The ESS name {found['name']} has been used by ESS ID {ess_id}.")
    ctx.cfg.set_line(root, f"ess name {a['name']}", text)
    return done()


def _undo_ess(ctx: Ctx, a: dict[str, Any]) -> Result:
    root, ess_id = ctx.cfg.root, a["id"]
    node = _ess_node(root, ess_id)
    users = [
        n
        for n in (*root.starting("vlan-mapping"), *root.starting("vap"))
        if f" ess id {ess_id} " in n.text + " "
    ]
    if users:
        raise CliError(f"Error: The ESS is being used by: {users[0].text}.")
    ctx.cfg.remove(root, node)
    return done()


def _mode_region(ctx: Ctx, a: dict[str, Any]) -> Result:
    _ess_node(ctx.cfg.root, a["id"])
    ctx.cfg.ensure(ctx.cfg.root, f"vlan-mapping ess id {a['id']} mode region")
    return done()


def _region_vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    root = ctx.cfg.root
    _ess_node(root, a["id"])
    if a["vlan"] not in vlans(root):
        raise CliError(VLAN_MISSING)
    prefix = f"vlan-mapping ess id {a['id']} type tag region {a['region']}"
    ctx.cfg.set_line(root, prefix, f"{prefix} vlan {a['vlan']}")
    return done()


def _undo_region(ctx: Ctx, a: dict[str, Any]) -> Result:
    return undo_lines(ctx, f"vlan-mapping ess id {a['id']} type tag region {a['region']}", ctx.cfg.root)


def _undo_mode(ctx: Ctx, a: dict[str, Any]) -> Result:
    return undo_lines(ctx, f"vlan-mapping ess id {a['id']} mode region", ctx.cfg.root)


def _vap(ctx: Ctx, a: dict[str, Any]) -> Result:
    root = ctx.cfg.root
    _ess_node(root, a["id"])
    if not any(ap[2] == str(a["ap"]) for ap in _aps(root)):
        raise CliError(f"Error: The AP {a['ap']} does not exist.")
    for node in root.starting(f"vap ap {a['ap']} radio {a['radio']}"):
        found = _VAP.fullmatch(node.text)
        if found and int(found["wlan"]) == a["wlan"] and int(found["ess"]) != a["id"]:
            raise CliError(f"Error: The WLAN ID {a['wlan']} has been used by ESS {found['ess']}.")
    ctx.cfg.ensure(root, f"vap ap {a['ap']} radio {a['radio']} ess id {a['id']} wlan {a['wlan']}")
    return done()


def _undo_vap(ctx: Ctx, a: dict[str, Any]) -> Result:
    root = ctx.cfg.root
    found = [
        n
        for n in root.starting(f"vap ap {a['ap']} radio {a['radio']}")
        if (m := _VAP.fullmatch(n.text)) and int(m["wlan"]) == a["wlan"]
    ]
    if not found:
        raise CliError("Error: The VAP does not exist.")
    for node in found:
        ctx.cfg.remove(root, node)
    return done()


def _wlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.cfg.ensure(ctx.cfg.root, "wlan")
    return Result(enter=View("wlan", ("wlan",), "-wlan-view"))


def _ap(ctx: Ctx, a: dict[str, Any]) -> Result:
    text = f"ap id {a['ap']} type-id {a['type']} ap-mac {a['mac']}" + (
        f" ap-sn {a['sn']}" if a.get("sn") else ""
    )
    ctx.cfg.set_line(ctx.node, f"ap id {a['ap']}", text)
    return done()


def _undo_ap(ctx: Ctx, a: dict[str, Any]) -> Result:
    if ctx.cfg.root.starting(f"vap ap {a['ap']}"):
        raise CliError(f"Error: The AP {a['ap']} is bound to a VAP.")
    node = ctx.node.first(f"ap id {a['ap']}")
    if node is None:
        raise CliError(f"Error: The AP {a['ap']} does not exist.")
    ctx.cfg.remove(ctx.node, node)
    return done()


# ---------------------------------------------------------------------------------------------- displays
def _display_ess(ctx: Ctx, a: dict[str, Any]) -> Result:
    rule = "-" * 100
    rows = [
        f"{i:<8}{m['name']:<18}{m['ssid']:<32}{m['traffic'] or '-':<17}{m['security'] or '-':<18}"
        f"{m['max'] or '-'}"
        for i, m in sorted(ess_lines(ctx.device.running.root).items())
    ]
    header = f"{'ESS ID':<8}{'Name':<18}{'SSID':<32}{'Traffic-profile':<17}{'Security-profile':<18}Max-user"
    return done(header, rule, *rows, rule, f"Total: {len(rows)}")


def _display_vap(ctx: Ctx, a: dict[str, Any]) -> Result:
    root = ctx.device.running.root
    ssids = {i: m["ssid"] for i, m in ess_lines(root).items()}
    rows = [
        f"{m['ap']:<7}{m['radio']:<7}{m['wlan']:<6}{m['ess']:<8}{ssids.get(int(m['ess']), '-'):<32}ON"
        for node in root.starting("vap")
        if (m := _VAP.fullmatch(node.text))
    ]
    rule = "-" * 68
    return done(
        "AP ID  Radio  WLAN  ESS ID  SSID                            Status",
        rule,
        *rows,
        rule,
        f"Total: {len(rows)}",
    )


def _display_ap_all(ctx: Ctx, a: dict[str, Any]) -> Result:
    """`display ap all` in the NTC display_ap_all layout."""
    aps = _aps(ctx.device.running.root)
    rule = "-" * 158
    rows = [
        f"{ap[2]:<6}{ap[6]:<15}{'ap-' + ap[2]:<33}{'default':<20}{'10.7.0.' + str(int(ap[2]) % 250 + 1):<15}"
        f"{'AP6010DN-AGN':<19}{'nor':<7}{'0':<5}{'5D:3H:10M:2S':<16}{'-':<10}-"
        for ap in aps
    ]
    return done(
        "Total AP information:",
        f"nor   : normal          [{len(aps)}]",
        "ExtraInfo : Extra information",
        "P     : insufficient power supply",
        rule,
        "ID    MAC            Name                             Group               IP             "
        "Type               State  STA  Uptime          ExtraInfo Scene",
        rule,
        *rows,
        rule,
        f"Total: {len(aps)}",
    )


EVERYWHERE = [USER, ANY]
ESS = "ess name <name:word> id <id:essid> ssid <ssid:word>"
OPTIONS = "[traffic-profile <traffic:word>] [security-profile <security:word>] [max-user-number <max:users>]"
MAP = "vlan-mapping ess id <id:essid>"
COMMANDS = (
    cmd(f"{ESS} {OPTIONS}", _ess, [SYSTEM], roles=AC, types=TYPES),
    cmd("undo ess id <id:essid>", _undo_ess, [SYSTEM], roles=AC, types=TYPES),
    cmd(f"{MAP} mode region", _mode_region, [SYSTEM], roles=AC, types=TYPES),
    cmd(
        f"{MAP} type tag region <region:region> vlan <vlan:vlan>",
        _region_vlan,
        [SYSTEM],
        roles=AC,
        types=TYPES,
    ),
    cmd(f"undo {MAP} type tag region <region:region>", _undo_region, [SYSTEM], roles=AC, types=TYPES),
    cmd(f"undo {MAP} mode region", _undo_mode, [SYSTEM], roles=AC, types=TYPES),
    cmd(
        "vap ap <ap:ap> radio <radio:radio> ess id <id:essid> wlan <wlan:wlan>",
        _vap,
        [SYSTEM],
        roles=AC,
        types=TYPES,
    ),
    cmd(
        "undo vap ap <ap:ap> radio <radio:radio> wlan <wlan:wlan>", _undo_vap, [SYSTEM], roles=AC, types=TYPES
    ),
    cmd("wlan", _wlan, [SYSTEM], roles=AC),
    cmd(
        "ap id <ap:ap> type-id <type:num> ap-mac <mac:word> [ap-sn <sn:word>]",
        _ap,
        ["wlan"],
        roles=AC,
        types=TYPES,
    ),
    cmd("undo ap id <ap:ap>", _undo_ap, ["wlan"], roles=AC, types=TYPES),
    cmd("display ess", _display_ess, EVERYWHERE, roles=AC, config=False),
    cmd("display vap", _display_vap, EVERYWHERE, roles=AC, config=False),
    cmd("display ap all", _display_ap_all, EVERYWHERE, roles=AC, config=False),
)
