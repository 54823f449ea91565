"""What a run may be asked to do, and the edge check of every value the operator types.

A value typed on the command line can reach a device (the change id is the VRPv8 commit
description) or a path (the change id names the run folder). Each one is checked here, before
anything is read or sent, and refused with one line naming the option (exit 2).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InputError
from .i18n import _

ON_FAILURE = ("rollback-site", "keep")
#: VRPv8's `commit ... description` takes 1-60 characters; the id also names the run folder.
CHANGE_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,59}")
REASON_MAX = 200


@dataclass
class Options:
    """Everything the CLI can set; the same names as its options."""

    hosts: Sequence[str] = ()
    groups: Sequence[str] = ()
    sites: Sequence[str] = ()
    departments: Sequence[str] = ()
    workers: int = 20
    shared_radius_key: bool = False
    rotate_key: bool = False
    runs_dir: Path | None = None
    change_id: str | None = None
    on_failure: str = "rollback-site"
    wave_size: int | None = None
    canary: int | None = None
    canary_sites: Sequence[str] = ()  # the sites of the canary wave (instead of the first N)
    max_fail_percent: float = 20.0
    trial_seconds: int = 300
    allow_unsaved: bool = False
    partial_site: bool = False
    approve_sites: Sequence[str] = ()
    approved_by: str | None = None  # who approved the special sites in approve_sites (recorded)
    timeout: float = 60.0
    window: str | None = None  # HH:MM-HH:MM; else the inventory's data.window
    timezone: str | None = None
    force: bool = False
    reason: str | None = None
    resume: Path | None = None  # continue a run folder (push --resume DIR)
    confirm: Callable[[str], bool] | None = None  # asked after the canary wave; None = go on
    processes: int | None = None  # worker processes for a push; None = by fleet size and CPUs
    cluster: str | None = None  # a Dask scheduler (tcp:// or tls://HOST:PORT); None: SSID_ROLLOUT_CLUSTER
    accept_new_host_key: Sequence[str] = ()  # hosts whose changed SSH key / identity is accepted
    processors: Sequence[Any] = ()  # Nornir processors, e.g. ssid_rollout.progress.Progress


def change_id(value: str) -> str:
    """A change id: it is typed into VRPv8 and names a folder, so nothing but its own alphabet."""
    if not CHANGE_ID_RE.fullmatch(value):
        raise InputError(
            "--change-id",
            _(
                "{value} is not a change id: 1-60 characters of A-Z a-z 0-9 _ . : -, "
                "starting with a letter or digit"
            ).format(value=_shown(value)),
        )
    return value


def free_text(value: str, flag: str, max_chars: int = REASON_MAX) -> str:
    """Recorded text (a reason): any language, no control characters, bounded."""
    if not value.strip():
        raise InputError(flag, _("must not be empty"))
    if len(value) > max_chars:
        raise InputError(flag, _("is longer than {n} characters").format(n=max_chars))
    bad = next((c for c in value if unicodedata.category(c)[0] == "C"), None)
    if bad is not None:
        raise InputError(flag, _("has a control character ({code})").format(code=f"U+{ord(bad):04X}"))
    return value


def _shown(value: str) -> str:
    """The value as a message may show it: escaped, and cut short."""
    text = ascii(value)
    return text if len(text) <= 70 else text[:67] + "...'"


_RANGES = (
    ("--workers", "workers", 1, 500),
    ("--wave-size", "wave_size", 1, 100_000),
    ("--canary", "canary", 1, 100_000),
    ("--max-fail-percent", "max_fail_percent", 0, 100),
    ("--trial-seconds", "trial_seconds", 60, 65_535),  # VRPv8 `commit trial` range
    ("--timeout", "timeout", 1, 3_600),
    ("--processes", "processes", 1, 64),
)


def check_options(o: Options) -> None:
    """Refuse any option value the run could not honour or that would reach a device unchecked."""
    if o.on_failure not in ON_FAILURE:
        known = ", ".join(ON_FAILURE)
        raise InputError(
            "--on-failure", _("{name} is not one of {known}").format(name=repr(o.on_failure), known=known)
        )
    for flag, name, low, high in _RANGES:
        value = getattr(o, name)
        if value is not None and not low <= value <= high:
            raise InputError(
                flag, _("{value} is not between {low} and {high}").format(value=value, low=low, high=high)
            )
    if o.change_id is not None:
        change_id(o.change_id)
    if o.reason is not None:
        free_text(o.reason, "--reason")
    if o.approved_by is not None:
        free_text(o.approved_by, "--approved-by", 64)
    for flag, names in (
        ("--hosts", o.hosts),
        ("--groups", o.groups),
        ("--site", o.sites),
        ("--department", o.departments),
        ("--approve-site", o.approve_sites),
        ("--canary-site", o.canary_sites),
        ("--accept-new-host-key", o.accept_new_host_key),
    ):
        for name in names:
            free_text(name, flag, 64)
