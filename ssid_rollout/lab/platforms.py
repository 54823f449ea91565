"""What each simulated model says about itself (`display version`, configuration header, login text).

Formats follow the NTC huawei_vrp display_version fixtures (huawei-vrp-cli.md, source NTC): VRP5
boxes print `Version 5.1x0 (<product> <release>)`, VRPv8 boxes `Version 8.180`. The ME60 and WS6603
release strings are ours (unconfirmed), chosen to match their VRP generation.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    vrp: str  # VRP version printed by display version, e.g. "5.170"
    release: str  # product release, also the `!Software Version` header
    product: str  # product name inside the parentheses
    board: str  # chassis name after "HUAWEI"
    kind: str  # words between the chassis and "uptime" ("Routing Switch", "" for routers)
    copyright: str


_PLATFORMS = {
    ("S5720", "vrp5"): Platform(
        "5.170",
        "V200R011C10SPC600",
        "S5720",
        "S5720-28X-SI-AC",
        "Routing Switch",
        "Copyright (C) 2000-2018 HUAWEI TECH CO., LTD",
    ),
    ("ME60", "vrp5"): Platform(
        "5.160",
        "V600R008C10SPC300",
        "ME60",
        "ME60-X8",
        "",
        "Copyright (C) 2000-2017 HUAWEI TECH CO., LTD",
    ),
    ("ME60", "vrpv8"): Platform(
        "8.180",
        "V800R011C10SPC100",
        "ME60",
        "ME60-X8A",
        "",
        "Copyright (C) 2012-2019 Huawei Technologies Co., Ltd.",
    ),
    ("WS6603", "vrp5"): Platform(
        "5.130",
        "V200R002C00SPC300",
        "WS6603",
        "WS6603",
        "Wireless Access Controller",
        "Copyright (C) 2000-2014 HUAWEI TECH CO., LTD",
    ),
}
#: Unknown models: VRP version, release and copyright of their generation, under their own name.
_GENERIC = {
    "vrp5": ("5.170", "V200R019C10SPC500", "Copyright (C) 2000-2020 HUAWEI TECH CO., LTD"),
    "vrpv8": ("8.180", "V800R011C10SPC100", "Copyright (C) 2012-2019 Huawei Technologies Co., Ltd."),
}


def platform(model: str, flavour: str) -> Platform:
    """The model's platform; an unknown model gets its flavour's generic one under its own name."""
    found = _PLATFORMS.get((model.upper(), flavour))
    if found:
        return found
    vrp, release, notice = _GENERIC[flavour]
    return Platform(vrp, release, model, model, "", notice)


def version_lines(p: Platform, flavour: str, uptime_s: float) -> list[str]:
    minutes = int(uptime_s // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    chassis = " ".join(w for w in ("HUAWEI", p.board, p.kind) if w)
    lines = [
        "Huawei Versatile Routing Platform Software",
        f"VRP (R) software, Version {p.vrp} ({p.product} {p.release})",
        p.copyright,
    ]
    if flavour == "vrpv8":
        uptime = f"{days} days, {hours} hour{'s' if hours != 1 else ''}, {mins} minutes"
        return [*lines, f"{chassis} uptime is {uptime}", "", f"{p.board} version information:"]
    weeks, days = divmod(days, 7)
    uptime = f"{weeks} weeks, {days} days, {hours} hours, {mins} minutes"
    return [
        *lines,
        f"{chassis} uptime is {uptime}",
        "",
        f"MPU 0(Master) : uptime is {uptime}",
        "SDRAM Memory Size    : 1024    M bytes",
        "Flash 0 Memory Size  : 512     M bytes",
        "MPU version information :",
        "1. PCB      Version  : VER.B",
        f"2. Board    Type     : {p.board}",
    ]
