"""`interface` and what every interface has (description, shutdown), on every role.

Physical ports exist only if the device's configuration lists them (an unknown name is a wrong
parameter, as on a device without that port); logical ones are created on first entry: a
sub-interface only if its parent exists, a Vlanif only if its VLAN exists.
"""

from __future__ import annotations

from typing import Any

from ssid_rollout.lab.config import VLAN_BATCH, Node
from ssid_rollout.lab.context import SYSTEM, Ctx, Result, View, cmd, done, set_line, undo_lines
from ssid_rollout.lab.grammar import CE_PORTS, CliError, ParamError

PHYSICAL = ("GigabitEthernet", "XGigabitEthernet", *CE_PORTS, "MEth", "NULL")
VLAN_MISSING = "Error: The VLAN does not exist."
INTERFACE_VIEWS = ("interface", "vlan")


def interface_node(root: Node, name: str) -> Node | None:
    return root.find(f"interface {name}")


def interface_view(name: str) -> View:
    return View("interface", (f"interface {name}",), f"-{name}")


def vlans(root: Node) -> set[int]:
    """Configured VLANs (VLAN 1 always exists and is never listed)."""
    node = root.find(VLAN_BATCH)
    return {1} | set(node.vlans or ()) if node else {1}


def _interface(ctx: Ctx, a: dict[str, Any]) -> Result:
    name: str = a["name"]
    root = ctx.cfg.root
    if interface_node(root, name) is None:
        if "." in name:
            if interface_node(root, name.split(".")[0]) is None:
                raise ParamError("name")
        elif name.startswith(PHYSICAL):
            raise ParamError("name")
        elif name.startswith("Vlanif") and int(name[len("Vlanif") :]) not in vlans(root):
            raise CliError(VLAN_MISSING)
        ctx.cfg.ensure(root, f"interface {name}")
    return Result(enter=interface_view(name))


def _undo_interface(ctx: Ctx, a: dict[str, Any]) -> Result:
    name: str = a["name"]
    root = ctx.cfg.root
    node = interface_node(root, name)
    if node is None:
        raise CliError("Error: The interface does not exist.")
    if name.startswith(PHYSICAL) and "." not in name:
        raise CliError("Error: The physical interface cannot be deleted.")
    if any(c.text.startswith(f"interface {name}.") for c in root.children):
        raise CliError("Error: Delete the sub-interfaces of the interface first.")
    ctx.cfg.remove(root, node)
    return done()


def _description(ctx: Ctx, a: dict[str, Any]) -> Result:
    return set_line(ctx, "description", f"description {a['text']}")


def _undo_description(ctx: Ctx, a: dict[str, Any]) -> Result:
    return undo_lines(ctx, "description")


def _ip_address(ctx: Ctx, a: dict[str, Any]) -> Result:
    return set_line(ctx, "ip address", f"ip address {a['ip']} {a['mask']}")


def _undo_ip_address(ctx: Ctx, a: dict[str, Any]) -> Result:
    return undo_lines(ctx, "ip address")


def _shutdown(ctx: Ctx, a: dict[str, Any]) -> Result:
    return set_line(ctx, "shutdown", "shutdown")


def _undo_shutdown(ctx: Ctx, a: dict[str, Any]) -> Result:
    node = ctx.node.find("shutdown")
    if node is not None:
        ctx.cfg.remove(ctx.node, node)
    return done()


COMMANDS = (
    cmd("interface <name:if>", _interface, [SYSTEM]),
    cmd("undo interface <name:if>", _undo_interface, [SYSTEM]),
    cmd("description <text:text>", _description, INTERFACE_VIEWS),
    cmd("undo description", _undo_description, INTERFACE_VIEWS),
    cmd("ip address <ip:ip> <mask:ip>", _ip_address, ["interface"]),
    cmd("undo ip address", _undo_ip_address, ["interface"]),
    cmd("shutdown", _shutdown, ["interface"]),
    cmd("undo shutdown", _undo_shutdown, ["interface"]),
)
