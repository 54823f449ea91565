"""The parent's side of a run's jobs on a Dask cluster: the connection, the workers as the scheduler
lists them, and the dispatch that submits jobs and answers their workers (cluster.py decides what the
jobs are; cluster_tasks.py is what runs on a worker).

What a worker sends comes in on the run's queue, in order: the parent writes it into its run folder,
forces the journal to disk once for the whole batch, and only then acknowledges, so a worker never
sends a section the parent's journal does not name. A job's first attempt is told to go on; a later
one means Dask lost the worker of the one before and started the job again elsewhere (on a worker
offering the same DCN resource): a push then compensates what the journal says the lost worker
applied, an undo or a check simply runs again, and the old attempt, should it still be alive, is told
to stop. A job no worker can run any more is given up.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from .cluster_tasks import (
    Job,
    JobKind,
    JobResult,
    events_queue,
    queue,
    replies_queue,
    run_job,
    topic,
)
from .errors import GuardError
from .i18n import _
from .model import Device, Section
from .options import Options
from .progress import Progress
from .report import HostRow
from .runfolder import RunFolder

CONNECT_SECONDS = 10.0
#: How long the parent waits for the run's events at a time, and how often it looks at the workers.
PUMP_SECONDS = 0.2
WATCH_SECONDS = 1.0


class Parent(Protocol):
    """What the parent side works with (rollout.Rollout is one)."""

    cluster: str | None
    devices: dict[str, Device]
    sites: list[str]
    options: Options
    interrupted_by: str | None

    def part(self, hosts: Sequence[str], sites: Sequence[str], workers: int) -> Any: ...

    def row(self, name: str, **fields: Any) -> HostRow: ...

    def touched_by(self, source: Path) -> dict[str, list[Section]]: ...

    def mask(self, text: str) -> str: ...


def resource(dcn: str) -> str:
    """The Dask worker resource of a DCN: `dask worker ... --resources dcn-gz=1`."""
    return f"dcn-{dcn}"


@dataclass(frozen=True)
class Workers:
    """The cluster's workers as the scheduler lists them: address -> (name, resources)."""

    found: dict[str, tuple[str, dict[str, float]]]

    @classmethod
    def of(cls, client: Any) -> Workers:
        info = client.scheduler_info()["workers"]
        return cls({a: (str(w.get("name", a)), dict(w.get("resources") or {})) for a, w in info.items()})

    def able(self, dcn: str | None) -> list[str]:
        """The workers a job of `dcn` may run on (any, for hosts without a DCN)."""
        return [a for a, (_, res) in self.found.items() if dcn is None or res.get(resource(dcn), 0) >= 1]

    def name(self, address: str) -> str:
        return self.found[address][0] if address in self.found else address


@contextlib.contextmanager
def session(rollout: Parent, processes: int = 1) -> Iterator[tuple[Any, Workers]]:
    """A client of the run's cluster: the scheduler given (unreachable: exit 3), or a local cluster of
    `processes` worker processes. Dask's own log lines stay off the operator's screen."""
    from distributed.utils import silence_logging_cmgr

    with silence_logging_cmgr(logging.CRITICAL), contextlib.ExitStack() as stack:
        if rollout.cluster is not None:
            try:
                _answers(rollout.cluster)
                client = _client(rollout.cluster, timeout=CONNECT_SECONDS)
            except Exception as exc:  # OSError, TimeoutError, TLS errors: all mean "not from here"
                why = " ".join(str(exc).split())[:160] or type(exc).__name__
                reached = _("cluster {address} cannot be reached: {why}")
                raise GuardError(reached.format(address=rollout.cluster, why=why)) from None
        else:
            local = _local_cluster(processes)
            stack.callback(local.close)
            client = _client(local)
            client.wait_for_workers(processes, timeout=CONNECT_SECONDS * 6)
        stack.callback(client.close)
        yield client, Workers.of(client)


def _answers(address: str) -> None:
    """The scheduler answers as Dask's client will talk to it (TLS and certificates included), or this
    raises why not: a refused port at once (Dask's client would retry until its timeout, then leave a
    half-made client that prints its own failure at exit)."""
    import asyncio
    import socket
    from concurrent.futures import ThreadPoolExecutor

    from distributed.comm.addressing import parse_address, parse_host_port
    from distributed.comm.core import connect
    from distributed.security import Security

    host, port = parse_host_port(parse_address(address)[1])
    socket.create_connection((host, port), timeout=CONNECT_SECONDS).close()
    tls: dict[str, Any] = Security().get_connection_args("client")  # type: ignore[no-untyped-call]

    async def probe() -> None:
        comm = await connect(address, timeout=CONNECT_SECONDS, **tls)  # type: ignore[no-untyped-call]
        await comm.close()

    with ThreadPoolExecutor(1) as thread:  # its own event loop, whatever the caller runs
        thread.submit(asyncio.run, probe()).result()


def _client(where: Any, **options: Any) -> Any:
    from distributed import Client

    return Client(where, set_as_default=False, **options)  # type: ignore[no-untyped-call]


def _local_cluster(processes: int) -> Any:
    """A scheduler in this process and `processes` workers, each a fresh `python -m dask spec`: unlike
    multiprocessing, it never re-runs the caller's script (a script without a main guard survives)."""
    from distributed import Scheduler, SpecCluster
    from distributed.deploy.subprocess import SubprocessWorker

    options = {"nthreads": 1, "memory_limit": 0, "dashboard": False, "silence_logs": logging.CRITICAL}
    workers = {
        n: {
            "cls": SubprocessWorker,
            "options": {
                "worker_class": "distributed.Worker",
                "worker_kwargs": {**options, "name": f"local-{n}"},
            },
        }
        for n in range(1, processes + 1)
    }
    return SpecCluster(  # type: ignore[no-untyped-call]
        scheduler={"cls": Scheduler, "options": {"host": "127.0.0.1", "dashboard": False}},
        workers=workers,
        silence_logs=logging.CRITICAL,
    )


@dataclass
class Running:
    """The parent's view of one job: who started it (each attempt, in order), and how it ended."""

    job: Job
    hosts: list[str]
    future: Any
    attempts: list[tuple[str, str]] = field(default_factory=list)  # (attempt, worker name)
    result: JobResult | None = None
    error: str | None = None  # why it ended without a result
    done: bool = False


class Dispatch:
    """A run's jobs on the cluster: submits them, writes what their workers send into the run folder and
    acknowledges it, relays their progress, watches the workers, and hands back how each job ended."""

    def __init__(self, client: Any, rollout: Parent, folder: RunFolder | None, workers: Workers) -> None:
        self.client, self.rollout, self.folder, self.workers = client, rollout, folder, workers
        self.token = uuid.uuid4().hex[:16]
        self._events = queue(events_queue(self.token), client)
        self._replies: dict[str, Any] = {}
        self._running: dict[str, Running] = {}
        self._waiting: list[Running] = []
        self._relays = [p for p in rollout.options.processors if isinstance(p, Progress) and not p.quiet]
        self._interrupted = False
        client.subscribe_topic(topic(self.token), self._progress)

    def submit(
        self, kind: JobKind, hosts: list[str], sites: list[str], dcn: str | None, threads: int, **fields: Any
    ) -> None:
        """A job over `hosts` (and, for a push, `sites`), on a worker of `dcn` (any, for None)."""
        from .i18n import language
        from .identity import pinned_lines

        name = f"{kind}-{len(self._running) + 1}"
        part = self.rollout.part(hosts, sites, threads)
        pins = pinned_lines(self.rollout.devices[h] for h in hosts)
        timeout = self.rollout.options.timeout
        job = Job(
            kind,
            self.token,
            name,
            part,
            dcn,
            pins,
            timeout,
            lang=language(),
            run_folder=str(self.folder.path) if self.folder and self.rollout.cluster is None else None,
            **fields,
        )
        future = self.client.submit(
            run_job,
            job,
            key=f"ssid-rollout-{self.token}-{name}",
            resources={resource(dcn): 1} if dcn else None,
            pure=False,
        )
        self._running[name] = running = Running(job, hosts, future)
        self._waiting.append(running)

    def wait(self) -> list[Running]:
        """Until every job submitted since the last wait has ended; how each ended."""
        watch_at = time.monotonic() + WATCH_SECONDS
        while any(not r.done for r in self._waiting):
            try:
                self._pump()
                ended = [r for r in self._waiting if not r.done and r.future.done()]
                if ended:
                    self._handle(self._events.get(batch=True))  # what they sent before they ended
                for running in ended:
                    self._finish(running)
                if time.monotonic() >= watch_at:
                    self._watch(Workers.of(self.client))
                    watch_at = time.monotonic() + WATCH_SECONDS
                self._pass_interrupt()
            except (OSError, RuntimeError) as exc:  # the scheduler is gone: the journal has what they did
                for running in self._waiting:
                    lost = _("the cluster's scheduler was lost ({why})").format(why=type(exc).__name__)
                    self._give_up(running, lost)
        ended, self._waiting = self._waiting, []
        return ended

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.unsubscribe_topic(topic(self.token))
            self._events.close()

    # -- what the workers send ------------------------------------------------------------------------
    def _pump(self) -> None:
        try:
            first = self._events.get(timeout=PUMP_SECONDS)
        except TimeoutError:
            return
        self._handle([first, *self._events.get(batch=True)])

    def _handle(self, items: list[Any]) -> None:
        """Write a batch of the workers' events (one fsync for all), then answer each attempt: what is
        acknowledged, whether it may start, whether another attempt has taken its job over."""
        answers: dict[str, dict[str, Any]] = {}
        claims: list[tuple[Running, str, str]] = []
        events: list[tuple[str, dict[str, Any]]] = []
        journaled = False
        for name, attempt, batch in items:
            running = self._running[name]
            for seq, kind, *args in batch:
                if kind == "claim":
                    claims.append((running, attempt, str(args[0])))
                elif kind in ("note", "journal"):
                    events.append((str(args[0]), dict(args[1])))
                    journaled |= kind == "journal"
                else:
                    self._write(running, kind, args)
                answers.setdefault(attempt, {})["ack"] = seq
        if self.folder is not None:
            self.folder.notes(events)
            if journaled:
                self.folder.sync()
        for running, attempt, worker in claims:
            answers[attempt]["reply"] = self._claim(running, attempt, worker)
            if self._interrupted and self.rollout.interrupted_by:  # a job that starts after Ctrl-C
                answers[attempt]["interrupt"] = self.rollout.interrupted_by
        for name, attempt, _batch in items:
            attempts = self._running[name].attempts
            if attempts and attempts[-1][0] != attempt:
                answers[attempt]["stop"] = "another worker has taken this job over"
        for attempt, answer in answers.items():
            self._reply(attempt, answer)

    def _write(self, running: Running, kind: str, args: list[Any]) -> None:
        """One file into the run folder. A backup or file names one of the job's hosts: nothing a worker
        says can write elsewhere."""
        if self.folder is None:
            return
        ours, name = running.job.part.devices, str(args[0])
        if kind == "backup" and name in ours:
            self.folder.write_backup(name, str(args[1]))
        elif kind == "write" and name.startswith("undo/") and name.endswith(".txt") and name[5:-4] in ours:
            self.folder.write(name, str(args[1]))

    def _claim(self, running: Running, attempt: str, worker: str) -> dict[str, Any]:
        """An attempt starts: the first goes on; a later one means Dask lost the worker of the one before
        and runs the job again: a push compensates instead, an undo or a check runs again."""
        if running.done:
            return {"stop": "the parent has given this job up"}
        lost = running.attempts[-1][1] if running.attempts else None
        running.attempts.append((attempt, worker))
        answer: dict[str, Any] = {"go": True}
        if lost is None or running.job.kind != "push" or self.folder is None:
            return answer
        touched = {h: s for h, s in self.rollout.touched_by(self.folder.path).items() if h in running.hosts}
        backups = {h: self.folder.backup(h) or "" for h in touched}
        sendable = {h: [s.sendable() for s in sections] for h, sections in touched.items()}
        return {**answer, "lost": lost, "touched": sendable, "backups": backups}

    def _reply(self, attempt: str, answer: dict[str, Any]) -> None:
        if attempt not in self._replies:
            self._replies[attempt] = queue(replies_queue(self.token, attempt), self.client)
        self._replies[attempt].put(answer)

    def _progress(self, event: tuple[float, list[list[Any]]]) -> None:
        """On the client's event loop thread: each worker's progress on this machine's bars."""
        for kind, *args in event[1]:
            for relay in self._relays:
                with contextlib.suppress(Exception):  # a display must never stop a run
                    getattr(relay, kind)(*args)

    # -- how jobs end ---------------------------------------------------------------------------------
    def _finish(self, running: Running) -> None:
        future, running.done = running.future, True
        if future.status == "finished":
            running.result = future.result()
            running.error = running.result.error if running.result.report is None else None
        elif running.error is None:
            exc = future.exception() if future.status == "error" else None
            text = f"{type(exc).__name__}: {exc}" if exc is not None else future.status
            running.error = self.rollout.mask(_("worker failed: {why}").format(why=text).splitlines()[0])

    def _watch(self, workers: Workers) -> None:
        """A job no worker can run any more (the last worker of its DCN is gone) is given up."""
        for running in self._waiting:
            dcn = running.job.dcn
            if not running.done and not workers.able(dcn):
                none = _("no worker of DCN {dcn} is left").format(dcn=dcn) if dcn else _("no worker is left")
                self._give_up(running, none)

    def _give_up(self, running: Running, why: str) -> None:
        if running.done:
            return
        running.done, running.error = True, why
        with contextlib.suppress(Exception):
            running.future.cancel()

    def _pass_interrupt(self) -> None:
        """Ctrl-C here stops the workers the orderly way too."""
        name = self.rollout.interrupted_by
        if name is None or self._interrupted:
            return
        self._interrupted = True
        for running in self._waiting:
            if running.attempts and not running.done:
                with contextlib.suppress(Exception):
                    self._reply(running.attempts[-1][0], {"interrupt": name})


@contextlib.contextmanager
def dispatch(rollout: Parent, folder: RunFolder | None, processes: int = 1) -> Iterator[Dispatch]:
    """The run's cluster, and a dispatch of jobs on it."""
    with session(rollout, processes) as (client, workers):
        jobs = Dispatch(client, rollout, folder, workers)
        try:
            yield jobs
        finally:
            jobs.close()
