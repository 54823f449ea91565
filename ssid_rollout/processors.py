"""Nornir processors of a run: the journal's audit trail of each host's tasks, and where time went.

The events rollback needs (`applied`, `committed`, `discarded`, `compensate`) are written by the
tasks themselves before the device sees the lines; these processors add what Nornir knows at the
edges of each task: which host ran which stage and how it ended, how long it took, and how many
writes waited for the device's answer.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from nornir.core import Nornir
    from nornir.core.inventory import Host
    from nornir.core.task import AggregatedResult, MultiResult, Task

    from .runfolder import RunFolder

#: Nornir's own bookkeeping runs through processors too; it is not a stage of the rollout.
HIDDEN = frozenset({"close_connections_task"})


class _Quiet:
    """The processor hooks nobody here needs."""

    def task_started(self, task: Task) -> None: ...

    def task_completed(self, task: Task, result: AggregatedResult) -> None: ...

    def subtask_instance_started(self, task: Task, host: Host) -> None: ...

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None: ...


class Journaled(_Quiet):
    """Each host's task start and end in the run's journal (audit; not synced: rollback needs none)."""

    def __init__(self, folder: RunFolder) -> None:
        self.folder = folder

    def task_instance_started(self, task: Task, host: Host) -> None:
        if task.name not in HIDDEN:
            self.folder.note("task", name=task.name, host=host.name)

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        if task.name not in HIDDEN:
            self.folder.note("task-done", name=task.name, host=host.name, failed=result.failed)


class Timings(_Quiet):
    """Seconds each host spent in tasks, and its session's round trips so far."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._started: dict[tuple[str, str], float] = {}
        self.seconds: dict[str, float] = {}
        self.round_trips: dict[str, int] = {}

    def task_instance_started(self, task: Task, host: Host) -> None:
        with self._lock:
            self._started[task.name, host.name] = time.perf_counter()

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        from .connection import CONNECTION

        with self._lock:
            start = self._started.pop((task.name, host.name), None)
            if start is not None and task.name not in HIDDEN:
                self.seconds[host.name] = self.seconds.get(host.name, 0.0) + time.perf_counter() - start
            conn: Any = host.connections.get(CONNECTION)
            if conn is not None:
                self.round_trips[host.name] = conn.connection.round_trips


def timings(nr: Nornir) -> Timings:
    """The Timings processor of a Nornir object (Rollout.nornir attaches one)."""
    return next(p for p in nr.processors if isinstance(p, Timings))
