"""Where a run's work goes: this process, a local Dask cluster, or a Dask scheduler with workers in each
management network (DCN). The parent's side; what runs on a worker is cluster_tasks.py.

One Python process drives about one core (the GIL), so a push of HOSTS_PER_PROCESS devices or more, in
one wave, runs as jobs on a local cluster of worker processes, one per CPU. With `--cluster` (or
SSID_ROLLOUT_CLUSTER), check, push and rollback run on an existing scheduler instead, and each job asks
for its DCN as a worker resource (`dcn-gz=1`): a device is reached only from a worker inside its
network. Sites that share a device form one group, pushed by one engine on one worker (a site's stages
and its compensation need all of its sessions in one place), so on a cluster a group's hosts must be in
one DCN. Rollback has no such need: it runs stage by stage, each stage's hosts on workers of their DCNs.

The parent keeps the guards, the locks, the run folder and the report. It writes what the workers send
into its journal, on disk before it acknowledges, and watches the workers: when one is lost, Dask runs
its job again on another worker of the same DCN, which compensates what the journal says the lost one
applied; with no worker of that DCN left, its hosts are left to a person (manual-action-needed).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from .cluster_dispatch import Parent, Running, Workers, dispatch, resource, session
from .cluster_tasks import JobResult
from .errors import GuardError, InputError
from .i18n import _
from .model import STAGE_ORDER, Device, HostPlan, Section
from .options import Options
from .progress import Progress
from .report import Report, SiteRow, Status
from .runfolder import RunFolder

CLUSTER_ENV = "SSID_ROLLOUT_CLUSTER"
#: Devices per local worker process before a push is worth splitting (a worker costs ~1 s to start).
HOSTS_PER_PROCESS = 400
_ADDRESS = re.compile(r"(tcp|tls)://[A-Za-z0-9._:\[\]-]{1,253}:\d{1,5}")


class Run(Protocol):
    """The run in progress (runlife.Run is one)."""

    folder: RunFolder
    report: Report


def cluster_address(options: Options) -> str | None:
    """`--cluster`, else SSID_ROLLOUT_CLUSTER: a scheduler's tcp:// or tls:// address, or None."""
    address = options.cluster or os.environ.get(CLUSTER_ENV) or None
    if address is not None and not _ADDRESS.fullmatch(address):
        shown = repr(address[:80])
        raise InputError(
            "--cluster", _("{address} is not a scheduler address like tcp://HOST:8786").format(address=shown)
        )
    return address


# -- how a push is split ----------------------------------------------------------------------------
def processes_for(hosts: int, requested: int | None) -> int:
    """`requested`, else one per HOSTS_PER_PROCESS devices, at most one per CPU."""
    if requested is not None:
        return max(1, requested)
    return max(1, min(os.cpu_count() or 1, hosts // HOSTS_PER_PROCESS))


def local_processes(rollout: Parent) -> int:
    """Worker processes of a local cluster for this push; 1 runs it in this process, as must a run
    with waves or a canary (their gates see every site) or a caller's own processors."""
    o = rollout.options
    if _staged(o) or any(not isinstance(p, Progress) for p in o.processors):
        return 1
    return processes_for(len(rollout.devices), o.processes)


def _staged(o: Options) -> bool:
    return bool(o.canary or o.canary_sites or o.wave_size)


def components(devices: dict[str, Device], sites: Iterable[str]) -> list[list[str]]:
    """`sites` joined into groups by the devices they share (a BRAS or AC serving several)."""
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
    groups: dict[str, list[str]] = {}
    for site in chosen:
        groups.setdefault(root(site), []).append(site)
    return list(groups.values())


def partition(devices: dict[str, Device], sites: Iterable[str], parts: int) -> list[list[str]]:
    """`sites` in at most `parts` groups that share no device, balanced by device count: the
    components go, largest first, to the group with the fewest devices so far."""
    chosen = list(sites)
    found = components(devices, chosen)
    weight = [sum(1 for d in devices.values() if any(s in members for s in d.sites)) for members in found]
    groups: list[tuple[int, list[str]]] = [(0, []) for _ in range(max(1, parts))]
    for index in sorted(range(len(found)), key=lambda i: -weight[i]):
        load, members = min(groups, key=lambda g: g[0])
        groups.remove((load, members))
        groups.append((load + weight[index], members + found[index]))
    order = {site: n for n, site in enumerate(chosen)}
    return [sorted(members, key=order.__getitem__) for _, members in groups if members]


def site_groups(rollout: Parent, workers: Workers | None) -> list[tuple[str | None, list[str]]]:
    """(DCN, sites) of each push job: on a local cluster (`workers` None) one group per process; on a
    scheduler, per DCN as many groups as it has workers. A group whose hosts span DCNs, and waves or a
    canary (asked between waves here), are refused on a scheduler."""
    devices, o = rollout.devices, rollout.options
    if workers is None:
        return [(None, group) for group in partition(devices, rollout.sites, local_processes(rollout))]
    if _staged(o):
        raise InputError(
            "--cluster",
            _(
                "--canary, --canary-site and --wave-size ask between waves, in one engine: push them without "
                "--cluster from a server that reaches their hosts, or push each wave's sites with --site"
            ),
        )
    by_dcn: dict[str | None, list[str]] = {}
    for members in components(devices, rollout.sites):
        hosts = [n for n, d in devices.items() if any(s in d.sites for s in members)]
        dcns = sorted({d for d in (devices[h].dcn for h in hosts) if d})
        if len(dcns) > 1:
            where = "; ".join(f"{d}: {', '.join(h for h in hosts if devices[h].dcn == d)}" for d in dcns)
            sites = ", ".join(members[:4]) + (" ..." if len(members) > 4 else "")
            raise InputError(
                "data.dcn",
                _(
                    "sites {sites} share devices reached from several DCNs ({where}): one engine pushes "
                    "them on one worker, so their hosts must be in one DCN; correct data.dcn, or push them "
                    "without --cluster from a server that reaches both"
                ).format(sites=sites, where=where),
            )
        by_dcn.setdefault(dcns[0] if dcns else None, []).extend(members)
    return [
        (dcn, group)
        for dcn, sites in by_dcn.items()
        for group in partition(devices, sites, len(workers.able(dcn)))
    ]


def _chunks(rollout: Parent, hosts: Sequence[str], workers: Workers) -> list[tuple[str | None, list[str]]]:
    """`hosts` by DCN, each DCN's in as many chunks as it has workers (rollback and check)."""
    by_dcn: dict[str | None, list[str]] = {}
    for host in hosts:
        by_dcn.setdefault(rollout.devices[host].dcn, []).append(host)
    out: list[tuple[str | None, list[str]]] = []
    for dcn, members in by_dcn.items():
        parts = max(1, min(len(members), len(workers.able(dcn))))
        out += [(dcn, members[i::parts]) for i in range(parts)]
    return out


# -- before the run folder -----------------------------------------------------------------------
def preflight(rollout: Parent, command: str, hosts: Sequence[str]) -> None:
    """Before the run folder is written: the scheduler answers (else exit 3), each DCN of `hosts` has a
    worker (else exit 3), every such worker runs this version and has the secrets of its hosts in its
    own environment or keyring (else exit 2), and a push's groups fit the DCNs (else exit 2)."""
    with session(rollout) as (client, workers):
        _guard(rollout, client, workers, hosts, radius_keys=command == "push")
        if command == "push":
            site_groups(rollout, workers)


def _guard(
    rollout: Parent, client: Any, workers: Workers, hosts: Sequence[str], *, radius_keys: bool
) -> None:
    """Every DCN of `hosts` has a worker; each of those workers runs this version and has the secrets."""
    from importlib.metadata import version

    from .cluster_tasks import worker_ready

    where = rollout.cluster
    by_dcn: dict[str | None, list[str]] = {}
    for host in hosts:
        by_dcn.setdefault(rollout.devices[host].dcn, []).append(host)
    for dcn, members in sorted(by_dcn.items(), key=lambda item: item[0] or ""):
        if not workers.able(dcn):
            named = ", ".join(members[:5]) + (" ..." if len(members) > 5 else "")
            raise GuardError(
                _(
                    "cluster {cluster}: no worker of DCN {dcn} for {hosts}: start one there with "
                    "`dask worker {cluster} --resources {resource}=1`"
                ).format(cluster=where, dcn=dcn, hosts=named, resource=resource(dcn))
                if dcn
                else _("cluster {cluster}: no worker at all for {hosts}").format(cluster=where, hosts=named)
            )
    ours = version("ssid_rollout")
    for dcn, members in by_dcn.items():
        able = workers.able(dcn)
        answers = client.run(worker_ready, rollout.part(members, [], 1), radius_keys, workers=able)
        for address, answer in sorted(answers.items()):
            worker = f"worker {workers.name(address)}" + (f" ({resource(dcn)})" if dcn else "")
            if answer["version"] != ours:
                differs = _("{worker} runs ssid_rollout {version}, this machine {ours}")
                raise GuardError(differs.format(worker=worker, version=answer["version"], ours=ours))
            if answer["error"]:
                raise InputError(worker, str(answer["error"]))


def _threads(rollout: Parent, jobs: int) -> int:
    """`--workers` stays the run's total of device sessions, shared by its jobs."""
    return max(1, -(-rollout.options.workers // max(1, jobs)))


# -- push ---------------------------------------------------------------------------------------------
def push_on_cluster(
    rollout: Parent, run: Run, free: list[str], before: dict[str, list[Section]]
) -> dict[str, HostPlan]:
    """The push's groups of sites as jobs on the cluster; the run's report filled as one engine would.
    Returns the plans the workers pushed."""
    processes = local_processes(rollout)
    plans: dict[str, HostPlan] = {}
    with dispatch(rollout, run.folder, processes) as jobs:
        groups = site_groups(rollout, jobs.workers if rollout.cluster else None)
        threads = _threads(rollout, len(groups))
        for dcn, sites in groups:
            chosen = set(sites)
            hosts = [n for n, d in rollout.devices.items() if not chosen.isdisjoint(d.sites)]
            ours = [h for h in free if h in hosts]
            if ours:
                rows = {s: row for s, row in run.report.sites.items() if s in sites}
                earlier = {h: before[h] for h in hosts if h in before}
                jobs.submit("push", hosts, sites, dcn, threads, free=ours, site_rows=rows, sections=earlier)
        for running in jobs.wait():
            _merge_push(rollout, run, running, plans)
    return plans


def _merge_push(rollout: Parent, run: Run, running: Running, plans: dict[str, HostPlan]) -> None:
    report, result = run.report, running.result
    if result is None or result.report is None:
        _left(rollout, run, running, running.error or _("the job ended without a report"))
        return
    _keep(run.folder, running, result)
    rows = {n: replace(row, worker=result.worker) for n, row in result.report.hosts.items()}
    if result.compensated is None:
        report.sites.update(result.report.sites)
        plans.update(result.plans)
        report.warnings += result.report.warnings
    else:
        why = _("worker {lost} was lost mid-push; worker {worker} compensated its sites").format(
            lost=result.compensated, worker=result.worker
        )
        for host in running.job.free:
            rows.setdefault(host, rollout.row(host, status=Status.UNCHANGED, reason=why))
        for site in running.job.part.sites:
            if site not in report.sites:
                undone = all(
                    rows[h].status in (Status.ROLLED_BACK, Status.UNCHANGED)
                    for h in running.job.free
                    if site in rollout.devices[h].sites
                )
                report.sites[site] = SiteRow(Status.ROLLED_BACK if undone else Status.FAILED, why)
    # the parent's rows stand (a host locked by another run): a worker only saw it unchanged
    report.hosts = {**rows, **report.hosts}


def _left(rollout: Parent, run: Run, running: Running, why: str) -> None:
    """A job that gave no report: what its journal says it applied is left to a person, with the
    lines and the run folder that undo it (`rollback --run`, `undo/<host>.txt`)."""
    report = run.report
    touched = rollout.touched_by(run.folder.path) if running.job.kind == "push" else running.job.sections
    for host in running.job.free:
        sections = touched.get(host, [])
        if sections:
            remaining = tuple(x for s in sections for x in (*s.path, *s.lines))
            reason = _(
                "{why}; what this run applied is in its journal: `rollback --run {run}` restores it "
                "(undo script: undo/{host}.txt)"
            ).format(why=why, run=run.folder.path, host=host)
            row = rollout.row(host, status=Status.MANUAL_ACTION_NEEDED, reason=reason, remaining=remaining)
        else:
            row = rollout.row(host, status=Status.UNCHANGED, reason=_("not changed: {why}").format(why=why))
        report.hosts.setdefault(host, row)
    started = Status.FAILED if running.attempts else Status.NOT_STARTED
    for site in running.job.part.sites:
        report.sites.setdefault(site, SiteRow(started, why))


def _keep(folder: RunFolder, running: Running, result: JobResult) -> None:
    """The job's session logs into the run folder, and its first contacts into this machine's pins."""
    from .identity import record_pins

    for host, text in result.sessions.items():
        if host in running.hosts:
            folder.write(f"sessions/{host}.log", text)
    record_pins(result.pins)


# -- rollback -----------------------------------------------------------------------------------------
def undo_on_cluster(
    rollout: Parent, run: Run, touched: dict[str, list[Section]], backups: dict[str, str]
) -> None:
    """`rollback --run` on the cluster: stage by stage (ACs, BRAS, switches) over every DCN, each stage's
    hosts on workers of their DCN; a lost worker's hosts are undone again by another of its DCN."""
    with dispatch(rollout, run.folder) as jobs:
        for role in reversed(STAGE_ORDER):
            hosts = [h for h in touched if rollout.devices[h].role == role]
            chunks = _chunks(rollout, hosts, jobs.workers)
            threads = _threads(rollout, len(chunks))
            for dcn, chunk in chunks:
                undo, kept = {h: touched[h] for h in chunk}, {h: backups[h] for h in chunk}
                jobs.submit("undo", chunk, [], dcn, threads, free=chunk, sections=undo, backups=kept)
            for running in jobs.wait():
                result = running.result
                if result is None or result.report is None:
                    _left(rollout, run, running, running.error or _("the job ended without a report"))
                    continue
                _keep(run.folder, running, result)
                run.report.hosts.update(
                    {n: replace(row, worker=result.worker) for n, row in result.report.hosts.items()}
                )


# -- check --------------------------------------------------------------------------------------------
def check_on_cluster(rollout: Parent) -> Report:
    """Each host's reachability checked from a worker of its DCN; each row names the worker."""
    from .identity import record_pins

    report = Report("check")
    with dispatch(rollout, None) as jobs:
        hosts = list(rollout.devices)
        _guard(rollout, jobs.client, jobs.workers, hosts, radius_keys=False)
        chunks = _chunks(rollout, hosts, jobs.workers)
        for dcn, chunk in chunks:
            jobs.submit("check", chunk, [], dcn, _threads(rollout, len(chunks)), free=chunk)
        for running in jobs.wait():
            result = running.result
            if result is None or result.report is None:
                why = _("not checked: {why}").format(why=running.error)
                report.hosts.update(
                    {h: rollout.row(h, status=Status.UNREACHABLE, reason=why) for h in running.hosts}
                )
                continue
            record_pins(result.pins)
            report.hosts.update({n: replace(r, worker=result.worker) for n, r in result.report.hosts.items()})
    report.exit_code = 0 if all(h.status == Status.OK for h in report.hosts.values()) else 1
    return report
