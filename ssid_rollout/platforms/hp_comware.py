"""H3C/HPE Comware 5 and 7 access switches (`hp_comware`, and `hp_comware_telnet` over telnet).

Every entry cites docs/vendors.md by its source keys; what no source confirmed is a plain value
here, marked unconfirmed, so it can change in one place. The CLI is VRP-like: `<NAME>` user view,
`[NAME]` system view, `[NAME-vlan806]` / `[NAME-GigabitEthernet1/0/1]` sub-views (section 2),
`quit` and `return`, lines apply at once. Switch role only.
"""

from __future__ import annotations

import re
from functools import cache, partial

from ..parse_switches import parse_comware_config, parse_comware_version
from ..undo import SYSTEM, UndoRule, UndoTable
from .base import (
    CommitStrategy,
    Platform,
    Prompts,
    make_driver,
    question,
    register,
    telnet_form,
    whole_config,
)

# -- prompts (section 2) -------------------------------------------------------------------------
#: A firewall pair's prompt prefix, which Netmiko strips too [NM-COMWARE].
_HA = r"(?:RBM_.)?"
#: Login ends at a prompt alone on its line (the Comware 7 copyright box comes first [OXI]), or at
#: the banner question `Press Y or ENTER to continue, N to exit.` [NM-COMWARE, NMI#459].
LOGIN_RE = rf"(?:to continue, N to exit\.?|(?:^|\n){_HA}(?:<[^<>\r\n]+>|\[[^\[\]\r\n]+\])[ \t]*$)"


def base_prompt(line: str) -> str:
    """`<H3C>` -> `H3C`, `RBM_P[FW1]` -> `FW1` [NM-COMWARE set_base_prompt]."""
    return re.sub(r"^RBM_.", "", line.strip())[1:-1]


def prompt_re(base: str) -> re.Pattern[str]:
    """Every view's prompt: `<NAME>`, `[NAME]`, `[NAME-vlan806]`, `[NAME-GigabitEthernet1/0/1]`."""
    host = re.escape(base)
    return re.compile(rf"{_HA}(?:<{host}>|\[{host}(?:-[^\]\r\n]*)?\])")


def view_of(prompt: str) -> str:
    return re.sub(r"^RBM_.", "", prompt).strip("<>[]")


PROMPTS = Prompts(
    base=base_prompt,
    pattern=prompt_re,
    view=view_of,
    is_user=lambda prompt: re.sub(r"^RBM_.", "", prompt).startswith("<"),
    login=LOGIN_RE,
    password_change=("to continue, N to exit", "Y"),  # the banner question: the answer is unconfirmed
)

# -- answers (sections 6 and 7) ------------------------------------------------------------------
#: The caret messages [SCR-CW, SGO-CW, GN]; `Error:` variants [GN]. The answer to
#: `screen-length disable` on Comware 5 also starts with `%` and is no error [NI].
ERROR_RE = re.compile(
    r"^\s*%\s*(?:Error\s*:\s*)?(?:Unrecognized command|Incomplete command|Too many parameters|"
    r"Wrong parameter|Ambiguous command)[^\r\n]*$",
    re.M,
)
#: Refusals printed as sentences without `%` (unconfirmed texts, the lab's own but one [9776328062]).
FAILURE_TEXTS = (
    "Please set the link type of the port",
    "The default VLAN cannot be deleted",
    "Failed to save",
)
#: The `save` dialogue [NK, ARS, JG, X-HCL]: confirm, keep the file name (Enter), overwrite it.
QUESTIONS = (
    question("save", r"Are you sure\?\s*\[Y/N\]:?\s*$", "Y", "save"),
    question("save file name", r"press the enter key\):?\s*$", "", "save"),
    question("overwrite file", r"exists,\s*overwrite\?\s*\[Y/N\]:?\s*$", "Y", "save"),
)
ANY_QUESTION_RE = re.compile(r"(?:\[Y/N\]|\[y/n\]|\(Y/N\)):?\s*$")
#: `Saved the current configuration to mainboard device successfully.` / `Configuration is saved
#: to device successfully.` [X-HCL, ARS, NK, X-MSR].
SAVE_SUCCESS_RE = re.compile(r"successfully", re.I)

# -- displays (sections 5 and 8) -----------------------------------------------------------------
#: Read whole: the shape of `display current-configuration interface X` is unconfirmed (section 5).
WHOLE_CONFIG = "display current-configuration"


# -- interface names (section 9) -----------------------------------------------------------------
PORT_NAME = (
    r"(?:(?:GigabitEthernet|Ten-GigabitEthernet|Twenty-FiveGigE|FortyGigE|HundredGigE|M-GigabitEthernet"
    r"|Ethernet)\d{1,2}(?:/\d{1,3}){1,3}|(?:Bridge-Aggregation|Route-Aggregation)\d{1,4})"
)

# -- undo forms (sections 3 and 4) ---------------------------------------------------------------
PERMIT = "port trunk permit vlan"
UNDO = UndoTable(
    (
        # `vlan 806` creates the VLAN and enters its view; without sub-lines it may show only
        # inside a range line `vlan 801 to 806` (a VLAN list in effect).
        UndoRule(SYSTEM, r"vlan (?P<vlans>\d+(?: to \d+)?)", "undo vlan {vlans}", "vlan", vlans=True),
        UndoRule(SYSTEM, r"interface \S+", None),  # a port: a prerequisite, never removed
        UndoRule(
            r"interface \S+", rf"{PERMIT} (?P<vlans>.+)", f"undo {PERMIT} {{vlans}}", PERMIT, vlans=True
        ),
    ),
    vlan_list="vlan",
)


PLATFORM = register(
    Platform(
        name="hp_comware",
        driver=cache(partial(make_driver, "netmiko.hp.hp_comware", "HPComwareSSH", PROMPTS)),
        commit=CommitStrategy(),
        prompts=PROMPTS,
        undo=UNDO,
        hier_platform="HP_COMWARE5",
        templates="comware",
        roles=("switch",),
        lab_flavour="comware",
        paging="screen-length disable",  # [NM-COMWARE, SCR-CW, GN, OXI, ANS-H3C]
        error_re=ERROR_RE,
        questions=QUESTIONS,
        any_question_re=ANY_QUESTION_RE,
        save="save",
        save_success_re=SAVE_SUCCESS_RE,
        show_running=WHOLE_CONFIG,
        show_saved="display saved-configuration",
        show_version="display version",
        parse_version=parse_comware_version,
        runs=lambda version: version.vrp.startswith(("5.", "7.")),
        parse_config=parse_comware_config,
        config_reads=whole_config(WHOLE_CONFIG),
        interface_re=re.compile(PORT_NAME),
        interface_hint="GigabitEthernet1/0/1, Ten-GigabitEthernet1/0/49 or Bridge-Aggregation1",
        failure_texts=FAILURE_TEXTS,
        subview_re=re.compile(r"^vlan \d+$"),
        telnet="hp_comware_telnet",
    )
)
TELNET = register(
    telnet_form(
        PLATFORM,
        "hp_comware_telnet",
        cache(partial(make_driver, "netmiko.hp.hp_comware", "HPComwareTelnet", PROMPTS)),
    )
)
