"""A worker process of a sharded push: `python -m ssid_rollout.shard_worker <pipe fd> <parent pid>`.

It reads its job (the parent's options narrowed to one group of sites) on stdin, runs the same
engine on that group in the parent's run folder, relays progress events on the pipe and ends with
its report rows (or its error). It dies with its parent: the parent holds the run's locks.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import Any

from .progress import Progress

_PR_SET_PDEATHSIG = 1  # prctl(2)


class Relay(Progress):
    """A worker's progress processor: each event goes to the parent, which shows it."""

    def __init__(self, events: Connection) -> None:  # no bars here: the parent draws them
        self.events = events
        self._lock = threading.RLock()
        self._announced: set[str] = set()
        self._send_lock = threading.Lock()  # Nornir's worker threads share the connection

    def _send(self, *event: Any) -> None:
        with self._send_lock:
            self.events.send(event)

    def new_wave(self, label: str) -> None:
        self._send("new_wave", label)

    def add(self, name: str, hosts: int, sites: str) -> None:
        self._send("add", name, hosts, sites)

    def begin(self, name: str) -> None:
        self._send("begin", name)

    def end(self, name: str, host: str, failed: bool) -> None:
        self._send("end", name, host, failed)

    def host_step(self, host: str, step: str) -> None:
        self._send("host_step", host, step)

    def close(self) -> None:
        """Nothing to stop: the parent's display is the one on screen."""


def _worker(events: Connection, job: tuple[Any, ...]) -> None:
    """One group's push in a worker process; its report (or its error) goes back to the parent."""
    from .report import Report
    from .rollout import Rollout
    from .runfolder import RunFolder

    inventory, playbook, options, run_path, relay, sites, free, before = job
    # until the secrets are known; input errors name files and fields, not secrets
    mask: Callable[[str], str] = str
    try:
        rollout = Rollout(inventory, playbook, replace(options, processors=(Relay(events),) if relay else ()))
        rollout._need_keys()
        mask = rollout.mask
        folder = RunFolder(run_path, mask)
        report = Report("push", sites=dict(sites))
        try:
            plans = rollout.push_group(folder, report, free, rollout.sites, before)
        finally:
            folder.close()
        events.send(("done", report.sites, report.hosts, report.warnings, plans))
    except BaseException as exc:  # noqa: BLE001 - the parent reports it; the worker only ends
        events.send(("error", "failed: " + mask(f"{type(exc).__name__}: {exc}".splitlines()[0])))


def _die_with_parent(parent: int) -> None:
    """A worker must not outlive its parent: the parent holds the run's locks, and a lock whose
    process is gone is taken over. Killed with it, a worker ends as a crashed run does (Linux)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before the request took effect
        os._exit(1)


if __name__ == "__main__":
    _die_with_parent(int(sys.argv[2]))
    _worker(Connection(int(sys.argv[1]), readable=False), pickle.load(sys.stdin.buffer))
