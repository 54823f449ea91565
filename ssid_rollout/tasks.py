"""Nornir tasks: each does all of one device's work for a stage in one session and returns a frozen result.

Usable in anyone's `nr.run(task=...)`; the engine decides which hosts and sites each stage gets and
keeps the ledger of what was applied. Tasks print nothing and keep no state between calls: what a
later task needs (the plan, the backup, what is on the device) comes back in their results.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import Any

from nornir.core.task import Result, Task

from .connection import session
from .errors import DeviceError
from .i18n import _
from .model import SHARED, Device, Fact, HostPlan, Section
from .platforms import Platform, platform_for
from .results import Outcome, PushResult, ReadResult, RunSettings
from .session import Session


def value(multi: Any) -> Any:
    """A task's result, or None when it raised (Nornir then puts the traceback text in `result`)."""
    return None if multi[0].exception is not None else multi[0].result


# -- check ------------------------------------------------------------------------------------------
def check_device(task: Task, run: RunSettings) -> Result:
    """Port open (or telnet open instead), login (through the jump server), the right device (host key,
    sysname, model), system view: changes nothing."""
    from .probe import reach_problem

    device = run.devices[task.host.name]
    closed = reach_problem(device, platform_for(device.platform))
    if closed:
        return Result(host=task.host, result=closed, failed=True)
    s = session(task, device)  # the login checks the host key, sysname and model (identity.py)
    try:
        s.system_view()
    except DeviceError as exc:
        refused = _("insufficient privilege: {answer}").format(answer=exc.answer)
        return Result(host=task.host, result=refused, failed=True)
    s.user_view()
    return Result(host=task.host, result="ok")


# -- read -------------------------------------------------------------------------------------------
def read_device(task: Task, run: RunSettings, sites: Sequence[str] | None = None) -> Result:
    """Back up running and saved configuration and plan the change: nothing is configured."""
    from .plan import plan_device

    device = run.devices[task.host.name]
    run.step(device.name, "login")
    s = session(task, device)
    run.step(device.name, "backup")
    running, saved = s.show(s.platform.show_running, s.platform.show_saved)
    plan = plan_device(
        device,
        run.specs[device.name],
        running,
        saved,
        radius_key=run.radius_keys.get(device.name),
        rotate_key=run.rotate_key,
        sites=sites,
    )
    return Result(host=task.host, result=ReadResult(s.version, running, saved, plan))


# -- verify -----------------------------------------------------------------------------------------
def read_facts(
    s: Session, device: Device, spec: Any, sites: Sequence[str], desired: Sequence[Section] | None = None
) -> tuple[Fact, ...]:
    """Parse the device's own output into facts and compare them with the service (TTP).

    Only the views the service lives in (`desired`: the plan's rendering, else rendered here) are
    read where the platform has a display that shows them alone; a device that refuses such a
    display is read whole.
    """
    from .render import render_device
    from .verify import verify_device

    platform = s.platform
    if desired is None:
        desired = render_device(device, spec, None, sites)
    reads = platform.config_reads(x for x in desired if x.owner in (SHARED, *sites))
    try:
        texts = s.show(*reads)
    except DeviceError:
        if reads == (platform.show_running,) or not s.alive:
            raise
        texts = s.show(platform.show_running)
    return tuple(verify_device(device, spec, platform.parse_config("\n".join(texts)), sites=sites))


def verify_task(task: Task, run: RunSettings, sites: Sequence[str] | None = None) -> Result:
    device = run.devices[task.host.name]
    chosen = list(sites if sites is not None else device.sites)
    run.step(device.name, "verify")
    facts = read_facts(session(task, device), device, run.specs[device.name], chosen)
    return Result(host=task.host, result=facts, failed=any(not f.ok for f in facts))


# -- push -------------------------------------------------------------------------------------------
def push_device(
    task: Task, run: RunSettings, read: ReadResult, sites: Sequence[str], applied: Sequence[Section] = ()
) -> Result:
    """Apply the planned difference for `sites`, verify, save; undo what fails on this device.

    `applied` is what earlier waves of this run left on the device (the engine's ledger): it is not
    sent again, and stays when this wave's sites fail."""
    device = run.devices[task.host.name]
    wanted = [x for x in sites if x in device.sites]
    if read.plan.unsaved and not run.allow_unsaved:
        reason = "running and saved configuration differ (someone's unsaved work): " + "; ".join(
            read.plan.unsaved
        )
        return _result(task, PushResult((), Outcome(device.name, failed_sites=dict.fromkeys(wanted, reason))))
    if run.stopped():
        return _result(task, PushResult(tuple(applied), Outcome(device.name, interrupted=tuple(wanted))))
    run.step(device.name, "login")
    s = session(task, device)
    work = _Work(s, device, run, read.backup, list(applied), read.plan.desired)
    try:
        with s.exclusive() if work.pending(read.plan, [SHARED, *wanted]) else contextlib.nullcontext():
            work.push(read.plan, wanted)
    except DeviceError as exc:
        # the session itself failed (dropped, silent): the engine compensates with a new login
        work.error = str(exc)
        work.failed.update({x: str(exc) for x in wanted if x not in work.failed})
        work.ok = []
        return _result(task, work.result())
    if work.ok and work.changed and not work.remaining:
        work.save()
    return _result(task, work.result())


def compensate_device(
    task: Task, run: RunSettings, backup: str, applied: Sequence[Section], sites: Sequence[str]
) -> Result:
    """Undo `sites` on a device this run changed (`applied`: the engine's ledger), e.g. a later stage
    failed, or `rollback --run`. The shared objects go too when no other site on the device keeps
    what this run applied; the sections are brought back to the `backup`, re-reading the device."""
    device = run.devices[task.host.name]
    run.step(device.name, "login")
    s = session(task, device)
    work = _Work(s, device, run, backup, list(applied))
    work.changed = True
    work.failed = dict.fromkeys(sites, "compensated")
    work.ok = [x for x in device.sites if x not in sites and any(a.owner == x for a in applied)]
    with s.exclusive():
        work.undo_failed()
    return _result(task, work.result(), undo=True)


def _result(task: Task, result: PushResult, undo: bool = False) -> Result:
    """Failed: a push whose sites failed, an undo that left lines for a person, a save that failed."""
    out = result.outcome
    failed = bool(out.remaining if undo else out.failed_sites) or out.saved is False or bool(out.remaining)
    return Result(host=task.host, result=result, failed=failed)


def _sections(plan: HostPlan, owners: Sequence[str]) -> list[Section]:
    return [x for x in plan.forward if x.owner in owners]


class _Refused(Exception):
    """An owner's lines were refused where a failure takes every staged line with it."""

    def __init__(self, owner: str, error: DeviceError) -> None:
        super().__init__(str(error))
        self.owner, self.error = owner, error


class _Work:
    """One device's push or undo in progress; frozen into a PushResult at the end."""

    def __init__(
        self,
        s: Session,
        device: Device,
        run: RunSettings,
        backup: str,
        applied: list[Section],
        desired: Sequence[Section] | None = None,
    ) -> None:
        self.s, self.device, self.run, self.backup, self.desired = s, device, run, backup, desired
        self.platform: Platform = s.platform
        self.applied = applied
        self.committed = len(applied)  # how much of `applied` a discard keeps
        self.ok: list[str] = []
        self.failed: dict[str, str] = {}
        self.facts: tuple[Fact, ...] = ()
        self.changed = False
        self.saved: bool | None = None
        self.error: str | None = None
        self.remaining: list[str] = []
        self.restored = False
        self.interrupted: list[str] = []

    def result(self) -> PushResult:
        outcome = Outcome(
            self.device.name,
            tuple(self.ok),
            dict(self.failed),
            self.facts,
            self.changed,
            self.saved,
            self.error,
            tuple(self.remaining),
            self.restored,
            tuple(self.interrupted),
        )
        return PushResult(tuple(self.applied), outcome)

    # -- journal ----------------------------------------------------------------------------------
    def record(self, section: Section) -> None:
        """Journal a section as applied before it is sent, so a crash mid-section can be undone."""
        self.run.note("applied", host=self.device.name, **_fields(section))
        if section not in self.applied:
            self.applied.append(section)
        self.changed = True

    def discarded(self) -> None:
        self.run.note("discarded", host=self.device.name)
        del self.applied[self.committed :]

    def confirmed(self) -> None:
        if self.platform.commit.atomic:  # only a staged change can be discarded later
            self.run.note("committed", host=self.device.name)
        self.committed = len(self.applied)

    # -- push -------------------------------------------------------------------------------------
    def push(self, plan: HostPlan, sites: list[str]) -> None:
        """Stage the shared objects and each site's lines, commit, verify, confirm; a failing site is
        dropped (and, where the platform's staging is atomic, the rest staged again)."""
        strategy = self.platform.commit
        remaining = list(sites)
        for _round in range(len(sites) + 1):
            start = len(self.applied)
            staged = bool(self.pending(plan, [SHARED, *remaining]))
            self.run.step(self.device.name, "push")
            try:
                if strategy.atomic:  # one write stream: a refused line names its owner
                    strategy.stage(self.s, self.pending(plan, [SHARED, *remaining]), before=self.record)
                    if staged and self.run.stopped():  # nothing took effect yet: drop it, the sites wait
                        strategy.discard(self.s, committed=False)
                        self.discarded()
                        self.interrupted += remaining
                        return
                else:
                    for owner in [SHARED, *remaining]:
                        if owner != SHARED and self.run.stopped():  # a section started is finished
                            self.interrupted.append(owner)
                            continue
                        self._stage(owner, self.pending(plan, [owner]))
                    remaining = [x for x in remaining if x not in self.interrupted]
                if staged:
                    if strategy.commit_step:
                        self.run.step(self.device.name, strategy.commit_step)
                    strategy.commit(self.s, self.run.change_id, self.run.trial_seconds)
            except (_Refused, DeviceError) as exc:
                if isinstance(exc, DeviceError) and not self.s.alive:
                    raise
                owner, error = (
                    (exc.owner, exc.error)
                    if isinstance(exc, _Refused)
                    else (_owner_of(exc, self.applied[start:]), exc)
                )
                if strategy.atomic:
                    strategy.discard(self.s, committed=False)
                    self.discarded()
                if owner == SHARED:
                    self.failed.update(dict.fromkeys(remaining, str(error)))
                    self.undo_failed()
                    return
                self.failed[owner] = str(error)
                remaining.remove(owner)
                if strategy.atomic:
                    continue
            live = [x for x in remaining if x not in self.failed]
            facts = self._verify(live)
            bad = _failing_owners(facts)
            if strategy.atomic and bad:
                strategy.discard(self.s, committed=True)
                self.discarded()
                self._fail_owners(bad, facts, live)
                if SHARED in bad:
                    return
                remaining = [x for x in remaining if x not in bad]
                continue
            if staged:
                if strategy.commit_step:
                    self.run.step(self.device.name, "confirm")
                strategy.confirm(self.s)
                self.confirmed()
            if (
                strategy.atomic and staged and live
            ):  # a trial that ran out before the confirmation left nothing
                facts = self._verify(live)
                bad = _failing_owners(facts)
                for owner in bad:
                    for site in live if owner == SHARED else [owner]:
                        reason = f"not there after confirming the commit trial: {_fact_reason(facts, owner)}"
                        self.failed.setdefault(site, reason)
            else:
                self._fail_owners(bad, facts, live)
            self.ok = [x for x in live if x not in self.failed]
            self.undo_failed()
            return

    def pending(self, plan: HostPlan, owners: Sequence[str]) -> list[Section]:
        """The owners' planned sections that an earlier wave of this run has not applied already."""
        return [x for x in _sections(plan, owners) if x not in self.applied[: self.committed]]

    def _stage(self, owner: str, sections: list[Section]) -> None:
        """Lines that apply at once, one owner at a time: a refused site leaves the others going."""
        try:
            self.platform.commit.stage(self.s, sections, before=self.record)
        except DeviceError as exc:
            if not self.s.alive:
                raise
            if owner == SHARED:
                raise _Refused(owner, exc) from None
            self.failed[owner] = str(exc)

    def _verify(self, sites: list[str]) -> tuple[Fact, ...]:
        self.run.step(self.device.name, "verify")
        self.facts = read_facts(self.s, self.device, self.run.specs[self.device.name], sites, self.desired)
        return self.facts

    def _fail_owners(self, bad: set[str], facts: tuple[Fact, ...], live: list[str]) -> None:
        for owner in bad:
            for site in live if owner == SHARED else [owner]:
                self.failed.setdefault(site, _fact_reason(facts, owner))

    # -- undo -------------------------------------------------------------------------------------
    def undo_failed(self) -> None:
        """Undo failed sites' sections; the shared ones too when no site on the device (this wave's or an
        earlier one's) keeps the service."""
        kept = set(self.ok) | {x.owner for x in self.applied if x.owner not in (SHARED, *self.failed)}
        owners = list(self.failed) + ([] if kept else [SHARED])
        sections = [x for x in self.applied if x.owner in owners]
        if sections:
            self.restore(sections)

    def restore(self, sections: list[Section]) -> None:
        """Bring the touched sections back to the backup, re-reading the device first."""
        from .restore import restore_plan, touched_equal

        self.run.step(self.device.name, "undo")
        if not self.s.configured:  # a new login after a lost session: end what it left pending
            self.platform.commit.end_stale(self.s)
        table = self.platform.undo
        (current,) = self.s.show(self.platform.show_running)
        undo, conflicts = restore_plan(table, self.backup, current, sections)
        self.run.note("compensate", host=self.device.name, sections=[[*x.path, *x.lines] for x in undo])
        try:
            self.platform.commit.restore(self.s, undo)
        except DeviceError as exc:
            self.error = f"compensation failed: {exc}"
        (after,) = self.s.show(self.platform.show_running)
        left = touched_equal(table, self.backup, after, sections)
        self.remaining = left + [f"conflict: {c.reason}: {'; '.join(c.lines)}" for c in conflicts]
        if left:
            return
        self.applied[:] = [x for x in self.applied if x not in sections]
        self.committed = min(self.committed, len(self.applied))
        self.changed = bool(self.applied)
        self.restored = True
        self.save(restored=True)

    def save(self, restored: bool = False) -> None:
        self.run.step(self.device.name, "save")
        try:
            self.s.save()
            self.saved = True
        except DeviceError as exc:
            self.saved = False
            self.error = f"{'restored' if restored else 'applied'}, not saved: {exc}"


def _fields(section: Section) -> dict[str, Any]:
    return {"path": list(section.path), "lines": list(section.lines), "owner": section.owner}


def _owner_of(exc: DeviceError, sections: Sequence[Section]) -> str:
    """The owner of the section whose line the device refused."""
    for section in sections:
        if exc.command in section.path or exc.command in section.lines:
            return section.owner
    return SHARED


def _failing_owners(facts: Sequence[Fact]) -> set[str]:
    return {f.owner for f in facts if not f.ok}


def _fact_reason(facts: Sequence[Fact], owner: str) -> str:
    bad = [f for f in facts if f.owner == owner and not f.ok]
    return "; ".join(f"{f.name}: expected {f.expected}, found {f.found}" for f in bad)
