"""What the tasks are given and what they return: frozen values, so a task keeps no state between
calls and the engine (or anyone's script) holds the ledger."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .model import Device, Fact, HostPlan, Section


@dataclass(frozen=True)
class RunSettings:
    """What every task of one run needs; built once by the engine (or by a script), never changed."""

    devices: Mapping[str, Device]
    specs: Mapping[str, Any]  # host -> the service as that host sees it (ServiceSpec)
    radius_keys: Mapping[str, str] = field(default_factory=dict)
    change_id: str = "adhoc"
    rotate_key: bool = False
    allow_unsaved: bool = False
    trial_seconds: int = 300
    #: the run's journal: `journal(event, **fields)` returns once the event is on disk
    journal: Callable[..., None] | None = None
    #: who watches (the progress display): `on_step(host, step)` as a host moves from step to step
    on_step: Callable[[str, str], None] | None = None
    #: set when the operator interrupts the run: no host starts, no site starts on a host at work
    stop: threading.Event | None = None

    def note(self, event: str, **fields: Any) -> None:
        if self.journal is not None:
            self.journal(event, **fields)

    def step(self, host: str, step: str) -> None:
        if self.on_step is not None:
            self.on_step(host, step)

    def stopped(self) -> bool:
        return self.stop is not None and self.stop.is_set()


@dataclass(frozen=True)
class ReadResult:
    """A device as read before the change (the backup) and the plan made from it."""

    version: str
    backup: str
    saved: str
    plan: HostPlan


@dataclass(frozen=True)
class Outcome:
    """One device's verdict for a stage: per site, and the device-level state."""

    host: str
    ok_sites: tuple[str, ...] = ()
    failed_sites: Mapping[str, str] = field(default_factory=dict)
    facts: tuple[Fact, ...] = ()
    changed: bool = False
    saved: bool | None = None
    error: str | None = None
    remaining: tuple[str, ...] = ()  # undo lines a person must still send
    restored: bool = False  # what this task applied was undone again (its sites failed)
    interrupted: tuple[str, ...] = ()  # sites not started on this host: the run was interrupted


@dataclass(frozen=True)
class PushResult:
    """What a push or an undo left: the sections of this run still (possibly) on the device, which is
    the engine's ledger for this host, and the verdict."""

    applied: tuple[Section, ...]
    outcome: Outcome
