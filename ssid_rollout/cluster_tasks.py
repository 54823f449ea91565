"""What runs on a Dask worker: one job of a run (a group of sites to push, hosts to undo or to check),
and the job's line to the parent (cluster.py).

A job carries the rollout narrowed to its hosts and sites, without any secret: the worker resolves
logins and RADIUS keys from its own environment or keyring, so no secret travels through the
scheduler. It checks each device against the parent's pins (host keys, identities), which come with
the job, and gives back what it pinned on first contact. What a local run would write into its run
folder goes to the parent instead, in order, masked with the worker's secrets; a journal event is
acknowledged by the parent (on disk there) before the worker goes on, so the parent's journal names
every section a worker may have sent. A parent that stops answering is taken as gone: the worker
sends no further section (the host fails, its sites are compensated the usual way).
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from .errors import RolloutError
from .model import Device, HostPlan, Section
from .progress import Progress
from .report import Report, masked
from .runfolder import MaskedLog, RunFolder, make_dirs

if TYPE_CHECKING:
    from .options import Options
    from .secrets import CommandSecrets

#: How often a job sends what it has gathered when nothing waits for an answer, and waits for replies.
FLUSH_SECONDS = 0.2
READ_SECONDS = 1.0
#: Events a job gathers before it sends them even so.
FLUSH_AT = 200


def topic(token: str) -> str:
    """The run's progress events (Worker.log_event -> Client.subscribe_topic)."""
    return f"ssid-rollout-{token}-progress"


def events_queue(token: str) -> str:
    """The run's journal and file events, from every job to the parent."""
    return f"ssid-rollout-{token}-events"


def replies_queue(token: str, attempt: str) -> str:
    """The parent's answers to one attempt of a job (acknowledgements, its start, a stop)."""
    return f"ssid-rollout-{token}-{attempt}"


def queue(name: str, client: Any = None) -> Any:
    """A Dask queue (msgpack data through the scheduler); on a worker, its own client's."""
    from distributed import Queue

    return Queue(name, client=client)  # type: ignore[no-untyped-call]


class ParentLost(RolloutError):
    """The parent did not acknowledge a journal event in time, or told this worker to stop: no
    section may be sent that its journal would not name."""


class Part(Protocol):
    """What a job needs of the rollout it carries (rollout.Rollout.part() is one)."""

    devices: dict[str, Device]
    sites: list[str]
    options: Options
    secrets: CommandSecrets

    def interrupt(self, signal_name: str = "SIGINT") -> None: ...

    def mask(self, text: str) -> str: ...

    def check(self) -> Report: ...

    def push_group(
        self,
        folder: RunFolder,
        report: Report,
        free: list[str],
        sites: Sequence[str],
        before: dict[str, list[Section]] | None = None,
    ) -> dict[str, HostPlan]: ...

    def undo_group(
        self,
        folder: RunFolder,
        report: Report,
        touched: dict[str, list[Section]],
        backups: dict[str, str],
        label: str = "rollback",
    ) -> None: ...


JobKind = Literal["push", "undo", "check"]


@dataclass
class Job:
    """One job of a run, as the parent submits it (`part`: a Part, pickled with the job)."""

    kind: JobKind
    token: str
    name: str
    part: Any
    dcn: str | None
    pins: dict[str, list[str]]  # the parent's pinned lines for these hosts, per state file
    ack_seconds: float
    free: list[str]  # the hosts to work on (the others of the group are locked by another run)
    site_rows: dict[str, Any] = field(default_factory=dict)  # push: the sites' rows so far (refused ones)
    sections: dict[str, list[Section]] = field(default_factory=dict)  # push: a resumed run's; undo: to undo
    backups: dict[str, str] = field(default_factory=dict)  # undo
    lang: str = "en"  # the parent's language: the reasons a job writes are in the run's language
    #: a local cluster: the parent's run folder, on this machine. The parent masks what it writes with the
    #: same secrets, and the session logs go straight into the folder.
    run_folder: str | None = None


@dataclass
class JobResult:
    """What a job gives back, masked with the worker's secrets."""

    worker: str
    report: Report | None = None
    plans: dict[str, HostPlan] = field(default_factory=dict)
    sessions: dict[str, str] = field(default_factory=dict)  # host -> its session log
    pins: dict[str, list[tuple[str, bool]]] = field(default_factory=dict)  # what to record, per state file
    compensated: str | None = None  # the worker lost before this attempt, whose work it undid
    error: str | None = None  # why the job ended without a report


class Channel:
    """A job attempt's line to the parent: events in order (one flusher thread gathers them into one
    queue put), replies on the attempt's own queue (one reader thread), progress on the run's topic."""

    def __init__(self, job: Job, worker: Any) -> None:
        self.attempt = uuid.uuid4().hex
        self._head = [job.name, self.attempt]
        self._events = queue(events_queue(job.token))
        self._replies = queue(replies_queue(job.token, self.attempt))
        self._topic, self._worker = topic(job.token), worker
        self._ack_seconds = job.ack_seconds
        self._cond = threading.Condition()
        self._pending: list[list[Any]] = []
        self._progress: list[list[Any]] = []
        self._seq = self._acked = 0
        self._urgent = self._closed = False
        self._reply: dict[str, Any] | None = None
        #: why the parent no longer counts on this attempt (gone, or another attempt took over)
        self.gone: str | None = None
        self.on_interrupt: Callable[[str], None] | None = None
        self._threads = [
            threading.Thread(target=self._flush_loop, name="ssid-rollout-flush", daemon=True),
            threading.Thread(target=self._read_loop, name="ssid-rollout-replies", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # -- sending ----------------------------------------------------------------------------------
    def send(self, kind: str, *args: Any, urgent: bool = False) -> int:
        with self._cond:
            self._seq += 1
            self._pending.append([self._seq, kind, *args])
            if urgent or len(self._pending) >= FLUSH_AT:
                self._urgent = True
                self._cond.notify_all()
            return self._seq

    def progress(self, *event: Any) -> None:
        with self._cond:
            self._progress.append(list(event))

    def journal(self, event: str, fields: dict[str, Any]) -> None:
        """Send a journal event and wait until the parent has it on disk. Once the parent is gone,
        an `applied` event raises (its section must not be sent); others go on unacknowledged, so
        compensation still runs."""
        seq = self.send("journal", event, fields, urgent=True)
        deadline = time.monotonic() + self._ack_seconds
        with self._cond:
            while self._acked < seq and self.gone is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self.gone = f"the parent did not acknowledge an event within {self._ack_seconds:g} s"
                    break
                self._cond.wait(left)
            if self._acked < seq and event == "applied":
                raise ParentLost(f"not sent: {self.gone}")

    def claim(self, worker: str) -> dict[str, Any]:
        """Tell the parent this attempt starts on `worker`; its answer says whether to go on, to
        compensate an earlier attempt's work instead, or to stop."""
        self.send("claim", worker, urgent=True)
        deadline = time.monotonic() + self._ack_seconds
        with self._cond:
            while self._reply is None and self.gone is None and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            if self._reply is None:
                raise ParentLost(self.gone or f"the parent did not answer within {self._ack_seconds:g} s")
            return self._reply

    def close(self) -> None:
        """Send what is left, and stop the threads (bounded: a parent that is gone does not hold us)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        flusher, reader = self._threads
        flusher.join(READ_SECONDS + self._ack_seconds)
        with contextlib.suppress(Exception):  # an empty reply wakes the reader now, not at its next timeout
            self._replies.put({})
        reader.join(READ_SECONDS + self._ack_seconds)
        with contextlib.suppress(Exception):
            self._replies.close()

    # -- threads ----------------------------------------------------------------------------------
    def _flush_loop(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._urgent or self._closed, FLUSH_SECONDS)
                batch, self._pending = self._pending, []
                progress, self._progress = self._progress, []
                self._urgent, closing = False, self._closed
            if progress:
                with contextlib.suppress(Exception):  # progress is a courtesy: never a reason to stop
                    self._worker.log_event(self._topic, progress)
            if batch and self.gone is None:
                try:
                    self._events.put([*self._head, batch])
                except (Exception, asyncio.CancelledError) as exc:  # the scheduler or our line to it is gone
                    self._lose(f"the scheduler is gone ({type(exc).__name__})")
            if closing:
                return

    def _read_loop(self) -> None:
        while not self._closed:
            try:
                reply = self._replies.get(timeout=READ_SECONDS)
            except TimeoutError:
                continue
            except (Exception, asyncio.CancelledError) as exc:  # the scheduler or our line to it is gone
                self._lose(f"the scheduler is gone ({type(exc).__name__})")
                return
            with self._cond:
                self._acked = max(self._acked, int(reply.get("ack", 0)))
                if "reply" in reply:
                    self._reply = reply["reply"]
                if "stop" in reply:
                    self.gone = str(reply["stop"])
                self._cond.notify_all()
            if "interrupt" in reply and self.on_interrupt is not None:
                self.on_interrupt(str(reply["interrupt"]))

    def _lose(self, why: str) -> None:
        with self._cond:
            self.gone = self.gone or why
            self._cond.notify_all()


class RelayFolder(RunFolder):
    """The parent's run folder as a job sees it: each event and file goes to the parent, masked with
    `send` (the worker's mask; as is where the parent masks with the same secrets); the session logs,
    masked line by line, go into `logs`: the parent's run folder on a local cluster, else a local
    folder (`path`) whose logs go back with the job's result."""

    def __init__(self, channel: Channel, path: Path, mask: Callable[[str], str], job: Job) -> None:
        super().__init__(path, mask)
        self.channel, self.logs = channel, Path(job.run_folder or path)
        self.send = _as_is if job.run_folder else mask

    def _fields(self, fields: dict[str, Any]) -> dict[str, Any]:
        """The event as the queue carries it (JSON's types), masked for sending."""
        out: dict[str, Any] = json.loads(self.send(json.dumps(fields, ensure_ascii=False, default=str)))
        return out

    def journal(self, event: str, **fields: Any) -> None:
        self.channel.journal(event, self._fields(fields))

    def note(self, event: str, **fields: Any) -> int:
        return self.channel.send("note", event, self._fields(fields))

    def write(self, name: str, text: str) -> Path:
        self.channel.send("write", name, self.send(text))
        return self.path / name

    def write_backup(self, host: str, text: str) -> Path:
        """Unmasked, as a local backup is: rollback types it back."""
        self.channel.send("backup", host, text)
        return self.path / "backups" / f"{host}.cfg"

    def session_log(self, host: str) -> MaskedLog:
        make_dirs(self.logs / "sessions")
        return MaskedLog(self.logs / "sessions" / f"{host}.log", self.mask)

    def sessions(self) -> dict[str, str]:
        folder = self.path / "sessions"
        logs = sorted(folder.glob("*.log")) if folder.is_dir() else []
        return {log.stem: log.read_text(encoding="utf-8", errors="replace") for log in logs}


class Relay(Progress):
    """A job's progress display: each event goes to the parent, which shows it; a job of a DCN names
    its stages after it (`dcn-gz push switch`), so the parent shows a row per DCN."""

    def __init__(self, channel: Channel, dcn: str | None) -> None:
        from rich.console import Console

        super().__init__(Console(file=io.StringIO()), quiet=True)
        self.channel = channel
        self.prefix = f"dcn-{dcn} " if dcn else ""

    def new_wave(self, label: str) -> None:
        self.channel.progress("new_wave", label)

    def add(self, name: str, hosts: int, sites: Sequence[str]) -> None:
        self.channel.progress("add", self.prefix + name, hosts, list(sites))

    def begin(self, name: str) -> None:
        self.channel.progress("begin", self.prefix + name)

    def end(self, name: str, host: str, failed: bool) -> None:
        self.channel.progress("end", self.prefix + name, host, failed)

    def host_step(self, host: str, step: str) -> None:
        self.channel.progress("host_step", host, step)

    def close(self) -> None:
        """Nothing on screen here: the parent's display is the one."""


# -- on the worker ----------------------------------------------------------------------------------
def worker_ready(part: Part, radius_keys: bool) -> dict[str, str | None]:
    """Run on each worker before a run (Client.run): its version, and whether its own environment or
    keyring has every secret its hosts need (the error names variables, never values)."""
    from importlib.metadata import version

    from .errors import InputError

    try:
        part.secrets.resolve(radius_keys)
        error = None
    except InputError as exc:
        error = str(exc)
    return {"version": version("ssid_rollout"), "error": error}


def run_job(job: Job) -> JobResult:
    """A job on a worker. Whatever goes wrong comes back as the result's error (an exception would
    have to survive pickling, and could carry device text unmasked)."""
    from distributed import get_worker

    from .i18n import set_language
    from .identity import seed_pins
    from .limits import more_open_files
    from .state import keep_pins_in_memory

    set_language(job.lang)  # for the process: two runs in two languages at once on one worker share one
    worker = get_worker()
    name = str(worker.name)
    _no_profiler(worker)
    more_open_files()
    keep_pins_in_memory()
    seed_pins(job.pins)
    part: Part = job.part
    channel = Channel(job, worker)
    try:
        return _run(job, part, channel, name)
    except Exception as exc:  # noqa: BLE001 - reported by the parent, masked
        text = f"{type(exc).__name__}: {exc}".splitlines()[0]
        return JobResult(name, error=_mask_safely(part, text))
    finally:
        channel.close()


def _no_profiler(worker: Any) -> None:
    """Dask's statistical profiler walks every thread's stack each 10 ms: a job runs a few hundred
    session and transport threads, which made it take most of the GIL (a 1,000-device push stalled
    for minutes). Off for this worker; it serves this tool."""
    for name in ("profile", "profile-cycle"):
        callback = worker.periodic_callbacks.get(name)
        if callback is not None:
            worker.loop.add_callback(callback.stop)


def _run(job: Job, part: Part, channel: Channel, worker: str) -> JobResult:
    from .identity import new_pins

    part.options = replace(part.options, processors=(Relay(channel, job.dcn),))
    channel.on_interrupt = part.interrupt
    reply = channel.claim(worker) if job.kind != "check" else {}  # a check changes nothing: no claim
    if "stop" in reply:
        return JobResult(worker, error=str(reply["stop"]))
    lost: str | None = reply.get("lost")
    part.secrets.resolve(radius_keys=job.kind == "push" and lost is None)
    with tempfile.TemporaryDirectory(prefix="ssid-rollout-job-") as local:
        folder = RelayFolder(channel, Path(local), part.mask, job)
        report, plans = Report(job.kind, sites=dict(job.site_rows)), {}
        if job.kind == "check":
            report = part.check()
        elif lost is not None:
            touched = {h: [Section.sent(x) for x in sent] for h, sent in reply["touched"].items()}
            part.undo_group(folder, report, touched, reply["backups"], "compensate")
        elif job.kind == "push":
            plans = part.push_group(folder, report, job.free, part.sites, job.sections)
        else:
            part.undo_group(folder, report, job.sections, job.backups)
        sessions = folder.sessions()
    return JobResult(
        worker,
        report=report if job.run_folder else report.masked(part.mask),
        plans=plans if job.run_folder else masked(plans, part.mask),
        sessions=sessions,  # masked line by line as they were written
        pins=new_pins(part.devices.values()),
        compensated=lost,
    )


def _as_is(text: str) -> str:
    return text


def _mask_safely(part: Part, text: str) -> str:
    """The part's mask, or the generic one where the part's secrets are what failed."""
    try:
        return part.mask(text)
    except Exception:  # noqa: BLE001 - a secret that cannot be resolved is not in the text either
        from .secrets import Masker

        return Masker([]).mask(text)
