"""Huawei VRPv8 (`huawei_vrpv8`): NE40E/ME60 V800-era BRAS and CloudEngine; a two-stage commit.

The same CLI as VRP5 (huawei_vrp5.py) but lines go to a candidate: stage, `commit trial <s>
description <change-id>`, verify, then confirm with `commit`; a failure is discarded with
`clear configuration candidate` or `abort trial` (huawei-vrp-cli.md section 4). Netmiko's
`commit(comment=...)` sends a keyword VRPv8 does not have and checks no `Error:` line: not used.
The push holds `configuration exclusive` so that no other session commits into the change
(docs/research-vrpv8-lock.md).
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import replace
from functools import cache
from typing import TYPE_CHECKING

from ..errors import DeviceError
from .base import CommitStrategy, Terminal, register
from .huawei_vrp5 import PLATFORM as VRP5
from .huawei_vrp5 import PROMPTS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..model import Section


class TrialCommit(CommitStrategy):
    """Staged lines take effect together at `commit trial`, and revert by themselves unless confirmed."""

    atomic = True
    describe = "two-stage: staged, `commit trial`, verified, then `commit`"
    commit_step = "commit trial"

    def commit(self, s: Terminal, description: str, seconds: int) -> None:
        s.commit(f"commit trial {seconds} description {description}")

    def confirm(self, s: Terminal) -> None:
        s.commit("commit")

    def discard(self, s: Terminal, committed: bool) -> None:
        s.commit("abort trial" if committed else "clear configuration candidate")

    def restore(self, s: Terminal, sections: Sequence[Section]) -> None:
        s.configure(sections, context="undo")
        s.commit("commit")

    def end_stale(self, s: Terminal) -> None:
        with contextlib.suppress(DeviceError):
            s.commit("abort trial")


@cache
def driver() -> type:
    """Netmiko's VRPv8 class (it stays in system view after sending) with the prompt-driven login."""
    from netmiko.huawei.huawei import HuaweiVrpv8SSH

    from ..login import FastLogin

    return type("FastHuaweiVrpv8SSH", (FastLogin, HuaweiVrpv8SSH), {"prompts": PROMPTS})


PLATFORM = register(
    replace(
        VRP5,
        name="huawei_vrpv8",
        driver=driver,
        commit=TrialCommit(),
        lab_flavour="vrpv8",
        runs=lambda version: version.vrp.startswith("8."),
        subview_re=re.compile(r"^user-vlan \d+"),
        config_lock=("configuration exclusive", "undo configuration exclusive"),
        telnet=None,  # Netmiko has no VRPv8 telnet class, and the tool no telnet trial commit
    )
)
