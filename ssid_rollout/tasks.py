"""Nornir tasks: each one does all of one device's work for a stage in one session.

Usable in anyone's `nr.run(task=...)`; the rollout engine only decides which hosts and
sites each stage gets. Tasks return typed results and print nothing.
"""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from nornir.core.inventory import ConnectionOptions
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.task import Result, Task

from .errors import DeviceError
from .model import SHARED, Device, Fact, HostPlan, Section
from .platforms import WHOLE_CONFIG, config_reads, platform_for
from .session import Session, connect

CONNECTION = "ssid_netmiko"


class SsidNetmiko:
    """Nornir connection plugin: Netmiko underneath, prompt-driven `Session` on top."""

    connection: Session

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Any = None,
    ) -> None:
        extras = dict(extras or {})
        name = extras.pop("host", hostname or "")
        self.connection = connect(
            platform_for(platform or "", name),
            name,
            hostname=hostname or "",
            port=port or 22,
            username=username or "",
            password=password or "",
            **extras,
        )

    def close(self) -> None:
        self.connection.close()


if CONNECTION not in ConnectionPluginRegister.available:
    ConnectionPluginRegister.register(CONNECTION, SsidNetmiko)


def connection_options(device: Device, **extras: Any) -> ConnectionOptions:
    """The host's session settings: the address the inventory validated (whatever a group's
    connection options say) and the identity the login must find (model, sysname)."""
    extras = {"host": device.name, "model": device.model, "sysname": device.sysname, **extras}
    return ConnectionOptions(
        hostname=device.hostname, port=device.port, platform=device.platform, extras=extras
    )


def session(task: Task, device: Device) -> Session:
    """The host's session; a session the device closed is replaced by a new login."""
    if CONNECTION not in task.host.connection_options:
        task.host.connection_options[CONNECTION] = connection_options(device)
    conn: Session = task.host.get_connection(CONNECTION, task.nornir.config)
    if not conn.alive:
        task.host.close_connection(CONNECTION)
        conn = task.host.get_connection(CONNECTION, task.nornir.config)
    return conn


@dataclass
class Context:
    """What every task of one run needs; built once by the engine (or by a script)."""

    devices: dict[str, Device]
    spec_for: Callable[[Device], Any]
    radius_keys: dict[str, str]
    change_id: str = "adhoc"
    rotate_key: bool = False
    allow_unsaved: bool = False
    trial_seconds: int = 300
    run: Any = None  # RunFolder, when the run writes artifacts
    states: dict[str, DeviceState] = field(default_factory=dict)
    #: sections that may be on each device because this run sent them (the compensation's scope)
    applied: dict[str, list[Section]] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # device time spent in tasks, per host
    round_trips: dict[str, int] = field(default_factory=dict)  # writes that waited for an answer


def timed(func: Callable[..., Result]) -> Callable[..., Result]:
    """Add the task's wall time to `ctx.seconds[host]`, so reports show where time goes."""

    @functools.wraps(func)
    def wrapper(task: Task, ctx: Context, *args: Any, **kwargs: Any) -> Result:
        start = time.perf_counter()
        try:
            return func(task, ctx, *args, **kwargs)
        finally:
            name = task.host.name
            ctx.seconds[name] = ctx.seconds.get(name, 0.0) + time.perf_counter() - start
            conn = task.host.connections.get(CONNECTION)
            if conn is not None:
                ctx.round_trips[name] = conn.connection.round_trips

    return wrapper


@dataclass
class DeviceState:
    """What was read from a device before the change, and the plan made from it."""

    version: str
    running: str
    saved: str
    plan: HostPlan


@dataclass
class Outcome:
    """One device's result for a stage: per-site verdicts and the device-level state."""

    host: str
    ok_sites: list[str] = field(default_factory=list)
    failed_sites: dict[str, str] = field(default_factory=dict)
    facts: list[Fact] = field(default_factory=list)
    changed: bool = False
    saved: bool | None = None
    error: str | None = None
    remaining: list[str] = field(default_factory=list)  # undo lines a person must still send


# -- check --------------------------------------------------------------------------------------
@timed
def check_device(task: Task, ctx: Context) -> Result:
    """Port open, login, the right device (host key, sysname, model), system view: changes nothing."""
    from .probe import tcp_probe

    device = ctx.devices[task.host.name]
    closed = tcp_probe(device.hostname, device.port, 5.0)
    if closed:
        return Result(host=task.host, result=closed, failed=True)
    s = session(task, device)  # the login checks the host key, sysname and model (identity.py)
    try:
        s.system_view()
    except DeviceError as exc:
        return Result(host=task.host, result=f"insufficient privilege: {exc.answer}", failed=True)
    s.user_view()
    return Result(host=task.host, result="ok")


# -- read ---------------------------------------------------------------------------------------
@timed
def read_device(task: Task, ctx: Context, sites: Sequence[str] | None = None) -> Result:
    """Connect, back up running/saved configuration and plan the change: nothing is configured."""
    from .plan import plan_device

    device = ctx.devices[task.host.name]
    s = session(task, device)
    running, saved = s.show("display current-configuration", "display saved-configuration")
    if ctx.run:
        ctx.run.write_backup(device.name, running)
    plan = plan_device(
        device,
        ctx.spec_for(device),
        running,
        saved,
        radius_key=ctx.radius_keys.get(device.name),
        rotate_key=ctx.rotate_key,
        sites=sites,
    )
    state = DeviceState(s.version, running, saved, plan)
    ctx.states[device.name] = state
    return Result(host=task.host, result=state)


def read_facts(s: Session, device: Device, ctx: Context, sites: Sequence[str]) -> list[Fact]:
    """Parse the device's own output into facts and compare them with the service (TTP).

    Only the views the service lives in are read where a display shows them alone (a switch's
    trunk ports and VLAN lines); a device that refuses such a display is read whole.
    """
    from .parse import parse_config
    from .render import render_device
    from .verify import verify_device

    spec = ctx.spec_for(device)
    reads = config_reads(render_device(device, spec, None, sites))
    try:
        texts = s.show(*reads)
    except DeviceError:
        if reads == (WHOLE_CONFIG,) or not s.alive:
            raise
        texts = s.show(WHOLE_CONFIG)
    return verify_device(device, spec, parse_config("\n".join(texts)), sites=sites)


@timed
def verify_task(task: Task, ctx: Context, sites: Sequence[str] | None = None) -> Result:
    device = ctx.devices[task.host.name]
    chosen = list(sites if sites is not None else device.sites)
    facts = read_facts(session(task, device), device, ctx, chosen)
    return Result(host=task.host, result=facts, failed=any(not f.ok for f in facts))


# -- push ---------------------------------------------------------------------------------------
@timed
def push_device(task: Task, ctx: Context, sites: Sequence[str]) -> Result:
    """Apply the planned difference for `sites`, verify, and save; compensate what fails."""
    device = ctx.devices[task.host.name]
    state = ctx.states[device.name]
    out = Outcome(device.name)
    wanted = [x for x in sites if x in device.sites]
    if state.plan.unsaved and not ctx.allow_unsaved:
        reason = "running and saved configuration differ (someone's unsaved work): " + "; ".join(
            state.plan.unsaved
        )
        out.failed_sites = dict.fromkeys(wanted, reason)
        return Result(host=task.host, result=out, failed=True)
    s = session(task, device)
    try:
        changes = bool(_sections(state.plan, [SHARED, *wanted]))
        with s.exclusive() if changes else contextlib.nullcontext():
            if platform_for(device.platform).two_stage:
                _push_two_stage(s, device, ctx, state, wanted, out)
            else:
                _push_immediate(s, device, ctx, state, wanted, out)
    except DeviceError as exc:
        # the session itself failed (dropped, silent): the engine compensates with a new login
        out.error = str(exc)
        out.failed_sites.update({x: str(exc) for x in wanted if x not in out.failed_sites})
        out.ok_sites = []
        return Result(host=task.host, result=out, failed=True)
    if out.ok_sites and out.changed and not out.remaining:
        try:
            s.save()
            out.saved = True
        except DeviceError as exc:
            out.saved = False
            out.error = f"applied, not saved: {exc}"
    return Result(host=task.host, result=out, failed=bool(out.failed_sites or out.saved is False))


def _sections(plan: HostPlan, owners: Sequence[str]) -> list[Section]:
    return [x for x in plan.forward if x.owner in owners]


def _journal(ctx: Context, event: str, **fields: Any) -> None:
    if ctx.run:
        ctx.run.journal(event, **fields)


def _push_immediate(
    s: Session, device: Device, ctx: Context, state: DeviceState, sites: list[str], out: Outcome
) -> None:
    """VRP5: each line applies at once, so the undo script is on disk before the first one."""
    from .render import render_text

    if ctx.run:
        ctx.run.write(f"undo/{device.name}.txt", render_text(state.plan.undo))
    record = functools.partial(_record, ctx, device, out)
    try:
        s.configure(_sections(state.plan, [SHARED]), before=record)
    except DeviceError as exc:
        out.failed_sites = dict.fromkeys(sites, str(exc))
        _compensate(s, device, ctx, state, out, list(ctx.applied.get(device.name, [])))
        return
    for site in sites:
        try:
            s.configure(_sections(state.plan, [site]), before=record)
        except DeviceError as exc:
            out.failed_sites[site] = str(exc)
    _verify_sites(s, device, ctx, sites, out)
    _compensate_failed(s, device, ctx, state, out)


def _push_two_stage(
    s: Session, device: Device, ctx: Context, state: DeviceState, sites: list[str], out: Outcome
) -> None:
    """VRPv8: stage, `commit trial`, verify, then confirm; a failing site is dropped and restaged."""
    remaining = list(sites)
    for _ in range(len(sites) + 1):
        sections = _sections(state.plan, [SHARED, *remaining])
        if not sections:
            _verify_sites(s, device, ctx, remaining, out)
            return
        try:
            s.configure(sections, before=lambda x: _journal(ctx, "applied", host=device.name, **_fields(x)))
            s.commit(f"commit trial {ctx.trial_seconds} description {ctx.change_id}")
        except DeviceError as exc:
            if not s.alive:
                raise
            s.commit("clear configuration candidate")
            _journal(ctx, "discarded", host=device.name)
            failed = _owner_of(exc, sections)
            if failed == SHARED:
                out.failed_sites.update(dict.fromkeys(remaining, str(exc)))
                return
            out.failed_sites[failed] = str(exc)
            remaining.remove(failed)
            continue
        facts = read_facts(s, device, ctx, remaining)
        bad = _failing_owners(facts)
        if not bad:
            ctx.applied.setdefault(device.name, []).extend(sections)
            s.commit("commit")
            _journal(ctx, "committed", host=device.name)
            out.changed, out.ok_sites = True, remaining
            # a trial that ran out before the confirmation leaves nothing behind: verify again
            _verify_sites(s, device, ctx, remaining, out)
            for site in remaining:
                if site in out.failed_sites:
                    out.failed_sites[site] = (
                        f"not there after confirming the commit trial: {out.failed_sites[site]}"
                    )
            return
        s.commit("abort trial")
        _journal(ctx, "discarded", host=device.name)
        reason = {o: _fact_reason(facts, o) for o in bad}
        if SHARED in bad:
            out.failed_sites.update(dict.fromkeys(remaining, reason[SHARED]))
            return
        out.failed_sites.update({o: reason[o] for o in bad})
        remaining = [x for x in remaining if x not in bad]


def _record(ctx: Context, device: Device, out: Outcome, section: Section) -> None:
    """Journal a section as applied before it is sent, so a crash mid-section can be undone."""
    _journal(ctx, "applied", host=device.name, **_fields(section))
    sent = ctx.applied.setdefault(device.name, [])
    if section not in sent:
        sent.append(section)
    out.changed = True


def _fields(section: Section) -> dict[str, Any]:
    return {"path": list(section.path), "lines": list(section.lines), "owner": section.owner}


def _owner_of(exc: DeviceError, sections: list[Section]) -> str:
    """The owner of the section whose line the device refused."""
    for section in sections:
        if exc.command in section.path or exc.command in section.lines:
            return section.owner
    return SHARED


def _failing_owners(facts: list[Fact]) -> set[str]:
    return {f.owner for f in facts if not f.ok}


def _fact_reason(facts: list[Fact], owner: str) -> str:
    bad = [f for f in facts if f.owner == owner and not f.ok]
    return "; ".join(f"{f.name}: expected {f.expected}, found {f.found}" for f in bad)


def _verify_sites(s: Session, device: Device, ctx: Context, sites: list[str], out: Outcome) -> None:
    live = [x for x in sites if x not in out.failed_sites]
    out.facts = read_facts(s, device, ctx, live)
    bad = _failing_owners(out.facts)
    for owner in bad:
        for site in live if owner == SHARED else [owner]:
            out.failed_sites.setdefault(site, _fact_reason(out.facts, owner))
    out.ok_sites = [x for x in live if x not in out.failed_sites]


def _compensate_failed(s: Session, device: Device, ctx: Context, state: DeviceState, out: Outcome) -> None:
    """Undo failed sites' sections; the shared ones too when no site on the device kept the service."""
    owners = list(out.failed_sites) + ([] if out.ok_sites else [SHARED])
    sections = [x for x in ctx.applied.get(device.name, []) if x.owner in owners]
    if sections:
        _compensate(s, device, ctx, state, out, sections)


def _compensate(
    s: Session, device: Device, ctx: Context, state: DeviceState, out: Outcome, sections: list[Section]
) -> None:
    """Bring the touched sections back to the backup, re-reading the device first."""
    from .restore import restore_plan, touched_equal

    if platform_for(device.platform).two_stage and s.round_trips == 0:
        # a new login after a lost session: a trial the old session left running is ended first
        with contextlib.suppress(DeviceError):
            s.commit("abort trial")
    (current,) = s.show("display current-configuration")
    undo, conflicts = restore_plan(state.running, current, sections)
    _journal(ctx, "compensate", host=device.name, sections=[_lines(x) for x in undo])
    try:
        s.configure(undo, context="undo")
        if platform_for(device.platform).two_stage:
            s.commit("commit")
    except DeviceError as exc:
        out.error = f"compensation failed: {exc}"
    (after,) = s.show("display current-configuration")
    left = touched_equal(state.running, after, sections)
    out.remaining = left + [f"conflict: {c.reason}: {'; '.join(c.lines)}" for c in conflicts]
    if not left:
        ctx.applied[device.name] = [x for x in ctx.applied.get(device.name, []) if x not in sections]
        out.changed = bool(ctx.applied[device.name])
        if sections:
            try:
                s.save()
                out.saved = True
            except DeviceError as exc:
                out.saved = False
                out.error = f"restored, not saved: {exc}"


def _lines(section: Section) -> list[str]:
    return [*section.path, *section.lines]


@timed
def compensate_device(task: Task, ctx: Context, sites: Sequence[str]) -> Result:
    """Roll back `sites` on a device this run changed (`ctx.applied`), e.g. a later stage failed.

    The shared objects go too when no other site on the device still has what this run applied.
    """
    device = ctx.devices[task.host.name]
    applied = ctx.applied.get(device.name, [])
    out = Outcome(device.name, changed=True)
    out.failed_sites = dict.fromkeys(sites, "compensated")
    out.ok_sites = [x for x in device.sites if x not in sites and any(a.owner == x for a in applied)]
    s = session(task, device)
    with s.exclusive():
        _compensate_failed(s, device, ctx, ctx.states[device.name], out)
    return Result(host=task.host, result=out, failed=bool(out.remaining))
