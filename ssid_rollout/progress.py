"""Live progress of a rollout, as a Nornir processor: one bar per stage, hosts done/total, failures.

The engine runs one `nr.run` per stage (task name = stage: "read", "push switch", "compensate"...),
so the processor needs no knowledge of the rollout: a stage that runs again (the next wave, or
one compensation per host) adds to the same bar. rich turns the live display into one final
print, without colour, when the console is not a terminal. Failures are shown by host name
only: the reason may carry device text, and the masked report is the place for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.progress import Progress as Bars

if TYPE_CHECKING:
    from nornir.core.inventory import Host
    from nornir.core.task import AggregatedResult, MultiResult, Task
    from rich.console import Console

_SITES_SHOWN = 2
#: Nornir's own bookkeeping runs through processors too; it is not a stage of the rollout.
_HIDDEN = frozenset({"close_connections_task"})


@dataclass
class _Stage:
    """One bar: its rich task and the hosts started, expected and failed over all its runs."""

    bar: TaskID
    started: int = 0
    total: int = 0
    failed: int = 0


class Progress:
    """Nornir processor: `nr.with_processors([Progress(console)])`; call `close()` when the run ends."""

    def __init__(self, console: Console, quiet: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self._bars = Bars(
            TextColumn("{task.description:<12}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TextColumn("hosts"),
            TextColumn("{task.fields[failures]}"),
            TextColumn("{task.fields[sites]}", markup=False),
            TimeElapsedColumn(),
            console=console,
            disable=quiet,
        )
        self._lock = threading.Lock()
        self._stages: dict[str, _Stage] = {}
        self._live = False

    # -- Processor protocol ----------------------------------------------------------------------
    def task_started(self, task: Task) -> None:
        if task.name not in _HIDDEN:
            self.stage_started(task.name, _hosts_to_run(task), _sites(task.params.get("sites")))

    def task_instance_started(self, task: Task, host: Host) -> None:
        if task.name not in _HIDDEN:
            self.host_started(task.name)

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        if task.name not in _HIDDEN:
            self.host_done(task.name, host.name, result.failed)

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        self.stage_done(task.name)

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        """Subtasks are a host's own business inside its stage; the bar counts hosts."""

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        """See subtask_instance_started."""

    # -- events (also relayed from the worker processes of a sharded push) -----------------------
    def stage_started(self, name: str, hosts: int, sites: str) -> None:
        """A stage starts: its bar appears, or grows by the hosts this run will work on."""
        with self._lock:
            if not self._live and not self.quiet:
                self._bars.start()
                self._live = True
            stage = self._stages.get(name)
            if stage is None:
                bar = self._bars.add_task(name, total=hosts, failures="", sites=sites)
                self._stages[name] = _Stage(bar, total=hosts)
            else:
                stage.total += hosts
                self._bars.update(stage.bar, total=stage.total, sites=sites)

    def host_started(self, name: str) -> None:
        """Hosts Nornir runs although it had marked them failed still count toward the total."""
        with self._lock:
            stage = self._stages[name]
            stage.started += 1
            if stage.started > stage.total:
                stage.total = stage.started
                self._bars.update(stage.bar, total=stage.total)

    def host_done(self, name: str, host: str, failed: bool) -> None:
        with self._lock:
            stage = self._stages[name]
            if failed:
                stage.failed += 1
                self._bars.update(stage.bar, failures=f"[red]{stage.failed} failed[/]")
                if not self.quiet:
                    self._bars.console.print(
                        f"[red]x[/] {escape(name)}: {escape(host)} failed", highlight=False
                    )
            self._bars.advance(stage.bar)

    def stage_done(self, name: str) -> None:
        with self._lock:
            if name in self._stages:
                self._bars.refresh()

    # -- end of run ------------------------------------------------------------------------------
    def close(self) -> None:
        """Stop the live display; the last state of every bar stays on screen. Safe to call twice."""
        with self._lock:
            if self._live:
                self._bars.stop()
                self._live = False

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _hosts_to_run(task: Task) -> int:
    """Hosts `nr.run` will start with its defaults: those Nornir has not marked failed."""
    failed = task.nornir.data.failed_hosts
    return sum(1 for name in task.nornir.inventory.hosts if name not in failed)


def _sites(sites: Any) -> str:
    """The wave's sites, shortened: `GZ-TIANHE-001, GZ-TIANHE-002 +2`."""
    if not isinstance(sites, Iterable) or isinstance(sites, str):
        return ""
    names = list(sites)
    shown = ", ".join(names[:_SITES_SHOWN])
    return shown + (f" +{len(names) - _SITES_SHOWN}" if len(names) > _SITES_SHOWN else "")
