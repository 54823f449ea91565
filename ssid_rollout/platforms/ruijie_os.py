"""Ruijie RGOS access switches (`ruijie_os`, and `ruijie_os_telnet` over telnet).

Every entry cites docs/vendors.md by its source keys; what no source confirmed is a plain value
here, marked unconfirmed. RGOS is IOS-like (section 2): `NAME>` / `NAME#`, `configure terminal`
to `NAME(config)#`, `NAME(config-vlan)#`, `NAME(config-if-GigabitEthernet 0/1)#` (RGOS 11/12) or
`NAME(config-if)#` (RGOS 10), `exit` one level, `end` back to `#`; lines apply at once; `write`
saves. Its trunk list is the one VLAN setting shown in another form than it is typed: we type
`switchport trunk allowed vlan add 806`, the device shows `... allowed vlan only <list>`, or no
line at all for a trunk that carries every VLAN (section 4); the undo table says so. The tool
has no enable secret: a login that lands at `NAME>` cannot configure (check says so).
"""

from __future__ import annotations

import re
from functools import cache, partial

from ..parse_switches import parse_rgos_config, parse_rgos_version
from ..undo import SYSTEM, UndoRule, UndoTable, VlanOp
from ..values import ALL_VLANS, VlanSyntax
from .base import CommitStrategy, Platform, Prompts, make_driver, register, telnet_form, whole_config

# -- prompts (section 2) -------------------------------------------------------------------------
#: A host name as scrapligo's RGOS prompts allow it [SGO-RJ].
_NAME = r"[\w.\-@/:]{1,63}"
#: The SSH login's first question [NM-RUIJIE] (its full text is unconfirmed), or a prompt alone on its line.
PASSWORD_CHANGE = "Do you want to change the password"
LOGIN_RE = rf"(?:{PASSWORD_CHANGE}|(?:^|\n){_NAME}[>#][ \t]*$)"
_MODE = re.compile(r"\(([^()\r\n]*)\)[>#]$")


def base_prompt(line: str) -> str:
    """`Ruijie#` -> `Ruijie`, `Ruijie(config)#` -> `Ruijie` [NMB set_base_prompt]."""
    return re.sub(r"(?:\([^()]*\))?[>#]$", "", line.strip())


def prompt_re(base: str) -> re.Pattern[str]:
    """`NAME>`, `NAME#`, `NAME(config)#`, `NAME(config-if-GigabitEthernet 0/1)#`, `NAME(config-vlan)#`."""
    return re.compile(rf"{re.escape(base)}(?:\(config[^()\r\n]*\))?[>#]")


def view_of(prompt: str) -> str:
    """The mode in parentheses (`config`, `config-if-GigabitEthernet 0/1`, `config-vlan`); "" at exec.
    Every configuration mode starts with `config`, so nested views start with their parent's."""
    found = _MODE.search(prompt)
    return found.group(1) if found else ""


PROMPTS = Prompts(
    base=base_prompt,
    pattern=prompt_re,
    view=view_of,
    is_user=lambda prompt: not view_of(prompt),
    login=LOGIN_RE,
    password_change=(PASSWORD_CHANGE, "n"),  # Netmiko answers `n` [NM-RUIJIE]
    system=lambda base: "config",
    enter_system="configure terminal",
    leave_view="exit",
    to_user="end",
)

# -- answers (sections 6 and 7) ------------------------------------------------------------------
#: Refusals start with `%`: `% Invalid input detected`, `% Incomplete command`, `% Ambiguous
#: command`, `% Unknown command` (prefixes [SGO-RJ]), the privilege message [NMI#2538]; semantic
#: refusals in the same form are unconfirmed.
ERROR_RE = re.compile(r"^[ \t]*%[^\r\n]*$", re.M)
#: IOS's confirmation forms; RGOS asks nothing the service's lines cause (unconfirmed).
ANY_QUESTION_RE = re.compile(r"(?:\[Y/N\]|\[y/n\]|\[yes/no\]|\(y/n\)|\[confirm\]):?\s*$")
#: `write` prints `Building configuration...` then `[OK]` (IOS's texts, unconfirmed for RGOS).
SAVE_SUCCESS_RE = re.compile(r"^\s*\[OK\]", re.M)

# -- displays (sections 5 and 8) -----------------------------------------------------------------
#: Read whole: `show running-config interface X` is unconfirmed (section 5).
WHOLE_CONFIG = "show running-config"


# -- interface names (section 9) -----------------------------------------------------------------
#: Type, one space, number: `GigabitEthernet 0/1`, `GigabitEthernet 1/0/25` (stack), `AggregatePort 1`.
PORT_NAME = (
    r"(?:(?:FastEthernet|GigabitEthernet|TenGigabitEthernet|TFGigabitEthernet|TwentyFiveGigabitEthernet"
    r"|FortyGigabitEthernet|HundredGigabitEthernet) \d{1,2}(?:/\d{1,3}){1,2}|AggregatePort \d{1,4})"
)

# -- undo forms (sections 3 and 4) ---------------------------------------------------------------
#: `10,20,800-810` [RG-DOC, X-RGW].
RGOS_VLANS = VlanSyntax(separator=",", range_word="-")
ALLOWED = "switchport trunk allowed vlan"
INTERFACE = r"interface .+"


def _list_rule(forward: str, undo: str | None, op: VlanOp = "add") -> UndoRule:
    """A trunk list line: a trunk without one carries every VLAN; VLANs are added back with `add`."""
    return UndoRule(
        INTERFACE, f"{ALLOWED} {forward}", undo, ALLOWED, vlans=True, vlan_op=op, absent=ALL_VLANS,
        adds=f"{ALLOWED} add {{vlans}}",
    )  # fmt: skip


UNDO = UndoTable(
    (
        # `vlan 806` enters `(config-vlan)`; `no vlan 806` is unconfirmed by a transcript (section 3)
        UndoRule(SYSTEM, r"vlan (?P<vlans>\d+)", "no vlan {vlans}", "vlan", vlans=True),
        UndoRule(SYSTEM, r"vlan range (?P<vlans>\S+)", None, "vlan", vlans=True),  # RGOS 12 [X-RGW]
        UndoRule(SYSTEM, INTERFACE, None),  # a port: a prerequisite, never removed
        # what we type, and its undo [RG-DOC `remove`]
        _list_rule(r"add (?P<vlans>\S+)", f"{ALLOWED} remove {{vlans}}"),
        # what the device shows [X-RGW `only`], and forms read but never sent
        _list_rule(r"only (?P<vlans>\S+)", None, "only"),
        _list_rule(r"(?P<vlans>all)", None, "only"),
        _list_rule(r"remove (?P<vlans>\S+)", None, "remove"),
        _list_rule(r"except (?P<vlans>\S+)", None, "except"),
    ),
    vlans=RGOS_VLANS,
    vlan_list="vlan",
)


PLATFORM = register(
    Platform(
        name="ruijie_os",
        driver=cache(partial(make_driver, "netmiko.ruijie.ruijie_os", "RuijieOSSSH", PROMPTS)),
        commit=CommitStrategy(),
        prompts=PROMPTS,
        undo=UNDO,
        hier_platform="CISCO_IOS",
        templates="rgos",
        roles=("switch",),
        lab_flavour="rgos",
        paging="terminal length 0",  # [NM-RUIJIE, SGO-RJ, OXI]
        prepare=("terminal width 256",),  # [NM-RUIJIE]
        error_re=ERROR_RE,
        questions=(),
        any_question_re=ANY_QUESTION_RE,
        save="write",  # from `NAME#` only [NM-RUIJIE, NMB]
        save_success_re=SAVE_SUCCESS_RE,
        show_running=WHOLE_CONFIG,
        show_saved="show startup-config",  # IOS's name (unconfirmed for RGOS)
        show_version="show version",
        show_anywhere=False,  # IOS needs `do` in configuration modes; RGOS: unconfirmed, so from `#`
        parse_version=parse_rgos_version,
        runs=lambda version: re.match(r"1[0-2]\.", version.vrp) is not None,
        parse_config=parse_rgos_config,
        config_reads=whole_config(WHOLE_CONFIG),
        interface_re=re.compile(PORT_NAME),
        interface_hint="GigabitEthernet 0/1, TenGigabitEthernet 0/49 or AggregatePort 1 (with the space)",
        subview_re=re.compile(r"^vlan \d+$"),
        telnet="ruijie_os_telnet",
        trunk_mode="switchport mode trunk",
    )
)
TELNET = register(
    telnet_form(
        PLATFORM,
        "ruijie_os_telnet",
        cache(partial(make_driver, "netmiko.ruijie.ruijie_os", "RuijieOSTelnet", PROMPTS)),
    )
)
