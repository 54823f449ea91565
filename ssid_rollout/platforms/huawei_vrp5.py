"""Huawei VRP5 (`huawei`): S-series switches, ME60 V600-era BRAS and WS6603 ACs; lines apply at once.

Every entry cites huawei-vrp-cli.md (sections 1-9), which names its sources; what no source
confirmed is a plain value here, so it can change in one place. VRPv8 (`huawei_vrpv8`) is this
platform with another commit life cycle (huawei_vrpv8.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache, partial

from ..model import Section
from ..parse import parse_config, parse_version
from ..undo import SYSTEM, UndoRule, UndoTable
from .base import CommitStrategy, Platform, Prompts, make_driver, question, register, telnet_form

# -- prompts (section 2) ------------------------------------------------------------------------
#: Login ends at a prompt alone on its line, so a `]` or `>` in a banner does not end it early.
LOGIN_RE = r"(?:Change now|Please choose|(?:^|\n)(?:<[^<>\r\n]+>|\[[^\[\]\r\n]+\])[ \t]*$)"


def base_prompt(line: str) -> str:
    """`<R1>` -> `R1`; a firewall's `HRP_A<FW1>` -> `FW1` (section 1, set_base_prompt)."""
    return re.sub(r"^HRP_.", "", line.strip())[1:-1].lstrip("~*")


def prompt_re(base: str) -> re.Pattern[str]:
    """Prompts of every view of a host: `<R1>`, `[R1]`, `[~R1-aaa]`, `[*R1-Eth-Trunk5.807-bas]`."""
    host = re.escape(base)
    return re.compile(rf"(?:<{host}>|\[[~*]?{host}(?:-[^\]\r\n]*)?\])")


def view_of(prompt: str) -> str:
    """A prompt without brackets and the VRPv8 commit marker, so views compare across markers."""
    return prompt.strip("<>[]").lstrip("~*")


PROMPTS = Prompts(
    base=base_prompt,
    pattern=prompt_re,
    view=view_of,
    is_user=lambda prompt: prompt.startswith("<"),
    login=LOGIN_RE,
    password_change=("Change now", "N"),
)

# -- answers (sections 1, 3, 4 and 9) -----------------------------------------------------------
#: Lines that report a refused command (section 3: the spacing varies).
ERROR_RE = re.compile(r"^\s*Error\s*:.*$", re.M)
QUESTIONS = (
    question(
        "save file name",
        r"Please input the file name\(\*\.cfg, \*\.zip, \*\.dat\):\s*$",
        "vrpcfg.zip",
        "save",
    ),
    question(
        "save to card", r"Are you sure to save the configuration to \S+\s*\?\s*\[Y/N\]:?\s*$", "y", "save"
    ),
    question("overwrite file", r"exists,\s*overwrite\?\s*\[Y/N\]:?\s*$", "y", "save"),
    question("save", r"(?:Are you sure to continue|Continue)\s*\?\s*\[Y/N\]:?\s*$", "y", "save"),
    question("delete shared key", r"delete the shared key\s*\?\s*\[Y/N\]:?\s*$", "y", "undo"),
    question(
        "delete vlan",
        r"configurations of the VLAN will be deleted\..*Continue\?\s*\[Y/N\]:?\s*$",
        "y",
        "undo",
    ),
    question("uncommitted on exit", r"\[Y\(yes\)/N\(no\)/C\(cancel\)\]:?\s*$", "c", "never"),
)
#: Anything else that waits for an answer; answered "N" and the host fails with its text.
ANY_QUESTION_RE = re.compile(r"(?:\[Y/N\]|\[y/n\]|\(Y/N\)|\[Y\(yes\)/N\(no\)/C\(cancel\)\]):?\s*$")
#: A save is only a save when the device says so (section 9).
SAVE_SUCCESS_RE = re.compile(r"successfully", re.I)

# -- displays (section 2) -----------------------------------------------------------------------
#: The whole running configuration: what a verify reads when no smaller display covers a view.
WHOLE_CONFIG = "display current-configuration"


def config_reads(sections: Iterable[Section]) -> tuple[str, ...]:
    """Displays that show every view `sections` live in, and little else.

    Confirmed forms only: `display current-configuration interface <if>` for an interface, the
    `| include ^<word>` filter for system-view lines (`^vlan` also shows `vlan-mapping`, so the
    longer word is not read twice). Any other view (aaa, radius-server group ...) needs the whole
    configuration: the `configuration <type>` variant would show one, but its keywords are
    unconfirmed.
    """
    words: set[str] = set()
    interfaces: dict[str, None] = {}
    for section in sections:
        if not section.path:
            words.update(line.split()[0] for line in section.lines)
        elif section.path[0].startswith("interface "):
            interfaces[section.path[0]] = None
        else:
            return (WHOLE_CONFIG,)
    shortest = sorted(w for w in words if not any(w != o and w.startswith(o) for o in words))
    reads = [f"{WHOLE_CONFIG} | include ^{word}" for word in shortest]
    return (*reads, *(f"{WHOLE_CONFIG} {name}" for name in interfaces)) or (WHOLE_CONFIG,)


# -- interface names (the inventory checks them) -------------------------------------------------
#: S-series, CloudEngine-based S-series and ME60 forms: `GigabitEthernet0/0/1`, `XGigabitEthernet0/0/1`,
#: `10GE1/0/13`, `25GE1/0/1`, `40GE1/0/1`, `100GE1/0/1`, `MultiGE1/0/1`, `Ethernet0/0/1`, `Eth-Trunk5`.
PORT_NAME = (
    r"(?:(?:GigabitEthernet|XGigabitEthernet|MultiGE|10GE|25GE|40GE|100GE|200GE|400GE|Ethernet)"
    r"\d{1,2}/\d{1,2}/\d{1,3}|Eth-Trunk\d{1,3})"
)

# -- undo forms (sections 2 and 6; NE40E V800R012C10 command reference) ------------------------
GROUP = r"radius-server group \S+"
AAA = "aaa"
DOMAIN = r"domain \S+"
ACL = r"acl number \d+"
INTERFACE = r"interface \S+"
BAS = "bas"

UNDO = UndoTable(
    (
        # system view: switch and AC
        UndoRule(
            SYSTEM,
            r"vlan batch (?P<vlans>.+)",
            "undo vlan batch {vlans}",
            "vlan batch",
            asks=True,
            vlans=True,
        ),
        UndoRule(SYSTEM, r"interface (?P<name>\S+\.\d+)", "undo interface {name}", removes_section=True),
        UndoRule(SYSTEM, r"interface \S+", None),  # a physical port or trunk: a prerequisite, never removed
        UndoRule(SYSTEM, r"ess name \S+ id (?P<id>\d+) .+", "undo ess id {id}", removes_section=True),
        UndoRule(
            SYSTEM,
            r"vlan-mapping ess id (?P<id>\d+) mode (?P<mode>\S+)",
            "undo vlan-mapping ess id {id} mode {mode}",
            "vlan-mapping ess id {id} mode",
        ),
        UndoRule(
            SYSTEM,
            r"vlan-mapping ess id (?P<id>\d+) type tag region (?P<region>\d+) vlan \d+",
            "undo vlan-mapping ess id {id} type tag region {region}",
        ),
        UndoRule(
            SYSTEM,
            r"vap ap (?P<ap>\d+) radio (?P<radio>\d+) ess id \d+ wlan (?P<wlan>\d+)",
            "undo vap ap {ap} radio {radio} wlan {wlan}",
        ),
        # system view: BRAS
        UndoRule(SYSTEM, r"web-auth-server (?P<ip>\S+)(?: .*)?", "undo web-auth-server {ip}"),
        UndoRule(
            SYSTEM,
            r"radius-server group (?P<group>\S+)",
            "undo radius-server group {group}",
            removes_section=True,
        ),
        UndoRule(SYSTEM, AAA, None),  # holds every domain and scheme; never removed
        UndoRule(SYSTEM, r"acl number (?P<number>\d+)", "undo acl number {number}", removes_section=True),
        # RADIUS group (a group points at one authentication and one accounting server)
        UndoRule(
            GROUP,
            r"radius-server (?P<kind>authentication|accounting) (?P<ip>\S+) (?P<port>\d+)(?: .*)?",
            "undo radius-server {kind} {ip} {port}",
            "radius-server {kind}",
        ),
        UndoRule(
            GROUP,
            r"radius-server (?P<form>shared-key|shared-key-cipher) .+",
            "undo radius-server {form}",
            "radius-server shared-key",
            asks=True,
            secret=True,
        ),
        UndoRule(GROUP, r"radius-server class-as-car(?: .*)?", "undo radius-server class-as-car"),
        UndoRule(
            GROUP,
            r"undo radius-server user-name domain-included",
            "radius-server user-name domain-included",
            "radius-server user-name",
        ),
        # AAA and domains
        UndoRule(AAA, r"domain (?P<name>\S+)", "undo domain {name}", removes_section=True),
        UndoRule(DOMAIN, r"authentication-scheme \S+", "undo authentication-scheme"),
        UndoRule(DOMAIN, r"accounting-scheme \S+", "undo accounting-scheme"),
        UndoRule(DOMAIN, r"radius-server group \S+", "undo radius-server group"),
        UndoRule(DOMAIN, r"ip-pool (?P<pool>\S+)", "undo ip-pool {pool}"),  # a domain may bind several pools
        UndoRule(
            DOMAIN, r"user-group (?P<group>\S+)", "undo user-group {group}", "user-group"
        ),  # one group only
        UndoRule(DOMAIN, r"web-server \d+\.\d+\.\d+\.\d+(?: .*)?", "undo web-server"),
        UndoRule(DOMAIN, r"web-server url \S+(?: .*)?", "undo web-server url"),
        UndoRule(DOMAIN, r"web-server url-parameter(?: .*)?", "undo web-server url-parameter"),
        # NE documents only `undo web-server mode post` (get is the default): unconfirmed for get.
        UndoRule(
            DOMAIN, r"web-server mode (?P<mode>get|post)", "undo web-server mode {mode}", "web-server mode"
        ),
        UndoRule(DOMAIN, r"web-server redirect-key (?P<name>\S+) .+", "undo web-server redirect-key {name}"),
        # whitelist ACL
        UndoRule(ACL, r"rule (?P<id>\d+) .+", "undo rule {id}"),
        # interfaces
        UndoRule(INTERFACE, r"description .+", "undo description"),
        UndoRule(
            INTERFACE, r"user-vlan (?P<vlan>\d+(?: \d+)?)(?: .*)?", "undo user-vlan {vlan}", "user-vlan"
        ),
        UndoRule(INTERFACE, BAS, "undo bas", removes_section=True),
        UndoRule(
            INTERFACE,
            r"port trunk allow-pass vlan (?P<vlans>.+)",
            "undo port trunk allow-pass vlan {vlans}",
            "port trunk allow-pass vlan",
            vlans=True,
        ),
        UndoRule(BAS, r"access-type .+", "undo access-type"),
        UndoRule(BAS, r"roam-domain \S+", "undo roam-domain"),
        UndoRule(BAS, r"authentication-method .+", "undo authentication-method"),
    )
)


@cache
def driver() -> type:
    """Netmiko's Huawei class with the session's prompt-driven login (no fixed waits)."""
    from netmiko.huawei.huawei import HuaweiSSH

    from ..login import FastLogin

    return type("FastHuaweiSSH", (FastLogin, HuaweiSSH), {"prompts": PROMPTS})


PLATFORM = register(
    Platform(
        name="huawei",
        driver=driver,
        commit=CommitStrategy(),
        prompts=PROMPTS,
        undo=UNDO,
        hier_platform="HUAWEI_VRP",
        templates="huawei",
        roles=("switch", "bras", "ac"),
        lab_flavour="vrp5",
        paging="screen-length 0 temporary",  # `temporary`, not `temporary-mode` (section 1)
        error_re=ERROR_RE,
        questions=QUESTIONS,
        any_question_re=ANY_QUESTION_RE,
        save="save",
        save_success_re=SAVE_SUCCESS_RE,
        show_running=WHOLE_CONFIG,
        show_saved="display saved-configuration",
        show_version="display version",
        parse_version=parse_version,
        runs=lambda version: not version.vrp.startswith("8."),
        parse_config=parse_config,
        config_reads=config_reads,
        interface_re=re.compile(PORT_NAME),
        interface_hint="GigabitEthernet0/0/1, XGigabitEthernet0/0/1, 10GE1/0/13 or Eth-Trunk1",
        failure_texts=("Failed to", "failed to commit"),
        asking_re=re.compile(r"^undo (?:radius-server shared-key|vlan)\b"),
        telnet="huawei_telnet",
    )
)
#: The same CLI over telnet (Netmiko's HuaweiTelnet; its login dialogue: research-huawei-reach.md).
TELNET = register(
    telnet_form(
        PLATFORM,
        "huawei_telnet",
        cache(partial(make_driver, "netmiko.huawei.huawei", "HuaweiTelnet", PROMPTS)),
    )
)
