"""A push's or rollback's life cycle around the engine: guards, locks, the run folder, the log, the end.

Order matters and is kept here: the window guard refuses before anything is written; the run folder
is created (or resumed) and its journal started; device locks are taken; the engine runs with a
masked log in the run folder catching what nobody foresaw; the locks are released and the run ends
with report.json and the people's artifacts, all masked.
"""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError, RolloutError
from .i18n import _
from .options import Options
from .report import HostRow, Report, SiteRow, Status
from .runfolder import RunFolder, runs_dir
from .state import Locks

if TYPE_CHECKING:
    from .model import Device, HostPlan
    from .people import Directory

LOG_FILE = "ssid-rollout.log"


class UnexpectedError(RolloutError):
    """Something nobody foresaw stopped the run; its masked traceback is in the run folder's log."""


@dataclass
class Run:
    """One push or rollback in progress: its folder, its locks and its report."""

    folder: RunFolder
    report: Report
    locks: Locks
    mask: Callable[[str], str]
    log: logging.Handler | None = field(default=None, repr=False)

    @property
    def log_path(self) -> Path:
        return self.folder.path / LOG_FILE

    def traceback(self, exc: BaseException) -> Path:
        """Write `exc`'s traceback, masked, to the run's log; returns the log's path."""
        text = "".join(traceback.format_exception(exc))
        logging.getLogger("ssid_rollout").error("unexpected error\n%s", self.mask(text))
        return self.log_path


def open_run(
    command: str, options: Options, settings: Mapping[str, str | None], mask: Callable[[str], str]
) -> Run:
    """The window guard (nothing written when refused), then the run folder and its journal."""
    from .guards import check_window

    override = check_window(
        options.window or settings.get("window"),
        options.timezone or settings.get("timezone"),
        force=options.force,
        reason=options.reason,
    )
    if not options.change_id:
        raise InputError("--change-id", _("{command} needs a change id").format(command=command))
    warnings: list[str] = []
    if options.resume:
        folder, warnings = RunFolder.resume(Path(options.resume), mask)
    else:
        folder = RunFolder.create(runs_dir(options.runs_dir), options.change_id, mask)
    report = Report(command, run_dir=str(folder.path), change_id=options.change_id, warnings=warnings)
    run = Run(folder, report, Locks(options.change_id), mask)
    run.log = _log_to(run.log_path, mask)
    folder.journal("start", command=command, resume=bool(options.resume))
    if override:
        report.warnings.append(override)
        folder.journal("guard-override", text=override)
    return run


def _log_to(path: Path, mask: Callable[[str], str]) -> logging.Handler:
    """Warnings of every library (Netmiko, Nornir, paramiko) and our tracebacks, masked, in the run folder."""
    from .runfolder import open_private
    from .secrets import MaskingFilter

    stream = open(open_private(path, append=True), "a", encoding="utf-8")  # noqa: SIM115 - closed by close_run
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    handler.addFilter(MaskingFilter(mask))
    logging.getLogger().addHandler(handler)
    return handler


def lock_devices(
    run: Run, devices: Mapping[str, Device], sites: list[str], hosts: list[str], row: Callable[..., HostRow]
) -> list[str]:
    """Take `hosts`' locks; a host another run holds is `locked`, its sites `refused`; returns the
    free hosts."""
    refused = run.locks.acquire(hosts)
    for stale in run.locks.stale:
        run.report.warnings.append(_("stale lock left by a run that ended: {lock}").format(lock=stale))
    for host, holder in refused.items():
        reason = _("locked by change {change}").format(change=holder)
        run.report.hosts[host] = row(host, status=Status.LOCKED, reason=reason)
    for site in sites:
        held = [
            _("{host} (change {change})").format(host=h, change=refused[h])
            for h in sorted(refused)
            if site in devices[h].sites
        ]
        if held:
            why = _("locked by another run: {hosts}").format(hosts=", ".join(held))
            run.report.sites[site] = SiteRow(Status.REFUSED, why)
    run.folder.journal("locks", held=list(run.locks.held), refused=refused, stale=run.locks.stale)
    return [h for h in hosts if h in run.locks.held]


@contextlib.contextmanager
def guarded(run: Run) -> Iterator[None]:
    """Around the engine: what nobody foresaw leaves its masked traceback in the run folder and becomes
    one line naming it; the locks go back whatever happens."""
    try:
        yield
    except RolloutError:
        raise
    except Exception as exc:
        path = run.traceback(exc)
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        message = run.mask(f"{type(exc).__name__}: {first}" if first else type(exc).__name__)
        unexpected = _("unexpected error: {error} (traceback in {path})").format(error=message, path=path)
        raise UnexpectedError(unexpected) from exc
    finally:
        run.locks.release()
        run.folder.close()  # also when the run stops on an exception; finish reopens the journal


def finish(
    run: Run,
    devices: Mapping[str, Device],
    spec: Any,
    plans: Mapping[str, HostPlan] | None = None,
    directory: Directory | None = None,
) -> Report:
    """Close the run: exit code, masked report, end event, report.json, and the people's artifacts
    (`directory`: the inventory's people and places, for the work orders)."""
    from .artifacts import write_artifacts

    report = run.report
    report.exit_code = report.exit_code_now()
    masked = report.masked(run.mask)
    run.folder.journal("end", exit_code=masked.exit_code)
    data = masked.to_dict()
    run.folder.write_json("report.json", data)
    write_artifacts(run.folder, data, devices, spec, plans=plans, directory=directory)
    close_run(run)
    return masked


def close_run(run: Run) -> None:
    run.folder.close()
    if run.log is not None:
        logging.getLogger().removeHandler(run.log)
        run.log.close()
        run.log = None
