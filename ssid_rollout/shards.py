"""A large push split across worker processes, one group of sites each.

One Python process drives about one core whatever its thread count (the GIL): at 1,000 devices
SSH, prompt reading, journal and parsing keep it busy while the machine's other cores idle.
Sites that share no device are independent, so a push whose sites all go in one wave (no
canary, no wave size) can run as several pushes over disjoint device sets, in the same run
folder, under the parent's guards and locks. Each worker (shard_worker.py) is the same engine
(`Rollout.push_group`) on its group; the parent relays their progress and merges their reports.
"""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import replace
from multiprocessing.connection import Connection, wait
from typing import Any

from .model import Device
from .progress import Progress

#: Devices per worker process before a push is worth splitting (a worker costs ~1 s to start).
HOSTS_PER_PROCESS = 400
_PR_SET_PDEATHSIG = 1  # prctl(2)
#: How often the parent looks at its workers while it waits for their events.
POLL_SECONDS = 0.5


def processes_for(hosts: int, requested: int | None) -> int:
    """`requested`, else one per HOSTS_PER_PROCESS devices, at most one per CPU."""
    if requested is not None:
        return max(1, requested)
    return max(1, min(os.cpu_count() or 1, hosts // HOSTS_PER_PROCESS))


def partition(devices: dict[str, Device], sites: Iterable[str], parts: int) -> list[list[str]]:
    """`sites` in at most `parts` groups that share no device, balanced by device count.

    Sites joined by a device (a BRAS or AC serving several) form one component; components go,
    largest first, to the group with the fewest devices so far.
    """
    chosen = list(sites)
    parent = {site: site for site in chosen}

    def root(site: str) -> str:
        while parent[site] != site:
            parent[site] = parent[parent[site]]
            site = parent[site]
        return site

    for device in devices.values():
        mine = [s for s in device.sites if s in parent]
        for site in mine[1:]:
            parent[root(site)] = root(mine[0])
    components: dict[str, list[str]] = {}
    for site in chosen:
        components.setdefault(root(site), []).append(site)
    weight = {
        key: sum(1 for d in devices.values() if any(s in members for s in d.sites))
        for key, members in components.items()
    }
    groups: list[tuple[int, list[str]]] = [(0, []) for _ in range(max(1, parts))]
    for key in sorted(components, key=lambda k: -weight[k]):
        load, members = min(groups, key=lambda g: g[0])
        groups.remove((load, members))
        groups.append((load + weight[key], members + components[key]))
    order = {site: n for n, site in enumerate(chosen)}
    return [sorted(members, key=order.__getitem__) for _, members in groups if members]


def shard_groups(rollout: Any) -> list[list[str]]:
    """Groups of sites for worker processes; one group when the run needs a single engine: waves or a
    canary (their gates see every site), or a caller's own processors."""
    o = rollout.options
    count = processes_for(len(rollout.devices), o.processes)
    staged = o.canary or o.canary_sites or (o.wave_size and o.wave_size < len(rollout.sites))
    foreign = any(not isinstance(p, Progress) for p in o.processors)
    if count < 2 or staged or foreign:
        return [rollout.sites]
    return partition(rollout.devices, rollout.sites, count)


def push_shards(
    rollout: Any, run: Any, groups: list[list[str]], free: list[str], before: dict[str, Any]
) -> dict[str, Any]:
    """Push each group of sites in its own process; fill the run's report as one engine would, and
    return the plans the workers pushed.

    Workers are `python -m ssid_rollout.shard_worker`, not multiprocessing: spawning re-runs the
    caller's `__main__`, which a script without a main guard does not survive. Each gets its
    job on stdin and sends events on a pipe of its own.
    """
    options = rollout.options
    relays = [p for p in options.processors if isinstance(p, Progress) and not p.quiet]
    workers = -(-options.workers // len(groups))
    procs: list[subprocess.Popen[bytes]] = []
    pending: dict[Connection, int] = {}
    plans: dict[str, Any] = {}
    for index, sites in enumerate(groups):
        hosts = [n for n, d in rollout.devices.items() if any(s in d.sites for s in sites)]
        shard = replace(
            options,
            hosts=hosts,
            sites=sites,
            groups=(),
            departments=(),
            workers=workers,
            partial_site=True,
            processes=1,
            confirm=None,
            processors=(),
        )
        read, write = os.pipe()
        command = [sys.executable, "-m", "ssid_rollout.shard_worker", str(write), str(os.getpid())]
        proc = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, pass_fds=(write,))
        os.close(write)
        mine = {s: v for s, v in run.report.sites.items() if s in sites}
        ours = [h for h in free if h in hosts]
        earlier = {h: before[h] for h in hosts if h in before}
        job = (rollout.inventory, rollout.playbook, shard, run.folder.path, bool(relays), mine, ours, earlier)
        assert proc.stdin is not None
        proc.stdin.write(pickle.dumps(job))
        proc.stdin.close()
        procs.append(proc)
        pending[Connection(read, writable=False)] = index
    try:
        _collect(rollout, groups, procs, pending, relays, run.report, plans)
    finally:
        for proc in procs:
            if pending:  # the parent stops early (Ctrl-C): its workers go before its locks do
                proc.kill()
            _reap(proc)
    return plans


def _collect(
    rollout: Any,
    groups: list[list[str]],
    procs: list[subprocess.Popen[bytes]],
    pending: dict[Connection, int],
    relays: list[Progress],
    report: Any,
    plans: dict[str, Any],
) -> None:
    """Read the workers' events until each has reported; bounded by the workers, which end on
    their own (their device waits are bounded) or die (their pipe then reads EOF)."""
    while pending:
        for conn in wait(list(pending), timeout=POLL_SECONDS):
            assert isinstance(conn, Connection)
            index = pending[conn]
            try:
                kind, *args = conn.recv()
            except EOFError:
                kind, args = "error", [f"ended without a result (exit code {_reap(procs[index])})"]
            if kind in ("done", "error"):
                del pending[conn]
                conn.close()
            if kind == "done":
                sites, hosts, warnings, pushed = args
                report.sites.update(sites)
                plans.update(pushed)
                # the parent's rows stand (a host locked by another run): a worker only saw it unchanged
                report.hosts = {**hosts, **report.hosts}
                report.warnings += warnings
            elif kind == "error":
                _lost(rollout, groups[index], args[0], report)
            else:
                for relay in relays:
                    getattr(relay, kind)(*args)


def _reap(proc: subprocess.Popen[bytes]) -> int:
    """A worker's exit code once it has reported (or closed its pipe); one that lingers is killed."""
    try:
        return proc.wait(POLL_SECONDS * 20)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(POLL_SECONDS * 20)


def _lost(rollout: Any, sites: list[str], what: str, report: Any) -> None:
    """A worker that gave no report: its devices may be changed, so a person must look."""
    from .report import SiteRow, Status

    reason = f"worker process {what}; see the run's journal, `rollback --run` restores what it applied"
    for site in sites:
        report.sites.setdefault(site, SiteRow(Status.FAILED, reason))
    for name, device in rollout.devices.items():
        if any(s in sites for s in device.sites):
            row = rollout.row(name, status=Status.MANUAL_ACTION_NEEDED, reason=reason)
            report.hosts.setdefault(name, row)
