"""The NAS IP and BRAS ID the handover gives the portal platform, checked against the BRAS's own
configuration (seed 4.1.2: the province hands over the BRAS addresses and IDs).

The portal and RADIUS know a BRAS by the address its packets come from and by the ID the redirect
carries (wlanacname). On Huawei BRAS (huawei-vrp-cli.md section 6) the address is the one set with
`web-auth-server source-ip` / `web-auth-server source interface <if>` or a BAS interface's
`nas logic-ip`, else one of the device's own interface addresses; the ID is a BAS interface's
`nas logic-sysname`, else the `sysname`. A sheet that disagrees with the device would open the
service for a BRAS the platform cannot recognise: a plan warning, and a mark on the sheet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .model import Device

NAS_IP_PREFIX = "NAS IP "
BRAS_ID_PREFIX = "BRAS ID "
_INTERFACE = re.compile(r"interface (\S+)$")
_ADDRESS = re.compile(r"\s+ip address (\d+\.\d+\.\d+\.\d+) \S+")
_SOURCE_IP = re.compile(r"web-auth-server source-ip (\S+)$")
_SOURCE_IF = re.compile(r"web-auth-server source interface (\S+)$")
_LOGIC_IP = re.compile(r"\s+nas logic-ip (\S+)$")
_LOGIC_NAME = re.compile(r"\s+nas logic-sysname (\S+)$")
_SYSNAME = re.compile(r"sysname (\S+)$")


@dataclass
class Identity:
    """What a BRAS's configuration says about how the portal sees it."""

    sysname: str | None = None
    addresses: dict[str, list[str]] = field(default_factory=dict)  # interface -> its addresses
    source_ips: list[str] = field(default_factory=list)
    source_interfaces: list[str] = field(default_factory=list)
    logic_ips: list[str] = field(default_factory=list)
    logic_names: list[str] = field(default_factory=list)

    def sources(self) -> list[str]:
        """Addresses the BRAS is told to send portal or RADIUS packets from."""
        from_interfaces = [a for name in self.source_interfaces for a in self.addresses.get(name, [])]
        return list(dict.fromkeys([*self.source_ips, *from_interfaces, *self.logic_ips]))


def read_identity(running: str) -> Identity:
    found = Identity()
    interface: str | None = None
    for line in running.splitlines():
        if line and not line[0].isspace():
            match = _INTERFACE.match(line)
            interface = match.group(1) if match else None
            if match := _SYSNAME.match(line):
                found.sysname = match.group(1)
            for pattern, items in ((_SOURCE_IP, found.source_ips), (_SOURCE_IF, found.source_interfaces)):
                if match := pattern.match(line):
                    items.append(match.group(1))
            continue
        address = _ADDRESS.match(line)
        if address and interface:
            found.addresses.setdefault(interface, []).append(address.group(1))
        for pattern, items in ((_LOGIC_IP, found.logic_ips), (_LOGIC_NAME, found.logic_names)):
            if match := pattern.match(line):
                items.append(match.group(1))
    return found


def bras_identity_warnings(device: Device, running: str) -> list[str]:
    """A warning for a NAS IP or BRAS ID in the inventory that the BRAS's configuration contradicts."""
    if device.role != "bras":
        return []
    found = read_identity(running)
    out: list[str] = []
    if device.nas_ip:
        sources = found.sources()
        owned = [f"{name} {a}" for name, addresses in found.addresses.items() for a in addresses]
        if sources and device.nas_ip not in sources:
            out.append(
                f"{NAS_IP_PREFIX}{device.nas_ip} (data.nas_ip) is not the address this BRAS sends portal and "
                f"RADIUS packets from ({', '.join(sources)}): correct the inventory or the handover sheet"
            )
        elif not sources and not any(device.nas_ip in a for a in found.addresses.values()):
            out.append(
                f"{NAS_IP_PREFIX}{device.nas_ip} (data.nas_ip) is not an address of this BRAS "
                f"({', '.join(owned) or 'it shows none'}): the portal and RADIUS would not recognise it"
            )
    if device.bras_id and device.bras_id != found.sysname and device.bras_id not in found.logic_names:
        named = ", ".join(found.logic_names) or "none"
        out.append(
            f"{BRAS_ID_PREFIX}{device.bras_id} (data.bras_id) is neither this BRAS's sysname "
            f"({found.sysname or 'none'}) nor one of its `nas logic-sysname` ({named}): "
            "the portal platform would be given an ID the BRAS does not send"
        )
    return out
