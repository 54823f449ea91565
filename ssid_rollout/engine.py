"""The rollout engine: sites in waves, each wave stage by stage (switch -> BRAS -> AC), one `nr.run` a stage.

It decides which hosts and sites each stage gets, keeps the ledger of what this run applied on each
device (from the tasks' results), and fills the report's rows. The device work is in `tasks`, the
way back in `compensation`, the run's folder, guards and locks in `runlife`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .compensation import compensate_sites
from .i18n import _
from .model import STAGE_ORDER, Section
from .probe import failure_reason
from .report import Report, SiteRow, Status, outcome_fields, plan_fields
from .results import ReadResult, RunSettings
from .scope import Scope
from .tasks import push_device, read_device, value

if TYPE_CHECKING:
    from nornir.core import Nornir
    from nornir.core.task import Result, Task

    from .runfolder import RunFolder


def push_host(
    task: Task,
    run: RunSettings,
    reads: Mapping[str, ReadResult],
    ledger: Mapping[str, Sequence[Section]],
    sites: Sequence[str],
) -> Result:
    """`push_device` for a stage's hosts: each with its own read and ledger."""
    name = task.host.name
    return push_device(task, run, reads[name], sites, ledger.get(name, ()))


@dataclass
class Engine:
    """A push over one Nornir object: read, plan, then waves of stages; the ledger and the rows."""

    scope: Scope
    nr: Nornir
    report: Report
    run: RunFolder | None = None
    reads: dict[str, ReadResult] = field(default_factory=dict)
    #: sections this run may have left on each device: what compensation works from
    ledger: dict[str, list[Section]] = field(default_factory=dict)
    #: hosts the first part of a resumed run changed
    earlier: set[str] = field(default_factory=set)

    def record_timings(self) -> None:
        """Seconds and round trips of the hosts this engine worked on, in their rows."""
        from .processors import timings

        seen = timings(self.nr)
        for name in seen.seconds.keys() | seen.round_trips.keys():
            if name in self.report.hosts:
                row = self.report.hosts[name]
                row.seconds = round(seen.seconds.get(name, 0.0), 3)
                row.round_trips = seen.round_trips.get(name, 0)

    # -- read ---------------------------------------------------------------------------------------
    def read(self, hosts: Sequence[str], sites: Sequence[str] | None) -> dict[str, str]:
        """Read and plan `hosts`; returns the hosts that could not be read, with the reason."""
        from nornir.core.filter import F

        if not hosts:
            return {}
        results = self.nr.filter(F(name__any=list(hosts))).run(
            task=read_device, run=self.scope.settings, sites=sites, name="read"
        )
        unreadable = {}
        for name, multi in results.items():
            read = value(multi)
            if read is None:
                unreadable[name] = failure_reason(multi[0].exception)
            else:
                self.reads[name] = read
        return unreadable

    def keep_reads(self) -> None:
        """Backups, plans and undo scripts in the run folder before the first line is sent."""
        from .render import render_text

        if self.run is None:
            return
        for name, read in self.reads.items():
            self.run.write_backup(name, read.backup)
            if read.plan.undo:
                self.run.write(f"undo/{name}.txt", render_text(read.plan.undo))

    # -- push ---------------------------------------------------------------------------------------
    def push(self, free: Sequence[str]) -> None:
        """Read, plan and push the selected sites on the `free` (locked for us) hosts."""
        scope, report = self.scope, self.report
        unreadable = self.read(free, list(scope.sites))
        self.keep_reads()
        for site, row in self._initial_statuses(unreadable).items():
            report.sites.setdefault(site, row)
        total = len(scope.sites) or 1
        stop: str | None = None
        waves = self.waves([s for s in scope.sites if s not in report.sites])
        for n, wave in enumerate(waves):
            stop = stop or self._interrupted() or self._wave_gate(n, total, waves[n - 1] if n else [])
            if stop:
                report.sites.update({site: SiteRow(Status.NOT_STARTED, stop) for site in wave})
                continue
            stages = [(f"push {role}", len(self._stage_hosts(role, wave))) for role in STAGE_ORDER]
            for observer in scope.observers:
                observer.wave_started(n, len(waves), wave, [(name, hosts) for name, hosts in stages if hosts])
            self.push_wave(wave)
        for name in scope.devices:
            report.hosts.setdefault(name, scope.row(name, status=Status.UNCHANGED))
            unchanged = report.hosts[name].status == Status.UNCHANGED
            if unchanged and (self.ledger.get(name) or name in self.earlier):
                report.hosts[name].status = Status.CHANGED
            if name in self.reads and report.hosts[name].warnings is None:  # the plan's, for the portal team
                report.hosts[name].warnings = tuple(self.reads[name].plan.warnings)
        for site in scope.sites:
            report.sites.setdefault(site, self._finished(site))

    def _finished(self, site: str) -> SiteRow:
        """A site no stage failed: done only if every device of it saved the change."""
        unsaved = [
            name
            for name, device in self.scope.devices.items()
            if site in device.sites and self.report.hosts[name].status == Status.APPLIED_NOT_SAVED
        ]
        if unsaved:
            hosts = ", ".join(unsaved)
            why = f"applied and verified, not saved on {hosts}: save there before opening the service"
            return SiteRow(Status.APPLIED_NOT_SAVED, why)
        return SiteRow(Status.DONE)

    def waves(self, sites: list[str]) -> list[list[str]]:
        scope = self.scope
        out: list[list[str]] = []
        rest = list(sites)
        if scope.canary_sites:
            out.append([s for s in rest if s in scope.canary_sites])
            rest = [s for s in rest if s not in scope.canary_sites]
        elif scope.canary:
            out.append(rest[: scope.canary])
            rest = rest[scope.canary :]
        size = scope.wave_size or len(rest) or 1
        out += [rest[i : i + size] for i in range(0, len(rest), size)]
        return [w for w in out if w]

    def _wave_gate(self, n: int, total: int, previous: list[str]) -> str | None:
        """Why no further wave may start: the failure budget, or a declined canary."""
        scope = self.scope
        failed = sum(
            1 for row in self.report.sites.values() if row.status in (Status.FAILED, Status.ROLLED_BACK)
        )
        if 100.0 * failed / total > scope.max_fail_percent:
            return f"failure budget exceeded ({failed} of {total} sites failed)"
        canary = list(scope.canary_sites) or scope.canary
        if n == 1 and canary and scope.confirm and not scope.confirm(self._canary_summary(previous)):
            return "stopped after the canary wave"
        return None

    def _interrupted(self) -> str | None:
        return "the run was interrupted before this site started" if self.scope.settings.stopped() else None

    def _canary_summary(self, canary: list[str]) -> str:
        """What the operator decides on: each canary site's result (no row yet: no stage failed)."""
        rows = {s: self.report.sites[s] if s in self.report.sites else self._finished(s) for s in canary}
        done = [s for s, r in rows.items() if r.status == Status.DONE]
        bad = [f"{s} {r.status}" for s, r in rows.items() if r.status != Status.DONE]
        text = _("Canary wave finished: done {sites}").format(sites=", ".join(done) or _("none"))
        return text + (_("; not done: {sites}.").format(sites=", ".join(bad)) if bad else ".")

    def _initial_statuses(self, unreadable: dict[str, str]) -> dict[str, SiteRow]:
        scope, report = self.scope, self.report
        for name, reason in unreadable.items():
            report.hosts[name] = scope.row(name, status=Status.UNREACHABLE, reason=reason)
        for name, read in self.reads.items():
            if read.plan.blocked:
                report.hosts[name] = scope.row(name, **plan_fields(read.plan))
        out: dict[str, SiteRow] = {}
        for site in scope.sites:
            hosts = [n for n, d in scope.devices.items() if site in d.sites]
            down = [h for h in hosts if h in unreadable]
            blocked = [h for h in hosts if h in self.reads and self.reads[h].plan.blocked]
            if down:
                out[site] = SiteRow(Status.UNREACHABLE, f"unreachable: {', '.join(down)}")
            elif blocked:
                why = f"conflict or missing prerequisite on {', '.join(blocked)}"
                out[site] = SiteRow(Status.BLOCKED, why)
            elif site in scope.special and site not in scope.approved:
                why = f"special site ({scope.special[site]}); needs --approve-site"
                out[site] = SiteRow(Status.SKIPPED, why)
        return out

    def _stage_hosts(self, role: str, sites: Sequence[str]) -> list[str]:
        return [h for h in self.scope.hosts_of(role, sites) if h in self.reads]

    def push_wave(self, wave: list[str]) -> None:
        """One wave: each stage's devices in one `nr.run`; failed sites leave later stages."""
        from nornir.core.filter import F

        scope, report = self.scope, self.report
        live = list(wave)
        for index, role in enumerate(STAGE_ORDER):
            hosts = self._stage_hosts(role, live)
            if not hosts or not live:
                continue
            if index and scope.settings.stopped():  # earlier stages changed these sites: left as they are
                why = f"interrupted before its {role} stage: finish it with --resume, or roll it back"
                report.sites.update({site: SiteRow(Status.INTERRUPTED, why) for site in live})
                break
            results = self.nr.filter(F(name__any=hosts)).run(
                task=push_host,
                run=scope.settings,
                reads=self.reads,
                ledger=self.ledger,
                sites=live,
                name=f"push {role}",
                on_failed=True,
            )
            for name, multi in results.items():
                result = value(multi)
                if result is None:
                    reason = failure_reason(multi[0].exception)
                    report.hosts[name] = scope.row(name, status=Status.FAILED, reason=reason)
                    failed = {site: reason for site in live if site in scope.devices[name].sites}
                else:
                    self.ledger[name] = list(result.applied)
                    report.hosts[name] = scope.row(name, **outcome_fields(result))
                    failed = dict(result.outcome.failed_sites)
                    for site in result.outcome.interrupted:
                        why = (
                            f"interrupted before {name} changed it: finish it with --resume, or roll it back"
                        )
                        report.sites.setdefault(site, SiteRow(Status.INTERRUPTED, why))
                for site, reason in failed.items():
                    text = reason if reason.startswith(name) else f"{name}: {reason}"
                    report.sites[site] = SiteRow(Status.FAILED, text)
            live = [s for s in live if s not in report.sites]
        failed_sites = [s for s in wave if s in report.sites and report.sites[s].status == Status.FAILED]
        if failed_sites and scope.on_failure == "rollback-site":
            compensate_sites(self, failed_sites)
