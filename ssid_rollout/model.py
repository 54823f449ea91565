"""Typed values that travel between the steps of the data flow.

pydantic guards the edges (playbook, inventory); inside the tool these frozen
dataclasses are what one step hands to the next, so no dict of dicts travels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["switch", "bras", "ac"]
#: Stage order inside a site: users never see an SSID without a working path behind it.
STAGE_ORDER: tuple[Role, ...] = ("switch", "bras", "ac")
#: Owner of a change that one device holds once for the whole service (DESIGN.md, Ownership).
SHARED = "shared"


@dataclass(frozen=True)
class Vap:
    """One VAP binding on an AC: AP, radio and WLAN id."""

    ap: int
    radio: int
    wlan: int


@dataclass(frozen=True)
class SiteAttachment:
    """What one site owns on one device; which fields apply depends on the device's role."""

    site: str
    trunk_ports: tuple[str, ...] = ()  # switch
    subinterface: str | None = None  # BRAS, e.g. "Eth-Trunk5.807"
    region: int | None = None  # AC
    vaps: tuple[Vap, ...] = ()  # AC


@dataclass(frozen=True)
class JumpHost:
    """The SSH jump server a device is reached through (`data.jump_host`); its password is not here."""

    hostname: str
    port: int
    username: str


@dataclass(frozen=True)
class Device:
    """One inventory host after validation, with the service values resolved for it."""

    name: str
    role: Role
    platform: str  # Netmiko device_type: a registered platform (ssid_rollout/platforms)
    model: str
    department: str
    hostname: str
    port: int
    sites: dict[str, SiteAttachment]
    bras_id: str | None = None
    nas_ip: str | None = None
    groups: tuple[str, ...] = ()
    sysname: str | None = None  # when given, the device's own name must match it
    username: str | None = None  # the inventory's (host > groups > defaults); None: SSID_ROLLOUT_USERNAME
    jump: JumpHost | None = None  # reached through this jump server; hostname/port are as it sees them
    telnet_port: int = 23  # where `check` looks for telnet when SSH does not answer (`data.telnet_port`)
    vendor: str | None = None  # who built or maintains it (seed 3.3): work orders and site visits
    integrator: str | None = None
    address: str | None = None  # where it stands, for a site visit
    dcn: str | None = None  # the management network it is reached from: a cluster runs it on a worker there


@dataclass(frozen=True)
class Section:
    """Lines sent from system view: `path` enters the view, `lines` run inside it.

    An empty path means the lines run in system view itself. `owner` is SHARED or
    the site that owns the lines.
    """

    path: tuple[str, ...]
    lines: tuple[str, ...]
    owner: str = SHARED

    def sendable(self) -> list[Any]:
        """As a queue between processes carries it (msgpack: lists and strings); `sent` reads it back."""
        return [list(self.path), list(self.lines), self.owner]

    @classmethod
    def sent(cls, value: list[Any]) -> Section:
        path, lines, owner = value
        return cls(tuple(path), tuple(lines), owner)


@dataclass(frozen=True)
class Conflict:
    """Existing configuration the change would have to overwrite: stops the host."""

    reason: str
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Prerequisite:
    """An object the service uses but does not create, missing on the device."""

    what: str
    lines: tuple[str, ...]  # what an operator should look for in the configuration


@dataclass
class HostPlan:
    """Everything `plan` knows about one host, before any change."""

    host: str
    role: Role
    platform: str
    forward: list[Section] = field(default_factory=list)
    undo: list[Section] = field(default_factory=list)
    #: the whole rendered service for the chosen sites (what verify reads back), not just the difference
    desired: list[Section] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    missing: list[Prerequisite] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    unsaved: list[str] = field(default_factory=list)  # touched sections where running != saved
    error: str | None = None  # unreachable or unreadable

    @property
    def blocked(self) -> bool:
        return bool(self.conflicts or self.missing or self.error)

    @property
    def changes(self) -> bool:
        return any(s.lines or s.path for s in self.forward)


@dataclass(frozen=True)
class Fact:
    """One verified property of a device, compared with the service description."""

    host: str
    name: str  # e.g. "vlan 806 exists", "trunk GigabitEthernet0/0/1 allows 806"
    expected: str
    found: str
    owner: str = SHARED

    @property
    def ok(self) -> bool:
        return self.expected == self.found
