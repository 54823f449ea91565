"""VLANs and switch ports (S-series VRP5, also the AC's VLANs): huawei-vrp-cli.md section 7.

VLAN lists are sets: `vlan batch` and `port trunk allow-pass vlan` add to them, their `undo`
removes from them, and the displays show them merged and ranged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ssid_rollout.lab.cmd_interface import VLAN_MISSING, vlans
from ssid_rollout.lab.config import ALLOW_PASS, DEFAULT_VLAN, VLAN_BATCH, Node, vlan_items
from ssid_rollout.lab.context import ANY, NOT_CONFIGURED, SYSTEM, USER, Ask, Ctx, Result, View, cmd, done
from ssid_rollout.lab.grammar import CE_PORTS, UNRECOGNIZED, CliError, ParamError

L2 = ["switch", "ac"]
DELETE_VLAN = "Warning: The configurations of the VLAN will be deleted. Continue? [Y/N]:"
DELETE_PORT_VLANS = "Warning: This command will delete VLANs on this port. Continue?[Y/N]:"
NOT_TRUNK = "Error: Please configure the link type of the port to trunk first."
ALL_VLANS = frozenset(range(1, 4095))
_SHORT = (("XGigabitEthernet", "XGE"), ("GigabitEthernet", "GE"))


@dataclass(frozen=True)
class Port:
    name: str
    link: str
    pvid: int
    allowed: frozenset[int]
    up: bool


def ports(root: Node) -> list[Port]:
    """Layer-2 ports (physical and Eth-Trunk, not sub-interfaces) with their VLAN settings."""
    found = []
    for node in root.children:
        name = node.text.removeprefix("interface ")
        if name == node.text or not _is_port(name):
            continue
        link = node.first("port link-type")
        kind = link.text.split()[-1] if link else "hybrid"
        pvid = node.first("port default vlan")
        allowed = node.find(ALLOW_PASS)
        found.append(
            Port(
                name,
                kind,
                int(pvid.text.split()[-1]) if pvid else DEFAULT_VLAN,
                frozenset(allowed.vlans or ()) if allowed and kind == "trunk" else frozenset(),
                node.find("shutdown") is None,
            )
        )
    return found


def _is_port(name: str) -> bool:
    return (
        name.startswith(("GigabitEthernet", "XGigabitEthernet", *CE_PORTS, "Eth-Trunk")) and "." not in name
    )


def _port_node(ctx: Ctx) -> Node:
    """The interface node if it is a layer-2 port; elsewhere port commands do not exist."""
    if ctx.view.kind != "interface" or not _is_port(ctx.view.path[0].removeprefix("interface ")):
        raise ParamError(0, UNRECOGNIZED)
    return ctx.node


# ---------------------------------------------------------------------------------------------- VLANs
def _vlan_batch(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.cfg.add_vlans(ctx.cfg.root, VLAN_BATCH, a["vlans"])
    return done()


def _delete_vlans(ctx: Ctx, wanted: set[int]) -> Result:
    if DEFAULT_VLAN in wanted:
        raise CliError("Error: The default VLAN cannot be deleted.")
    present = wanted & vlans(ctx.cfg.root)
    if not present:
        return done(NOT_CONFIGURED)

    def answer(reply: str) -> Result:
        if reply == "y":
            root = ctx.cfg.root
            ctx.cfg.remove_vlans(root, VLAN_BATCH, present)
            for vid in present:
                block = root.find(f"vlan {vid}")
                if block is not None:
                    ctx.cfg.remove(root, block)
        return Result()

    return Result(ask=Ask(DELETE_VLAN, answer))


def _undo_vlan_batch(ctx: Ctx, a: dict[str, Any]) -> Result:
    return _delete_vlans(ctx, set(a["vlans"]))


def _vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    vid = a["vlan"]
    if vid != DEFAULT_VLAN:
        ctx.cfg.add_vlans(ctx.cfg.root, VLAN_BATCH, [vid])
    ctx.cfg.ensure(ctx.cfg.root, f"vlan {vid}")
    return Result(enter=View("vlan", (f"vlan {vid}",), f"-vlan{vid}"))


def _undo_vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    if a["vlan"] not in vlans(ctx.cfg.root):
        raise CliError(VLAN_MISSING)
    return _delete_vlans(ctx, {a["vlan"]})


# ---------------------------------------------------------------------------------------------- ports
def _link_type(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = _port_node(ctx)
    current = node.first("port link-type")
    if current is not None and current.text.endswith(" " + a["kind"]):
        return done()
    allowed = node.find(ALLOW_PASS)
    has_vlans = node.first("port default vlan") is not None or bool(
        allowed and (allowed.vlans or set()) - {DEFAULT_VLAN}
    )

    def change(reply: str = "y") -> Result:
        if reply != "y":
            return Result()
        for old in [*node.starting("port default vlan"), *node.starting(ALLOW_PASS)]:
            ctx.cfg.remove(node, old)
        ctx.cfg.set_line(node, "port link-type", f"port link-type {a['kind']}")
        if a["kind"] == "trunk":
            ctx.cfg.add_vlans(node, ALLOW_PASS, [DEFAULT_VLAN])
        return Result()

    return Result(ask=Ask(DELETE_PORT_VLANS, change)) if current is not None and has_vlans else change()


def _trunk_node(ctx: Ctx) -> Node:
    node = _port_node(ctx)
    if node.find("port link-type trunk") is None:
        raise CliError(NOT_TRUNK)
    return node


def _allow(ctx: Ctx, a: dict[str, Any]) -> Result:
    ctx.cfg.add_vlans(_trunk_node(ctx), ALLOW_PASS, a.get("vlans") or ALL_VLANS)
    return done()


def _disallow(ctx: Ctx, a: dict[str, Any]) -> Result:
    gone = ctx.cfg.remove_vlans(_trunk_node(ctx), ALLOW_PASS, a.get("vlans") or ALL_VLANS)
    return done() if gone else done(NOT_CONFIGURED)


def _default_vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = _port_node(ctx)
    if node.find("port link-type trunk") is not None:
        raise CliError("Error: The command cannot be used on a trunk port.")
    if a["vlan"] not in vlans(ctx.cfg.root):
        raise CliError(VLAN_MISSING)
    ctx.cfg.set_line(node, "port default vlan", f"port default vlan {a['vlan']}")
    return done()


def _undo_default_vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = _port_node(ctx)
    found = node.first("port default vlan")
    if found is None:
        return done(NOT_CONFIGURED)
    ctx.cfg.remove(node, found)
    return done()


# ---------------------------------------------------------------------------------------------- displays
def _short(name: str) -> str:
    for long, short in _SHORT:
        if name.startswith(long):
            return short + name[len(long) :]
    return name


def _vlan_rows(vid: int, all_ports: list[Port]) -> list[str]:
    """One VLAN's rows of the `VID Type Ports` table, four ports a line (NTC display_vlan)."""
    untagged = [p for p in all_ports if p.link != "trunk" and p.pvid == vid]
    tagged = [p for p in all_ports if vid in p.allowed]
    rows: list[str] = []
    for tag, members in (("UT", untagged), ("TG", tagged)):
        cells = [f"{_short(p.name)}({'U' if p.up else 'D'})".ljust(16) for p in members]
        for k in range(0, len(cells), 4):
            lead = (f"{vid:<5}common  " if not rows else " " * 13) + f"{tag}:" if k == 0 else " " * 16
            rows.append((lead + "".join(cells[k : k + 4])).rstrip())
    return rows or [f"{vid:<5}common"]


def _display_vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    root = ctx.device.running.root
    known = vlans(root)
    wanted = sorted(known) if a.get("vlan") is None else [a["vlan"]]
    if not set(wanted) <= known:
        raise CliError(VLAN_MISSING)
    rule = "-" * 80
    all_ports = ports(root)
    lines = [
        f"The total number of VLANs is : {len(wanted)}",
        rule,
        "U: Up;         D: Down;         TG: Tagged;         UT: Untagged;",
        "MP: Vlan-mapping;               ST: Vlan-stacking;",
        "#: ProtocolTransparent-vlan;    *: Management-vlan;",
        rule,
        "",
        "VID  Type    Ports",
        rule,
    ]
    for vid in wanted:
        lines += _vlan_rows(vid, all_ports)
    lines += ["", "VID  Status  Property      MAC-LRN Statistics Description", rule]
    for vid in wanted:
        block = root.find(f"vlan {vid}")
        described = block.first("description") if block else None
        text = described.text.split(" ", 1)[1] if described else f"VLAN {vid:04d}"
        lines.append(f"{vid:<5}enable  default       enable  disable    {text}")
    return done(*lines)


def _display_port_vlan(ctx: Ctx, a: dict[str, Any]) -> Result:
    """`display port vlan` as in NTC display_port_vlan: ranges as `a-b`, the list wrapped under itself."""
    lines = ["Port                        Link Type    PVID  Trunk VLAN List", "-" * 79]
    for port in ports(ctx.device.running.root):
        items = vlan_items(port.allowed, to="-") or ["-"]
        wrapped: list[str] = []
        for item in items:
            if wrapped and len(wrapped[-1]) + 1 + len(item) <= 32:
                wrapped[-1] += " " + item
            else:
                wrapped.append(item)
        lines.append(f"{port.name:<28}{port.link:<13}{port.pvid:<6}{wrapped[0]}")
        lines += [" " * 47 + more for more in wrapped[1:]]
    return done(*lines)


EVERYWHERE = [USER, ANY]
COMMANDS = (
    cmd("vlan batch <vlans:vlans>", _vlan_batch, [SYSTEM], roles=L2),
    cmd("undo vlan batch <vlans:vlans>", _undo_vlan_batch, [SYSTEM], roles=L2),
    cmd("vlan <vlan:vlan>", _vlan, [SYSTEM], roles=L2),
    cmd("undo vlan <vlan:vlan>", _undo_vlan, [SYSTEM], roles=L2),
    cmd("port link-type (kind=trunk|access|hybrid)", _link_type, ["interface"], roles=L2),
    cmd("port trunk allow-pass vlan <vlans:vlans>", _allow, ["interface"], roles=L2),
    cmd("port trunk allow-pass vlan all", _allow, ["interface"], roles=L2),
    cmd("undo port trunk allow-pass vlan <vlans:vlans>", _disallow, ["interface"], roles=L2),
    cmd("undo port trunk allow-pass vlan all", _disallow, ["interface"], roles=L2),
    cmd("port default vlan <vlan:vlan>", _default_vlan, ["interface"], roles=L2),
    cmd("undo port default vlan", _undo_default_vlan, ["interface"], roles=L2),
    cmd("display vlan [<vlan:vlan>]", _display_vlan, EVERYWHERE, roles=L2, config=False),
    cmd("display port vlan", _display_port_vlan, EVERYWHERE, roles=L2, config=False),
)
