"""Ruijie RGOS access switches (flavour `rgos`, inventory platform `ruijie_os`).

Follows docs/vendors.md (source keys in brackets) and the captures in tests/fixtures/real/ruijie_os/.
RGOS is IOS-like: `>` and `#` exec levels, `configure terminal`, `!` between configuration sections,
interface names with a space. A login lands at `#` unless the device has an enable secret (then at
`>`, and `enable` asks for it): the tool has no enable secret, and Netmiko's session preparation
fails without one on a `>` login [NM-RUIJIE]. Texts marked *unconfirmed* are the lab's own choice.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ssid_rollout.lab.config import vlan_items
from ssid_rollout.lab.context import Ask, Result, View
from ssid_rollout.lab.device import Faults
from ssid_rollout.lab.grammar import (
    AMBIGUOUS,
    INCOMPLETE,
    UNRECOGNIZED,
    Outcome,
    ParamError,
    ParamParser,
    Token,
    caret_lines,
)
from ssid_rollout.lab.switchcli import (
    ALL_VLANS,
    INTERFACE,
    PORT,
    VLAN,
    Command,
    Interface,
    Refused,
    SwitchDevice,
    SwitchSession,
    command,
    configuration_commands,
    current_interface,
    drop_lines,
    interface_param,
    put_line,
    show_version,
)

FLAVOUR = "rgos"
USER, ENABLE, CONFIG = "user", "enable", "config"
EXEC_VIEWS = (USER, ENABLE)
CONFIG_VIEWS = (CONFIG, VLAN, PORT, INTERFACE)

#: [NMI#2538]: the answer to a command above the session's privilege (here: privileged-only
#: commands typed at `>`; at `>` the captured session of NMI#3680 took `terminal width/length`).
PRIVILEGE = "% User doesn't have sufficient privilege to execute this command."
#: Only the prefixes are sourced [SGO-RJ]; the full texts are IOS's (unconfirmed for RGOS).
INVALID = "% Invalid input detected at '^' marker."
INCOMPLETE_TEXT = "% Incomplete command."
UNKNOWN = "% Unknown command."
AMBIGUOUS_TEXT = '% Ambiguous command: "{line}"'
#: Unconfirmed: IOS's texts and the lab's own refusals.
CONFIG_NOTICE = "Enter configuration commands, one per line.  End with CNTL/Z."
PASSWORD = "Password:"  # the `enable` question [NMI#3680]
BAD_SECRET = "% Access denied"
BUILDING = "Building configuration..."  # `show running-config` [X-RGS, X-RGW]; `write` (unconfirmed)
WRITTEN = "[OK]"
WRITE_FAILED = "% Failed to write the configuration file."
NOT_TRUNK = "% Interface {name} is not a trunk port."
DEFAULT_VLAN_KEPT = "% Default VLAN 1 can not be deleted."
VLAN_ABSENT = "% VLAN {vid} does not exist."
MORE = " --More-- "  # unconfirmed, as is its erasure (IOS-like backspaces)
ERASE = "\b" * len(MORE) + " " * len(MORE) + "\b" * len(MORE)
ALLOWED = "switchport trunk allowed vlan"
INTERFACE_TYPES = {
    "FastEthernet": r"\d+/\d+(?:/\d+)?",
    "GigabitEthernet": r"\d+/\d+(?:/\d+)?",
    "TenGigabitEthernet": r"\d+/\d+(?:/\d+)?",
    "AggregatePort": r"\d+",
    "VLAN": r"\d+",
    "Loopback": r"\d+",
    "Mgmt": r"\d+",
}
#: Physical ports first, `interface VLAN n` after them [X-RGS]; the rest's order is unconfirmed.
IF_ORDER = (
    "FastEthernet",
    "GigabitEthernet",
    "TenGigabitEthernet",
    "AggregatePort",
    "VLAN",
    "Loopback",
    "Mgmt",
)
#: `show vlan` abbreviations: `Gi`, `Fa` [X-RGS]; `Te`, `Ag` unconfirmed.
SHORT = {"FastEthernet": "Fa", "GigabitEthernet": "Gi", "TenGigabitEthernet": "Te", "AggregatePort": "Ag"}
#: Sub-line order: access VLAN, mode (the allowed list prints right after it), ..., description
#: last [X-RGS `GigabitEthernet 1/0/25`].
PORT_RANKS = (("switchport access vlan", 10), ("switchport mode", 20), ("description", 90))
VLAN_RANKS = (("name", 10),)
SHOW_VLAN_WIDTH = 38  # the Ports column: four ports a line, padded [X-RGS `show vlan`]


@dataclass(frozen=True)
class Profile:
    """What an RGOS generation prints differently (docs/vendors.md sections 2, 5, 8)."""

    version_line: str  # the running configuration's `version` line
    show_version: str  # template: {model} {start} {uptime}
    named_if_prompt: bool  # `(config-if-GigabitEthernet 0/1)#` [X-RGP]; RGOS 10 docs: `(config-if)#` [RG-DOC]


#: RGOS 10.4: the S2628G-E's version texts [X-RGS fixture] (serial number the lab's own).
RGOS10 = Profile(
    version_line="version RGOS 10.4(3b19)p3 Release(180891)(Mon Dec 15 12:13:56 CST 2014 -ngcf70)",
    show_version="System description      : Ruijie Gigabit Security & Intelligence Access Switch ({model})"
    """ By Ruijie Networks
System start time       : {start}
System uptime           : {uptime}
System hardware version : 1.01
System software version : RGOS 10.4(3b19)p3 Release(180891)
System BOOT version     : 10.4(2b2) Release(85787)
System CTRL version     : 10.4(2b2) Release(85787)
System serial number    : LAB0000000001""",
    named_if_prompt=False,
)
#: RGOS 11: `show version` shaped like the S8607E's [NI fixture]; the S5750-H release, description and
#: `version` line (shaped like RGOS 12.6's `version S5760X_RGOS ...` [X-RGW]) are unconfirmed.
RGOS11 = Profile(
    version_line="version S5750-H_RGOS 11.4(1)B12P10",
    show_version="""System description      : Ruijie 10G Ethernet Switch({model}) By Ruijie Networks
System start time       : {start}
System uptime           : {uptime}
System hardware version : 1.00
System software version : S5750-H_RGOS 11.4(1)B12P10
System patch number     : NA
System serial number    : LAB0000000002
System boot version     : 1.2.25""",
    named_if_prompt=True,
)
PROFILES = {"rgos10": RGOS10, "rgos11": RGOS11}
#: Known models' generations; any other model is an RGOS 11 switch under its own name.
MODELS = {"S2928G-E": "rgos10", "S5750-24GT4XS-H": "rgos11"}


def vlan_set(word: str) -> set[int]:
    """`1,3-4094` -> the VLANs: commas, dash ranges rising, no spaces [RG-DOC]; ValueError otherwise."""
    if not re.fullmatch(r"\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*", word):
        raise ValueError(word)
    vlans: set[int] = set()
    for item in word.split(","):
        first, _, last = item.partition("-")
        low, high = int(first), int(last or first)
        if not 1 <= low <= high <= 4094:
            raise ValueError(word)
        vlans.update(range(low, high + 1))
    return vlans


def _vlan_list(tokens: Sequence[Token], i: int) -> tuple[set[int], int]:
    try:
        return vlan_set(tokens[i][0]), i + 1
    except ValueError:
        raise ParamError(i) from None


def _allowed_after(allowed: set[int], how: str, vlans: set[int]) -> set[int]:
    """A trunk's VLANs after `switchport trunk allowed vlan <how> <vlans>`."""
    if how == "add":
        return allowed | vlans
    if how == "remove":
        return allowed - vlans
    if how == "except":
        return set(ALL_VLANS - vlans)
    return set(ALL_VLANS) if how == "all" else set(vlans)


class RgosDevice(SwitchDevice):
    """An RGOS access switch; `profile` ("rgos10" / "rgos11") overrides what the model implies."""

    flavour = FLAVOUR
    SEPARATOR = "!"
    TRUNK = "switchport mode trunk"
    LIST_LINE = re.compile(ALLOWED + " ")
    HEADER = re.compile(r"Building configuration|Current configuration|version |end$")
    HOSTNAME = re.compile(r"hostname (\S+)$")
    IF_ORDER = IF_ORDER
    LOGICAL = frozenset({"AggregatePort", "VLAN", "Loopback"})
    ROUTED = frozenset({"VLAN", "Loopback", "Mgmt"})
    CONFIG_ENTRY = "configure terminal"
    STARTUP = "flash:/config.text"  # [X-RGP: `delete config.text` restores the factory settings]

    def __init__(
        self,
        name: str,
        model: str,
        *,
        profile: str | None = None,
        enable_secret: str | None = None,
        faults: Faults | None = None,
        start_config: str | None = None,
        username: str = "netops",
    ) -> None:
        self.profile = PROFILES[profile or MODELS.get(model.upper(), "rgos11")]
        self.enable_secret = enable_secret
        super().__init__(name, model, faults=faults, start_config=start_config, username=username)

    def data_file(self) -> str:
        return "switch_rgos.cfg"

    def read_allowed(self, list_lines: list[str]) -> set[int]:
        """All VLANs by default [RG-DOC], then each line in order (`only` when no keyword is given)."""
        allowed = set(ALL_VLANS)
        for line in list_lines:
            words = line.split()[4:]
            how = words[0] if words[0] in ("add", "remove", "only", "except", "all") else "only"
            allowed = _allowed_after(allowed, how, vlan_set(words[-1]) if how != "all" else set())
        return allowed

    def trunk_lines(self, allowed: set[int]) -> list[str]:
        """No line for the default (all VLANs) [X-RGS]; else `only` and commas and dash ranges [X-RGW,
        RG-DOC]. Unconfirmed: `only` after add/remove too, runs of two as `a-b`, VLAN 1 shown like any,
        no wrapping, and `remove 1-4094` for an empty list."""
        if allowed >= ALL_VLANS:
            return []
        if not allowed:
            return [f"{ALLOWED} remove 1-4094"]
        return [f"{ALLOWED} only {','.join(vlan_items(allowed, to='-'))}"]

    def vlan_ids(self, head: str) -> list[int] | None:
        found = re.fullmatch(r"vlan (\d+)", head)
        return [int(found.group(1))] if found else None

    def vlan_sections(self) -> list[list[str]]:
        """One section per VLAN [X-RGS] (RGOS 12.6's `vlan range ...` line is not simulated)."""
        vlans = self.running.vlans
        return [[f"vlan {vid}", *(" " + line for line in vlans[vid])] for vid in sorted(vlans)]

    def header_sections(self) -> list[list[str]]:
        return [[self.profile.version_line, f"hostname {self.running.hostname}"]]

    def running_text(self) -> str:
        """The configuration as `show running-config` prints it after its two header lines."""
        with self.lock:
            return "\n".join([*self.separated(self.sections()), "end"])

    def shown(self, body: list[str]) -> list[str]:
        """`Building configuration...`, `Current configuration : N bytes` (N: the size of what
        follows, the lab's own count), a blank line, then the text [X-RGS]."""
        size = len("\n".join(body).encode())
        return [BUILDING, f"Current configuration : {size} bytes", "", *body]

    def version_lines(self) -> list[str]:
        days, hours, minutes, seconds = self.uptime()
        start = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self.started))
        uptime = f"{days}:{hours}:{minutes}:{seconds}"  # [X-RGS `0:0:3:8`, NI `313:22:34:30`]
        return self.profile.show_version.format(model=self.model, start=start, uptime=uptime).split("\n")

    def vlan_table(self) -> list[str]:
        """`show vlan` [X-RGS]: members are the access ports of the VLAN and the trunks passing it."""
        lines = [
            f"{'VLAN':<4} {'Name':<32} {'Status':<9} {'Ports':<10}",
            f"{'-' * 4} {'-' * 32} {'-' * 9} {'-' * 35}",
        ]
        ports = [i for i in self.running.interfaces.values() if i.name.split()[0] in SHORT]
        for vid, sub in sorted(self.running.vlans.items()):
            name = next((line.split(" ", 1)[1] for line in sub if line.startswith("name ")), f"VLAN{vid:04d}")
            members = [self._short(i.name) for i in ports if vid in self._carries(i)]
            chunks = [", ".join(members[k : k + 4]) for k in range(0, len(members), 4)] or [""]
            lines.append(f"{vid:>4} {name:<32} {'STATIC':<9} {chunks[0]:<{SHOW_VLAN_WIDTH}}")
            lines += [" " * 48 + f"{chunk:<{SHOW_VLAN_WIDTH}}" for chunk in chunks[1:]]
        return lines

    @staticmethod
    def _carries(port: Interface) -> set[int]:
        if port.allowed is not None:
            return port.allowed
        access = next(
            (line.split()[-1] for line in port.lines if line.startswith("switchport access vlan ")), "1"
        )
        return {int(access)}

    @staticmethod
    def _short(name: str) -> str:
        kind, number = name.split(" ", 1)
        return SHORT[kind] + number


class RgosSession(SwitchSession):
    """`NAME>`, `NAME#`, `NAME(config)#`, `NAME(config-vlan)#`, `NAME(config-if-GigabitEthernet 0/1)#`."""

    device: RgosDevice
    DISPLAY = "show"
    MORE = MORE
    ERASE = ERASE

    def __init__(self, device: RgosDevice, session_id: int, username: str, *, scripted: bool = False) -> None:
        self.privileged = scripted or device.enable_secret is None
        super().__init__(device, session_id, username, scripted=scripted)

    def prompt(self) -> str:
        host = self.device.hostname
        if self.views:
            return f"{host}{self.views[-1].suffix}#"
        return host + ("#" if self.privileged else ">")

    def base_view(self) -> str:
        return ENABLE if self.privileged else USER

    def banner(self) -> list[str]:
        return [""]

    def error_lines(self, prompt: str, line: str, tokens: Sequence[Token], failure: Outcome) -> list[str]:
        """IOS-like: a caret only where input is invalid; an unknown first word, an incomplete or an
        ambiguous command get one line."""
        if failure.message == INCOMPLETE:
            return [INCOMPLETE_TEXT]
        if failure.message == AMBIGUOUS:
            return [AMBIGUOUS_TEXT.format(line=line.strip())]
        if failure.pos == 0 and failure.message == UNRECOGNIZED:
            return [UNKNOWN]
        return caret_lines(prompt, line, tokens, failure.pos, INVALID)

    def repeat(self, ask: Ask) -> str:
        return ask.text

    def vlan_suffix(self, vid: int) -> str:
        return "(config-vlan)"  # the same for every VLAN [X-RGP]

    def interface_suffix(self, name: str) -> str:
        return f"(config-if-{name})" if self.device.profile.named_if_prompt else "(config-if)"

    def unavailable(self, tokens: Sequence[Token]) -> list[str] | None:
        if self.views or self.privileged:
            return None
        return None if isinstance(self._match(ENABLE, tokens), Outcome) else [PRIVILEGE]


# ------------------------------------------------------------------------------------------- levels, views
def _enable(s: RgosSession, a: dict[str, Any]) -> Result:
    secret = s.device.enable_secret
    if s.privileged or secret is None:
        s.privileged = True
        return Result()

    def check(typed: str) -> Result:
        if typed != secret:
            raise Refused([BAD_SECRET])
        s.privileged = True
        return Result()

    return Result(ask=Ask(PASSWORD, check, "secret"))


def _disable(s: RgosSession, a: dict[str, Any]) -> Result:
    s.privileged = False
    return Result()


def _exit(s: RgosSession, a: dict[str, Any]) -> Result:
    kind = s.view.kind
    return Result(logout=kind in EXEC_VIEWS, to_user=kind == CONFIG, pop=kind not in (*EXEC_VIEWS, CONFIG))


def _end(s: RgosSession, a: dict[str, Any]) -> Result:
    return Result(to_user=True)


def _configure(s: RgosSession, a: dict[str, Any]) -> Result:
    return Result([CONFIG_NOTICE], enter=View(CONFIG, suffix="(config)"))


def _terminal(s: RgosSession, a: dict[str, Any]) -> Result:
    """`terminal length N` (0: no paging) and `terminal width N` (accepted, nothing to wrap)."""
    if a["what"] == "length":
        s.paging = a["n"]
    return Result()


def _mode(s: RgosSession, a: dict[str, Any]) -> Result:
    """Access is the default (no line); a new trunk allows every VLAN [RG-DOC]."""
    port = current_interface(s)
    trunk = a["kind"] == "trunk"
    if trunk == (port.allowed is not None):
        return Result()
    drop_lines(port.lines, "switchport mode ")
    port.allowed = set(ALL_VLANS) if trunk else None
    if trunk:
        put_line(port.lines, "switchport mode trunk", PORT_RANKS)
    return Result()


def _allowed(s: RgosSession, a: dict[str, Any]) -> Result:
    """`add`/`remove`/`only`/`except <list>`, `all`, and `no ...` (back to all) [RG-DOC, X-RGP]; `add`
    and `except` are unconfirmed by a transcript. Refused on a port that is not a trunk (unconfirmed)."""
    port = current_interface(s)
    if port.allowed is None:
        raise Refused([NOT_TRUNK.format(name=port.name)])
    port.allowed = _allowed_after(port.allowed, a.get("how", "all"), a.get("vlans", set()))
    return Result()


# ------------------------------------------------------------------------------------------- displays, write
def _show_running(s: RgosSession, a: dict[str, Any]) -> Result:
    """A blank line first, as in the capture [X-RGS]."""
    return Result(["", *s.device.shown(s.device.running_text().split("\n"))])


def _show_running_interface(s: RgosSession, a: dict[str, Any]) -> Result:
    """`show running-config interface X`: shaped like the whole display (unconfirmed)."""
    device = s.device
    iface = device.running.interfaces.get(a["name"])
    if iface is None:
        raise ParamError("name")
    return Result(device.shown([*device.separated([device.interface_section(iface)]), "end"]))


def _show_startup(s: RgosSession, a: dict[str, Any]) -> Result:
    """`show startup-config`: the saved file, shaped like `show running-config` (IOS's command;
    its name and header on RGOS are unconfirmed)."""
    return Result(["", *s.device.shown(s.device.saved_text().split("\n"))])


def _show_vlan(s: RgosSession, a: dict[str, Any]) -> Result:
    return Result(s.device.vlan_table())


def _write(s: RgosSession, a: dict[str, Any]) -> Result:
    """`write` / `write memory` from `#`: `Building configuration...` then `[OK]` (IOS's, unconfirmed)."""
    if s.device.faults.save_fails:
        raise Refused([BUILDING, WRITE_FAILED])
    s.device.save()
    return Result([BUILDING, WRITTEN])


_TYPES: dict[str, ParamParser] = {"if": interface_param(INTERFACE_TYPES, " "), "list": _vlan_list}
COMMANDS: tuple[Command[RgosSession], ...] = (
    command("enable", _enable, EXEC_VIEWS),
    command("disable", _disable, [ENABLE]),
    command("exit", _exit, [*EXEC_VIEWS, *CONFIG_VIEWS]),
    command("end", _end, CONFIG_VIEWS),
    command("configure terminal", _configure, [ENABLE]),
    command("terminal (what=length|width) <n:screen>", _terminal, EXEC_VIEWS),
    command("show version", show_version, EXEC_VIEWS),
    command("show running-config", _show_running, [ENABLE]),
    command("show running-config interface <name:if>", _show_running_interface, [ENABLE], types=_TYPES),
    command("show startup-config", _show_startup, [ENABLE]),
    command("show vlan", _show_vlan, EXEC_VIEWS),
    command("write [memory]", _write, [ENABLE]),
    *configuration_commands(
        top=CONFIG,
        undo="no",
        hostname="hostname",
        vlan_settings="name",
        ranks=(VLAN_RANKS, PORT_RANKS),
        refusals=(DEFAULT_VLAN_KEPT, VLAN_ABSENT),
        types=_TYPES,
    ),
    command("switchport mode (kind=access|trunk)", _mode, [PORT], config=True),
    command(
        f"{ALLOWED} (how=add|remove|only|except) <vlans:list>", _allowed, [PORT], config=True, types=_TYPES
    ),
    command(f"{ALLOWED} (how=all)", _allowed, [PORT], config=True),
    command(f"no {ALLOWED}", _allowed, [PORT], config=True),
)
RgosSession.COMMANDS = COMMANDS
RgosDevice.session_class = RgosSession
