"""What one rollout works on: the selected devices and sites, the gates between waves, the settings.

Built once by the Python API from the inventory, the playbook and the options; the engine and the
way back read it, and never change it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from .model import Device
from .report import HostRow
from .results import RunSettings


@runtime_checkable
class Observer(Protocol):
    """Who watches a rollout besides the journal (the progress display)."""

    def wave_started(
        self, index: int, count: int, sites: Sequence[str], stages: Sequence[tuple[str, int]]
    ) -> None: ...

    def host_step(self, host: str, step: str) -> None: ...


@dataclass
class Scope:
    """What one engine run works on: the devices, sites and settings of the rollout."""

    devices: dict[str, Device]
    sites: list[str]
    special: dict[str, str]  # special site -> why (inventory)
    approved: Sequence[str]
    settings: RunSettings
    wave_size: int | None = None
    canary: int | None = None
    canary_sites: Sequence[str] = ()
    max_fail_percent: float = 20.0
    on_failure: str = "rollback-site"
    confirm: Callable[[str], bool] | None = None
    observers: Sequence[Observer] = ()

    def row(self, name: str, **fields: Any) -> HostRow:
        d = self.devices[name]
        return HostRow(d.role, tuple(d.sites), d.department, **fields)

    def hosts_of(self, role: str, sites: Sequence[str]) -> list[str]:
        return [n for n, d in self.devices.items() if d.role == role and any(s in d.sites for s in sites)]
