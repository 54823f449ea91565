"""H3C/HPE Comware access switches (flavour `comware`, inventory platform `hp_comware`).

Follows docs/vendors.md (source keys in brackets) and the captures in tests/fixtures/real/hp_comware/.
Comware 5 and 7 differ in what a device prints, not in its commands: the release (from the model, or
given) decides the version texts, the `screen-length disable` answer, the save result lines, and how
a trunk shows VLAN 1. Texts marked *unconfirmed* have no source; they are the lab's own choice.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from ssid_rollout.lab.config import parse_vlan_items, vlan_items
from ssid_rollout.lab.context import Ask, Result, View
from ssid_rollout.lab.device import ERASE_MORE, MORE, Faults
from ssid_rollout.lab.grammar import (
    AMBIGUOUS,
    INCOMPLETE,
    TOO_MANY,
    UNRECOGNIZED,
    WRONG,
    Outcome,
    ParamError,
    Token,
    caret_lines,
)
from ssid_rollout.lab.switchcli import (
    ALL_VLANS,
    DEFAULT_VLAN,
    INTERFACE,
    PORT,
    VLAN,
    Command,
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

FLAVOUR = "comware"
USER, SYSTEM = "user", "system"
CONFIG_VIEWS = (SYSTEM, VLAN, PORT, INTERFACE)
EVERY_VIEW = (USER, *CONFIG_VIEWS)

SYSTEM_NOTICE = "System View: return to User View with Ctrl+Z."  # [JG, X-4800G]
#: The caret messages, each on the line after the `^` line [SCR-CW, GN tests]; the full texts of
#: `Wrong parameter` and `Ambiguous command` are unconfirmed (only their prefixes are sourced).
ERRORS = {
    UNRECOGNIZED: " % Unrecognized command found at '^' position.",
    INCOMPLETE: " % Incomplete command found at '^' position.",
    TOO_MANY: " % Too many parameters found at '^' position.",
    WRONG: " % Wrong parameter found at '^' position.",
    AMBIGUOUS: " % Ambiguous command found at '^' position.",
}
SCREEN_LENGTH_CW5 = "% Screen-length configuration is disabled for current user."  # [NI fixture]
YN_REPEAT = "Before pressing ENTER you must choose 'YES' or 'NO'[Y/N]:"  # [X-MSR]
SAVE_QUESTION = "The current configuration will be written to the device. Are you sure? [Y/N]:"  # [NK, JG]
FILE_QUESTION = (
    "Please input the file name(*.cfg)[{file}]\r\n"
    "(To leave the existing filename unchanged, press the enter key):"  # [NK, ARS, JG]
)
OVERWRITE_QUESTION = "{file} exists, overwrite? [Y/N]:"  # [NK, ARS]
BAD_FILE = "The file name is invalid(does not end with .cfg)."  # [JG]
#: A trunk (or hybrid) port asked to become hybrid (or trunk): HPE 5700 Comware 7 transcript
#: (search index id 9776328062; corroboration only, like the X-… sources).
ACCESS_FIRST = "Please set the link type of the port to access first."
#: Unconfirmed: the texts of these refusals (the lab's own, shaped like ACCESS_FIRST).
TRUNK_FIRST = "Please set the link type of the port to trunk first."
DEFAULT_VLAN_KEPT = "The default VLAN cannot be deleted."
VLAN_ABSENT = "The VLAN {vid} does not exist."
SAVE_FAILED = "Failed to save the current configuration to the device."
PERMIT = "port trunk permit vlan"
INTERFACE_TYPES = {
    "GigabitEthernet": r"\d+/\d+/\d+",
    "Ten-GigabitEthernet": r"\d+/\d+/\d+",
    "M-GigabitEthernet": r"\d+/\d+/\d+",
    "Bridge-Aggregation": r"\d+",
    "Vlan-interface": r"\d+",
    "LoopBack": r"\d+",
    "NULL": r"0",
}
#: Display order of interface types, as in the HP 5500EI configuration [IMC].
IF_ORDER = (
    "Bridge-Aggregation",
    "NULL",
    "LoopBack",
    "Vlan-interface",
    "M-GigabitEthernet",
    "GigabitEthernet",
    "Ten-GigabitEthernet",
)
#: Where a new sub-line goes: `port link-mode bridge`, description, link type (the trunk list
#: prints right after it), access VLAN, the rest [IMC, X-TRUNK7]; a VLAN's description before its name [IMC].
PORT_RANKS = (("port link-mode", 0), ("description", 10), ("port link-type", 20), ("port access vlan", 30))
VLAN_RANKS = (("description", 10), ("name", 20))
#: Uptime `0 week, 0 day, 0 hour, 1 minute` [ARS] but `367 weeks, 5 days` [NI]: plural above one.
_UNITS = ("week", "day", "hour", "minute")


@dataclass(frozen=True)
class Release:
    """What a Comware 5 or 7 access switch prints differently (docs/vendors.md sections 4, 5, 7, 8, 10)."""

    version: str  # `display version` numbers, also the configuration's ` version` line
    data_file: str
    vlan1_listed: bool  # CW5 lists VLAN 1 in the permit line [IMC]; CW7 prints `undo ... vlan 1` [X-TRUNK7]
    screen_length: tuple[str, ...]  # the answer to `screen-length disable`
    saving: str  # before the result of a save (the number of dots varies on devices)
    saved: tuple[str, ...]
    banner: tuple[str, ...]  # before the first prompt
    display_version: str  # template: {model} {version} {uptime} {slot_uptime}


#: Comware 7: the HPE 5130's `display version` and SSH banner [OXI simulation fixture] with H3C's names
#: (the H3C wording of both is unconfirmed); save lines [X-HCL]; `screen-length disable` silent [OXI].
CW7 = Release(
    version="7.1.070, Release 3507P18",
    data_file="switch_comware7.cfg",
    vlan1_listed=False,
    screen_length=(),
    saving="Validating file. Please wait...",
    saved=("Saved the current configuration to mainboard device successfully.",),
    banner=(
        "*" * 78,
        "* Copyright (c) 2004-2023 New H3C Technologies Co., Ltd. All rights reserved.*",
        "* Without the owner's prior written consent,                                 *",
        "* no decompiling or reverse-engineering shall be allowed.                    *",
        "*" * 78,
    ),
    display_version="""H3C Comware Software, Version {version}
Copyright (c) 2004-2023 New H3C Technologies Co., Ltd. All rights reserved.
H3C {model} uptime is {uptime}
Last reboot reason : Cold reboot

Boot image: flash:/s5130hi-cmw710-boot-r3507p18.bin
Boot image version: {version}
  Compiled Oct 12 2023 11:00:00
System image: flash:/s5130hi-cmw710-system-r3507p18.bin
System image version: {version}
  Compiled Oct 12 2023 11:00:00


Slot 1:
Uptime is {slot_uptime}
{model} with 1 Processor
BOARD TYPE:         {model}
DRAM:               1024M bytes
FLASH:              512M bytes
PCB 1 Version:      VER.B
Bootrom Version:    147
CPLD 1 Version:     002
Release Version:    H3C {model}-3507P18
Patch Version  :    None
Reboot Cause  :     ColdReboot
[SubSlot 0] 24GE+4SFP Plus""",
)
#: Comware 5: the S5120-52P-SI's `display version` and save lines [ARS], `screen-length disable`'s
#: answer [NI]; no login banner (unconfirmed).
CW5 = Release(
    version="5.20, Release 1513P81",
    data_file="switch_comware5.cfg",
    vlan1_listed=True,
    screen_length=(SCREEN_LENGTH_CW5,),
    saving=" Validating file. Please wait....",
    saved=(
        " Saved the current configuration to mainboard device successfully.",
        " Configuration is saved to device successfully.",
    ),
    banner=(),
    display_version="""H3C Comware Platform Software
Comware Software, Version {version}
Copyright (c) 2004-2013 Hangzhou H3C Tech. Co., Ltd. All rights reserved.
H3C {model} uptime is {uptime}

H3C {model}
128M    bytes DRAM
128M    bytes Nand Flash Memory
Config Register points to Nand Flash

Hardware Version is REV.A
CPLD Version is 002
Bootrom Version is 169
[SubSlot 0] 48GE+4SFP Hardware Version is REV.A""",
)
RELEASES = {"cw5": CW5, "cw7": CW7}
#: Known models' releases; any other model is a Comware 7 switch under its own name.
MODELS = {"S5120-52P-SI": "cw5", "S5130-28S-HI": "cw7"}


class ComwareDevice(SwitchDevice):
    """A Comware access switch. `release` ("cw5" / "cw7") overrides what the model implies."""

    flavour = FLAVOUR
    SEPARATOR = "#"
    TRUNK = "port link-type trunk"
    LIST_LINE = re.compile(r"(?:undo )?port trunk permit vlan ")
    HEADER = re.compile(r" version |return$")
    HOSTNAME = re.compile(r" sysname (\S+)$")
    IF_ORDER = IF_ORDER
    LOGICAL = frozenset({"Bridge-Aggregation", "Vlan-interface", "LoopBack"})
    ROUTED = frozenset({"Vlan-interface", "LoopBack", "NULL", "M-GigabitEthernet"})
    CONFIG_ENTRY = "system-view"
    STARTUP = "flash:/startup.cfg"  # [NK, ARS, JG]

    def __init__(
        self,
        name: str,
        model: str,
        *,
        release: str | None = None,
        faults: Faults | None = None,
        start_config: str | None = None,
        username: str = "netops",
    ) -> None:
        self.release = RELEASES[release or MODELS.get(model.upper(), "cw7")]
        super().__init__(name, model, faults=faults, start_config=start_config, username=username)

    def data_file(self) -> str:
        return self.release.data_file

    def read_allowed(self, list_lines: list[str]) -> set[int]:
        """CW5: the permit lines are the whole list (none: VLAN 1 only); CW7: VLAN 1 is permitted
        unless an `undo` line removes it, and the permit lines add the rest."""
        permitted: set[int] = set()
        removed: set[int] = set()
        for line in list_lines:
            undo = line.startswith("undo ")
            words = line.split()[4 + undo :]
            (removed if undo else permitted).update(
                ALL_VLANS if words == ["all"] else parse_vlan_items(words)
            )
        base = permitted if permitted and self.release.vlan1_listed else permitted | {DEFAULT_VLAN}
        return base - removed

    def trunk_lines(self, allowed: set[int]) -> list[str]:
        """Ascending, one space between items, runs of two or more as `a to b` [IMC, X-TRUNK7]; all
        VLANs as `all` [IMC]; one line however long (whether devices wrap it is unconfirmed)."""
        if allowed >= ALL_VLANS:
            return [f"{PERMIT} all"]
        if self.release.vlan1_listed:
            listed, undo = (set() if allowed == {DEFAULT_VLAN} else allowed), not allowed
        else:
            listed, undo = allowed - {DEFAULT_VLAN}, DEFAULT_VLAN not in allowed
        lines = [f"undo {PERMIT} {DEFAULT_VLAN}"] if undo else []
        return lines + ([f"{PERMIT} {' '.join(vlan_items(listed))}"] if listed else [])

    def vlan_ids(self, head: str) -> list[int] | None:
        found = re.fullmatch(r"vlan (\d+)(?: to (\d+))?", head)
        return list(range(int(found.group(1)), int(found.group(2) or found.group(1)) + 1)) if found else None

    def vlan_sections(self) -> list[list[str]]:
        """One section per VLAN; a run of VLANs with nothing configured in them is one `vlan a to b`
        section [IMC `vlan 2005 to 2010`] (that Comware 7 does the same is unconfirmed)."""
        vlans = self.running.vlans
        sections: list[list[str]] = []
        for named, group in groupby(sorted(vlans), key=lambda vid: bool(vlans[vid])):
            if named:
                sections += [[f"vlan {vid}", *(" " + line for line in vlans[vid])] for vid in group]
            else:
                sections += [[f"vlan {item}"] for item in vlan_items(group)]
        return sections

    def vlan_section(self, vid: int) -> list[str]:
        return [f"vlan {vid}", *(" " + line for line in self.running.vlans.get(vid, []))]

    def header_sections(self) -> list[list[str]]:
        return [[f" version {self.release.version}"], [f" sysname {self.running.hostname}"]]

    def running_text(self) -> str:
        """`display current-configuration`: `#` between sections, `return` last [IMC, NK]."""
        with self.lock:
            return "\n".join([*self.separated(self.sections()), "return"])

    def version_lines(self) -> list[str]:
        days, hours, minutes, _ = self.uptime()
        counts = (days // 7, days % 7, hours, minutes)
        parts = [f"{n} {unit}{'s' if n > 1 else ''}" for n, unit in zip(counts, _UNITS, strict=True)]
        text = self.release.display_version.format(
            model=self.model,
            version=self.release.version,
            uptime=", ".join(parts),
            slot_uptime=",".join(parts),
        )
        return text.split("\n")


class ComwareSession(SwitchSession):
    """`<NAME>` in user view, `[NAME]` in system view, `[NAME-vlan806]`, `[NAME-GigabitEthernet1/0/1]`."""

    device: ComwareDevice
    DISPLAY = "display"
    MORE = MORE  # `  ---- More ----`, erased with ESC[42D [GN, OXI]: the same as VRP's
    ERASE = ERASE_MORE

    def prompt(self) -> str:
        host = self.device.hostname
        return f"[{host}{self.views[-1].suffix}]" if self.views else f"<{host}>"

    def base_view(self) -> str:
        return USER

    def banner(self) -> list[str]:
        return [*self.device.release.banner, ""]

    def error_lines(self, prompt: str, line: str, tokens: Sequence[Token], failure: Outcome) -> list[str]:
        return caret_lines(prompt, line, tokens, failure.pos, ERRORS[failure.message])

    def repeat(self, ask: Ask) -> str:
        return YN_REPEAT

    def vlan_suffix(self, vid: int) -> str:
        return f"-vlan{vid}"

    def interface_suffix(self, name: str) -> str:
        return f"-{name}"


# ---------------------------------------------------------------------------------------------- views
def _system_view(s: ComwareSession, a: dict[str, Any]) -> Result:
    return Result([SYSTEM_NOTICE], enter=View(SYSTEM))


def _quit(s: ComwareSession, a: dict[str, Any]) -> Result:
    kind = s.view.kind
    return Result(logout=kind == USER, to_user=kind == SYSTEM, pop=kind not in (USER, SYSTEM))


def _return(s: ComwareSession, a: dict[str, Any]) -> Result:
    return Result(to_user=True)


def _screen_length(s: ComwareSession, a: dict[str, Any]) -> Result:
    s.paging = 0
    return Result(list(s.device.release.screen_length))


def _link_type(s: ComwareSession, a: dict[str, Any]) -> Result:
    """Access is the default (no line); trunk and hybrid only from access [ACCESS_FIRST's transcript]."""
    port = current_interface(s)
    kind = a.get("kind", "access")
    current = next((line.split()[-1] for line in port.lines if line.startswith("port link-type ")), "access")
    if kind == current:
        return Result()
    if "access" not in (kind, current):
        raise Refused([ACCESS_FIRST])
    drop_lines(port.lines, "port link-type ")
    drop_lines(port.lines, "port access vlan ")
    port.allowed = {DEFAULT_VLAN} if kind == "trunk" else None
    if kind != "access":
        put_line(port.lines, f"port link-type {kind}", PORT_RANKS)
    return Result()


def _trunk_vlans(s: ComwareSession, a: dict[str, Any]) -> tuple[set[int], set[int]]:
    """The port's VLAN set (the port must be a trunk) and the VLANs the line names."""
    allowed = current_interface(s).allowed
    if allowed is None:
        raise Refused([TRUNK_FIRST])
    return allowed, set(ALL_VLANS) if a["vlans"] == "all" else a["vlans"]


def _permit(s: ComwareSession, a: dict[str, Any]) -> Result:
    """Merges into the list [X-TRUNK7]; `{ a [ to b ] }&<1-10> | all` (ten items: unconfirmed)."""
    allowed, vlans = _trunk_vlans(s, a)
    allowed |= vlans
    return Result()


def _undo_permit(s: ComwareSession, a: dict[str, Any]) -> Result:
    allowed, vlans = _trunk_vlans(s, a)
    allowed -= vlans
    return Result()


# ---------------------------------------------------------------------------------------------- displays
def _display_current(s: ComwareSession, a: dict[str, Any]) -> Result:
    return Result(s.device.running_text().split("\n"))


def _display_saved(s: ComwareSession, a: dict[str, Any]) -> Result:
    return Result(s.device.saved_text().split("\n"))


def _display_interface(s: ComwareSession, a: dict[str, Any]) -> Result:
    """`display current-configuration interface [X]`: shaped like `display this` [X-VIEW] (unconfirmed)."""
    device = s.device
    name = a.get("name")
    if name is not None and name not in device.running.interfaces:
        raise ParamError("name")
    chosen = [device.running.interfaces[name]] if name else list(device.running.interfaces.values())
    return Result([*device.separated([device.interface_section(i) for i in chosen]), "return"])


def _display_this(s: ComwareSession, a: dict[str, Any]) -> Result:
    """`#`, the view's own section, `#`, `return` [X-VIEW]."""
    device = s.device
    key = s.view.path[0]
    section = (
        device.vlan_section(int(key))
        if s.view.kind == VLAN
        else device.interface_section(device.running.interfaces[key])
    )
    return Result([*device.separated([section]), "return"])


# ---------------------------------------------------------------------------------------------- save
def _save(s: ComwareSession, a: dict[str, Any]) -> Result:
    """`save`: Y/N, file name (Enter keeps the startup file), overwrite Y/N, then the result [NK, ARS,
    JG]; `save force` writes the startup file without a question [X-SF]. A name that is not the
    startup file becomes it (unconfirmed); a new file is written without the overwrite question
    (unconfirmed)."""
    device, release = s.device, s.device.release

    def write(file: str) -> Result:
        if device.faults.save_fails:
            raise Refused([release.saving, SAVE_FAILED])
        device.save(file)
        return Result([release.saving, *release.saved])

    def overwrite(file: str) -> Result:
        if file not in device.files:
            return write(file)
        return Result(
            ask=Ask(
                OVERWRITE_QUESTION.format(file=file), lambda reply: write(file) if reply == "y" else Result()
            )
        )

    def named(answer: str) -> Result:
        if not answer:
            return overwrite(device.startup)
        if not answer.lower().endswith(".cfg"):
            raise Refused([BAD_FILE])
        return overwrite(answer if ":" in answer else f"flash:/{answer}")

    if a.get("force"):
        return write(device.startup)
    file_question = Ask(FILE_QUESTION.format(file=device.startup), named, "text")
    return Result(
        ask=Ask(SAVE_QUESTION, lambda reply: Result(ask=file_question) if reply == "y" else Result())
    )


_IF = {"if": interface_param(INTERFACE_TYPES, "")}
COMMANDS: tuple[Command[ComwareSession], ...] = (
    command("system-view", _system_view, [USER]),
    command("quit", _quit, EVERY_VIEW),
    command("return", _return, CONFIG_VIEWS),
    command("screen-length disable", _screen_length, [USER]),
    *configuration_commands(
        top=SYSTEM,
        undo="undo",
        hostname="sysname",
        vlan_settings="name|description",
        ranks=(VLAN_RANKS, PORT_RANKS),
        refusals=(DEFAULT_VLAN_KEPT, VLAN_ABSENT),
        types=_IF,
    ),
    command("port link-type (kind=access|trunk|hybrid)", _link_type, [PORT], config=True),
    command("undo port link-type", _link_type, [PORT], config=True),
    command(f"{PERMIT} <vlans:vlans>", _permit, [PORT], config=True),
    command(f"{PERMIT} (vlans=all)", _permit, [PORT], config=True),
    command(f"undo {PERMIT} <vlans:vlans>", _undo_permit, [PORT], config=True),
    command(f"undo {PERMIT} (vlans=all)", _undo_permit, [PORT], config=True),
    command("display version", show_version, EVERY_VIEW),
    command("display current-configuration", _display_current, EVERY_VIEW),
    command("display current-configuration interface [<name:if>]", _display_interface, EVERY_VIEW, types=_IF),
    command("display saved-configuration", _display_saved, EVERY_VIEW),
    command("display this", _display_this, [VLAN, PORT, INTERFACE]),
    command("save", _save, EVERY_VIEW),
    command("save (force=force)", _save, EVERY_VIEW),
)
ComwareSession.COMMANDS = COMMANDS
ComwareDevice.session_class = ComwareSession
