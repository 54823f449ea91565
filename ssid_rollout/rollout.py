"""The Python API: `Rollout(inventory, playbook).check()/plan()/push()/verify()/rollback()`.

The engine decides which hosts and sites each stage gets (switch -> BRAS -> AC, sites in
waves, a failure budget between waves) and runs one `nr.run` per stage; the device work is
in `tasks`. The CLI is a thin layer over this class.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .model import STAGE_ORDER, Device, Section
from .options import Options, check_options
from .probe import failure_reason
from .runfolder import Journal


@dataclass
class Report:
    """What a command found or did; `to_dict()` is the JSON report's documented shape."""

    command: str
    exit_code: int = 0
    run_dir: str | None = None
    change_id: str | None = None
    sites: dict[str, dict[str, Any]] = field(default_factory=dict)
    hosts: dict[str, dict[str, Any]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def masked(self, mask: Callable[[str], str]) -> Report:
        """The report with every string masked: rows carry device answers and planned lines."""
        self.sites, self.hosts, self.warnings = (
            _mask_all(self.sites, mask),
            _mask_all(self.hosts, mask),
            _mask_all(self.warnings, mask),
        )
        return self

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "exit_code": self.exit_code,
            "run_dir": self.run_dir,
            "change_id": self.change_id,
            "sites": self.sites,
            "hosts": self.hosts,
            "warnings": self.warnings,
        }


class Rollout:
    """One service, one inventory, one selection of hosts and sites."""

    def __init__(self, inventory: Path, playbook: Path, options: Options | None = None) -> None:
        from .inventory import load_inventory, select
        from .secrets import Masker, resolve_credentials, resolve_radius_keys
        from .spec import load_spec

        self.inventory, self.playbook = Path(inventory), Path(playbook)
        self.options = options or Options()
        o = self.options
        check_options(o)
        self.spec = load_spec(Path(playbook))
        loaded = load_inventory(self.inventory, self.spec)
        self.all_devices, self.specs = loaded.devices, loaded.specs
        self.settings, self._inventory = loaded.settings, loaded.nornir
        self.devices = select(
            self.all_devices, hosts=o.hosts, groups=o.groups, sites=o.sites, departments=o.departments
        )
        self.sites = sorted(
            {s for d in self.devices.values() for s in d.sites if not o.sites or s in o.sites}
        )
        self.special = {s: r for s, r in loaded.special_sites.items() if s in self.sites}
        self.credentials = resolve_credentials()
        bras = {n: d for n, d in self.devices.items() if d.role == "bras"}
        self.radius_keys = resolve_radius_keys(bras, shared=o.shared_radius_key)
        self.masker = Masker([self.credentials.password, *self.radius_keys.values()])

    # -- helpers ---------------------------------------------------------------------------------
    def spec_for(self, device: Device) -> Any:
        """The service as this host sees it: playbook plus its group/host overrides."""
        return self.specs[device.name]

    def site_hosts(self, site: str) -> dict[str, list[str]]:
        """Hosts of a site by role, among the selected devices."""
        out: dict[str, list[str]] = {r: [] for r in STAGE_ORDER}
        for name, d in self.devices.items():
            if site in d.sites:
                out[d.role].append(name)
        return out

    def _check_partial_sites(self) -> None:
        if self.options.partial_site:
            return
        for site in self.sites:
            every = {n for n, d in self.all_devices.items() if site in d.sites}
            missing = sorted(every - set(self.devices))
            if missing:
                raise InputError(
                    "--hosts/--groups",
                    f"site {site} would be pushed only in part (not selected: {', '.join(missing)}); "
                    "select the whole site or pass --partial-site",
                )

    def _nornir(self, run: Any = None, hosts: Sequence[str] | None = None) -> Any:
        from nornir.core.filter import F

        from .inventory import make_nornir
        from .tasks import CONNECTION, connection_options

        nr = make_nornir(self._inventory, self.options.workers).with_processors(list(self.options.processors))
        nr = nr.filter(F(name__any=list(hosts if hosts is not None else self.devices)))
        nr.inventory.defaults.username = self.credentials.username
        nr.inventory.defaults.password = self.credentials.password
        for name, host in nr.inventory.hosts.items():
            extras: dict[str, Any] = {
                "timeout": self.options.timeout,
                "accept_new_host_key": name in self.options.accept_new_host_key,
            }
            if run:
                extras["session_log"] = run.session_log(name)
                extras["on_write"] = run.on_write
            host.connection_options[CONNECTION] = connection_options(self.devices[name], **extras)
        return nr

    def _context(self, run: Any = None) -> Any:
        from .tasks import Context

        return Context(
            devices=self.devices,
            spec_for=self.spec_for,
            radius_keys=self.radius_keys,
            change_id=self.options.change_id or "adhoc",
            rotate_key=self.options.rotate_key,
            allow_unsaved=self.options.allow_unsaved,
            trial_seconds=self.options.trial_seconds,
            run=run,
        )

    def _finish(self, run: Any, report: Report) -> Report:
        """Close the run folder: end event, JSON report, and the people's artifacts."""
        from .artifacts import write_artifacts

        report.masked(self.masker.mask)
        run.journal("end", exit_code=report.exit_code)
        run.write_json("report.json", report.to_dict())
        write_artifacts(run, report, self.devices, self.spec)
        run.close()
        return report

    def _host_row(self, name: str, **fields: Any) -> dict[str, Any]:
        d = self.devices[name]
        return {"role": d.role, "sites": list(d.sites), "department": d.department, **fields}

    def _run_folder(self) -> tuple[Any, list[str]]:
        """The run's folder (new, or the one `--resume` continues) and what reading it warned of."""
        from .runfolder import RunFolder, runs_dir

        o = self.options
        if not o.change_id:
            raise InputError("--change-id", "push and rollback need a change id")
        if o.resume:
            return RunFolder.resume(Path(o.resume), self.masker.mask)
        return RunFolder.create(runs_dir(o.runs_dir), o.change_id, self.masker.mask), []

    def _guards(self) -> tuple[str | None, Any]:
        """Window first (nothing written when refused), then the device locks of this run."""
        from .guards import check_window
        from .state import Locks

        o = self.options
        override = check_window(
            o.window or self.settings.get("window"),
            o.timezone or self.settings.get("timezone"),
            force=o.force,
            reason=o.reason,
        )
        return override, Locks(o.change_id or "")

    def _lock(self, locks: Any, run: Any, report: Report, status: dict[str, Any]) -> None:
        """Refuse the sites of devices another live run holds; report stale locks taken over."""
        refused = locks.acquire(self.devices)
        for stale in locks.stale:
            report.warnings.append(f"stale lock taken over: {stale}")
        for host, holder in refused.items():
            report.hosts[host] = self._host_row(host, status="locked", reason=f"locked by change {holder}")
        for site in self.sites:
            held = [f"{h} (change {refused[h]})" for h in sorted(refused) if site in self.devices[h].sites]
            if held:
                status[site] = {"status": "refused", "reason": "locked by another run: " + ", ".join(held)}
        run.journal("locks", held=list(locks.held), refused=refused, stale=locks.stale)

    # -- check -----------------------------------------------------------------------------------
    def check(self) -> Report:
        """Does remote management answer on every host, with the right model behind it?"""
        from .tasks import check_device

        report = Report("check")

        nr = self._nornir()
        try:
            results = nr.run(task=check_device, ctx=self._context(), name="check")
        finally:
            nr.close_connections(on_failed=True)
        for name, multi in results.items():
            ok = not multi.failed
            value = _value(multi)
            reason = value if value is not None else failure_reason(multi[0].exception)
            report.hosts[name] = self._host_row(name, status="ok" if ok else "unreachable", reason=reason)
        report.exit_code = 0 if all(h["status"] == "ok" for h in report.hosts.values()) else 1
        return report.masked(self.masker.mask)

    # -- plan ------------------------------------------------------------------------------------
    def _read(self, nr: Any, ctx: Any) -> dict[str, str]:
        """Read and plan every host; returns the hosts that could not be read, with the reason."""
        from .tasks import read_device

        sites = list(self.options.sites) or None
        results = nr.run(task=read_device, ctx=ctx, sites=sites, name="read")
        return {n: failure_reason(m[0].exception) for n, m in results.items() if m.failed}

    def plan(self) -> Report:
        """Render, read and diff every host; enters no configuration mode anywhere."""
        report = Report("plan")
        ctx = self._context()
        nr = self._nornir()
        try:
            unreadable = self._read(nr, ctx)
        finally:
            nr.close_connections(on_failed=True)
        for name in self.devices:
            if name in unreadable:
                report.hosts[name] = self._host_row(name, status="unreachable", reason=unreadable[name])
                continue
            report.hosts[name] = self._host_row(name, **_plan_row(ctx.states[name].plan))
        report.exit_code = (
            1 if any(h["status"] in ("conflict", "unreachable") for h in report.hosts.values()) else 0
        )
        return report.masked(self.masker.mask)

    # -- push ------------------------------------------------------------------------------------
    def waves(self, sites: list[str]) -> list[list[str]]:
        o = self.options
        out: list[list[str]] = []
        rest = list(sites)
        if o.canary:
            out.append(rest[: o.canary])
            rest = rest[o.canary :]
        size = o.wave_size or len(rest) or 1
        out += [rest[i : i + size] for i in range(0, len(rest), size)]
        return [w for w in out if w]

    def push(self) -> Report:
        """Apply the plan site by site and stage by stage, verifying and saving each device."""
        self._check_partial_sites()
        override, locks = self._guards()
        run, warnings = self._run_folder()
        report = Report("push", run_dir=str(run.path), change_id=self.options.change_id, warnings=warnings)
        run.journal(
            "start",
            command="push",
            hosts=list(self.devices),
            sites=self.sites,
            resume=bool(self.options.resume),
        )
        if override:
            report.warnings.append(override)
            run.journal("guard-override", text=override)
        status: dict[str, Any] = {}
        self._lock(locks, run, report, status)
        free = [n for n in self.devices if n in locks.held]
        groups = self._shards()
        try:
            if len(groups) > 1:
                from .shards import push_shards

                push_shards(self, run, groups, free, status, report)
            else:
                self.push_sites(run, free, status, report)
        finally:
            locks.release()
            run.close()  # also when the run stops on an exception; _finish reopens the journal
        report.exit_code = _exit_code(report)
        return self._finish(run, report)

    def _shards(self) -> list[list[str]]:
        """Groups of sites for worker processes (see shards.py); one group when the run needs a
        single engine: waves or a canary (their gates see every site), or a caller's processors."""
        from .progress import Progress
        from .shards import partition, processes_for

        o = self.options
        count = processes_for(len(self.devices), o.processes)
        staged = o.canary or (o.wave_size and o.wave_size < len(self.sites))
        foreign = any(not isinstance(p, Progress) for p in o.processors)
        if count < 2 or staged or foreign:
            return [self.sites]
        return partition(self.devices, self.sites, count)

    def push_sites(
        self, run: Any, free: list[str], status: dict[str, Any], report: Report, plan_file: str = "plan.json"
    ) -> None:
        """Read, plan and push the selected sites on the `free` (locked for us) hosts: the engine."""
        ctx = self._context(run)
        nr = self._nornir(run, free)
        try:
            unreadable = self._read(nr, ctx) if free else {}
            run.write_json(plan_file, {n: _plan_row(s.plan) for n, s in ctx.states.items()})
            status.update(
                {
                    k: v
                    for k, v in self._initial_site_status(ctx, unreadable, report).items()
                    if k not in status
                }
            )
            total = len(self.sites) or 1
            stop: str | None = None
            for n, wave in enumerate(self.waves([s for s in self.sites if s not in status])):
                stop = stop or self._wave_gate(n, status, total)
                if stop:
                    status.update({site: {"status": "not-started", "reason": stop} for site in wave})
                    continue
                self._push_wave(nr, ctx, wave, status, report)
            for site in self.sites:
                status.setdefault(site, {"status": "done"})
            report.sites = status
        finally:
            nr.close_connections(on_failed=True)
        for name in self.devices:
            report.hosts.setdefault(name, self._host_row(name, status="unchanged"))
        _add_timings(report, ctx)

    def _wave_gate(self, n: int, status: dict[str, Any], total: int) -> str | None:
        """Why no further wave may start: the failure budget, or a declined canary."""
        failed = sum(1 for v in status.values() if v["status"] in ("failed", "rolled-back"))
        if 100.0 * failed / total > self.options.max_fail_percent:
            return f"failure budget exceeded ({failed} of {total} sites failed)"
        o = self.options
        if n == 1 and o.canary and o.confirm and not o.confirm(f"Canary wave of {o.canary} site(s) done."):
            return "stopped after the canary wave"
        return None

    def _initial_site_status(self, ctx: Any, unreadable: dict[str, str], report: Report) -> dict[str, Any]:
        status: dict[str, Any] = {}
        for name, reason in unreadable.items():
            report.hosts[name] = self._host_row(name, status="unreachable", reason=reason)
        for name, state in ctx.states.items():
            if state.plan.blocked:
                report.hosts[name] = self._host_row(name, **_plan_row(state.plan))
        for site in self.sites:
            hosts = [h for hs in self.site_hosts(site).values() for h in hs]
            down = [h for h in hosts if h in unreadable]
            blocked = [h for h in hosts if h in ctx.states and ctx.states[h].plan.blocked]
            if down:
                status[site] = {"status": "unreachable", "reason": f"unreachable: {', '.join(down)}"}
            elif blocked:
                status[site] = {
                    "status": "blocked",
                    "reason": f"conflict or missing prerequisite on {', '.join(blocked)}",
                }
            elif site in self.special and site not in self.options.approve_sites:
                status[site] = {
                    "status": "skipped",
                    "reason": f"special site ({self.special[site]}); needs --approve-site",
                }
        return status

    def _push_wave(self, nr: Any, ctx: Any, wave: list[str], status: dict[str, Any], report: Report) -> None:
        """One wave: each stage's devices in one `nr.run`; failed sites leave later stages."""
        from nornir.core.filter import F

        from .tasks import push_device

        live = list(wave)
        for role in STAGE_ORDER:
            hosts = [n for n, d in self.devices.items() if d.role == role and any(s in d.sites for s in live)]
            if not hosts or not live:
                continue
            results = nr.filter(F(name__any=hosts)).run(
                task=push_device, ctx=ctx, sites=live, name=f"push {role}", on_failed=True
            )
            for name, multi in results.items():
                out = _value(multi)
                if out is None:
                    reason = failure_reason(multi[0].exception)
                    report.hosts[name] = self._host_row(name, status="failed", reason=reason)
                    failed = {site: reason for site in live if site in self.devices[name].sites}
                else:
                    report.hosts[name] = self._host_row(name, **_outcome_row(out))
                    failed = out.failed_sites
                for site, reason in failed.items():
                    status[site] = {
                        "status": "failed",
                        "reason": reason if reason.startswith(name) else f"{name}: {reason}",
                    }
            live = [s for s in live if s not in status]
        failed_sites = [s for s in wave if s in status and status[s]["status"] == "failed"]
        if failed_sites and self.options.on_failure == "rollback-site":
            self._compensate_sites(nr, ctx, failed_sites, status, report)

    def _compensate_sites(
        self, nr: Any, ctx: Any, sites: list[str], status: dict[str, Any], report: Report
    ) -> None:
        """Undo failed sites on every device this run changed for them, last stage first."""
        for role in reversed(STAGE_ORDER):
            hosts = [
                n
                for n, d in self.devices.items()
                if d.role == role and self._needs_undo(ctx, n, sites, status)
            ]
            for name in hosts:
                self._compensate_host(nr, ctx, name, sites, report, "compensate")
        for site in sites:
            if status[site]["status"] == "failed":
                status[site]["status"] = "rolled-back"

    def _needs_undo(self, ctx: Any, name: str, sites: list[str], status: dict[str, Any]) -> bool:
        """A failed site's sections are on the device, or shared ones no working site still needs."""
        applied = ctx.applied.get(name, [])
        if any(a.owner in sites for a in applied):
            return True
        working = [
            x for x in self.devices[name].sites if x in self.sites and x not in sites and x not in status
        ]
        return bool(applied) and not working

    def _compensate_host(
        self, nr: Any, ctx: Any, name: str, sites: list[str], report: Report, label: str
    ) -> None:
        from nornir.core.filter import F

        from .tasks import compensate_device

        results = nr.filter(F(name=name)).run(
            task=compensate_device, ctx=ctx, sites=sites, name=label, on_failed=True
        )
        out = _value(results[name])
        if out is None:
            remaining = [x for sec in ctx.applied.get(name, []) for x in (*sec.path, *sec.lines)]
            reason = failure_reason(results[name][0].exception)
            report.hosts[name] = self._host_row(
                name,
                status="manual-action-needed",
                reason=f"compensation failed: {reason}",
                remaining=remaining,
            )
            return
        row = _outcome_row(out)
        if not out.remaining:
            row["status"] = "rolled-back" if not ctx.applied.get(name) else "changed"
            if out.saved is False:  # the saved configuration still has the change: it comes back on reboot
                row["status"] = "rolled-back-not-saved"
        report.hosts[name] = self._host_row(name, **row)

    # -- verify ----------------------------------------------------------------------------------
    def verify(self) -> Report:
        """Compare every selected device's parsed state with the service description."""
        from .tasks import verify_task

        report = Report("verify")
        ctx = self._context()
        sites = list(self.options.sites) or None
        nr = self._nornir()
        try:
            results = nr.run(task=verify_task, ctx=ctx, sites=sites, name="verify")
        finally:
            nr.close_connections(on_failed=True)
        for name, multi in results.items():
            facts = _value(multi)
            if facts is None:
                report.hosts[name] = self._host_row(
                    name,
                    status="unreachable",
                    reason=failure_reason(multi[0].exception),
                )
                continue
            bad = [f for f in facts if not f.ok]
            report.hosts[name] = self._host_row(
                name, status="failed" if bad else "ok", facts=[_fact_row(f) for f in facts]
            )
        report.exit_code = 0 if all(h["status"] == "ok" for h in report.hosts.values()) else 1
        return report.masked(self.masker.mask)

    # -- rollback --------------------------------------------------------------------------------
    def rollback(self, source: Path) -> Report:
        """Restore what run `source` changed, from its journal and backups, re-reading each device."""
        from .runfolder import RunFolder
        from .tasks import DeviceState

        source = Path(source)
        if source.is_symlink() or not (source / "journal.jsonl").is_file():
            raise InputError("--run", f"{source} is not a run folder (no journal.jsonl)")
        previous = RunFolder(source, self.masker.mask)
        journal = previous.read_journal()
        touched = touched_sections(journal)
        override, locks = self._guards()
        run, _ = self._run_folder()
        report = Report("rollback", run_dir=str(run.path), change_id=self.options.change_id)
        report.warnings += journal.warnings
        run.journal("start", command="rollback", source=str(source))
        if override:
            report.warnings.append(override)
            run.journal("guard-override", text=override)
        ctx = self._context(run)
        refused = locks.acquire([h for h in touched if h in self.devices])
        for host, holder in refused.items():
            report.hosts[host] = self._host_row(host, status="locked", reason=f"locked by change {holder}")
        hosts = [h for h in touched if h in self.devices and h not in refused]
        nr = self._nornir(run, hosts)
        try:
            for name in hosts:
                running = previous.backup(name) or ""
                ctx.states[name] = DeviceState("", running, running, _empty_plan(self.devices[name]))
                ctx.applied[name] = touched[name]
                self._compensate_host(nr, ctx, name, list(self.devices[name].sites), report, "rollback")
        finally:
            nr.close_connections(on_failed=True)
            locks.release()
            run.close()  # also when the run stops on an exception; _finish reopens the journal
        _add_timings(report, ctx)
        report.exit_code = _exit_code(report)
        return self._finish(run, report)


def _value(multi: Any) -> Any:
    """A task's result, or None when it raised (Nornir then puts the traceback text in `result`)."""
    return None if multi[0].exception is not None else multi[0].result


def _add_timings(report: Report, ctx: Any) -> None:
    """Per host: seconds spent in its tasks and round trips (writes that waited for an answer)."""
    for name, row in report.hosts.items():
        row["seconds"] = round(ctx.seconds.get(name, 0.0), 3)
        row["round_trips"] = ctx.round_trips.get(name, 0)


def _mask_all(value: Any, mask: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return mask(value)
    if isinstance(value, dict):
        return {k: _mask_all(v, mask) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_mask_all(v, mask) for v in value]
    return value


def touched_sections(journal: Journal) -> dict[str, list[Section]]:
    """The sections a run may have left on each host, from its journal.

    `applied` is written before a section is sent; `discarded` (a VRPv8 candidate cleared or a
    trial aborted) drops what that host staged since its last confirmed commit. An event without
    the fields rollback needs means the journal was damaged: refused, naming the line.
    """
    out: dict[str, list[Section]] = {}
    staged: dict[str, int] = {}
    for number, e in journal.events:
        kind = e["event"]
        if kind not in ("applied", "discarded", "committed"):
            continue
        host = e.get("host")
        if not isinstance(host, str):
            raise InputError(journal.where(number), f"a {kind!r} event without its host")
        if kind == "applied":
            path, lines, owner = _strings(e.get("path")), _strings(e.get("lines")), e.get("owner")
            if path is None or lines is None or not isinstance(owner, str):
                raise InputError(journal.where(number), "an 'applied' event without path, lines and owner")
            out.setdefault(host, []).append(Section(path, lines, owner))
        elif kind == "discarded":
            out[host] = out.get(host, [])[: staged.get(host, 0)]
        else:
            staged[host] = len(out.get(host, []))
    # a resumed run journals a section again when it re-sends it: undo it once
    return {h: list(dict.fromkeys(sections)) for h, sections in out.items() if sections}


def _strings(value: Any) -> tuple[str, ...] | None:
    """A journal's list of strings, or None for anything else."""
    if isinstance(value, list) and all(isinstance(x, str) for x in value):
        return tuple(value)
    return None


def _empty_plan(device: Device) -> Any:
    from .model import HostPlan

    return HostPlan(device.name, device.role, device.platform)


def _plan_row(plan: Any) -> dict[str, Any]:
    if plan.error:
        status = "unreachable"
    elif plan.conflicts:
        status = "conflict"
    elif plan.missing:
        status = "missing-prerequisite"
    else:
        status = "change" if plan.changes else "unchanged"
    return {
        "status": status,
        "forward": [{"owner": s.owner, "path": list(s.path), "lines": list(s.lines)} for s in plan.forward],
        "undo": [{"owner": s.owner, "path": list(s.path), "lines": list(s.lines)} for s in plan.undo],
        "conflicts": [{"reason": c.reason, "lines": list(c.lines)} for c in plan.conflicts],
        "missing": [{"what": p.what, "lines": list(p.lines)} for p in plan.missing],
        "warnings": list(plan.warnings),
        "unsaved": list(plan.unsaved),
    }


def _fact_row(f: Any) -> dict[str, Any]:
    return {"name": f.name, "owner": f.owner, "expected": f.expected, "found": f.found, "ok": f.ok}


def _outcome_row(out: Any) -> dict[str, Any]:
    if out.remaining:
        status = "manual-action-needed"
    elif out.saved is False:
        status = "applied-not-saved"
    elif out.failed_sites and not out.ok_sites:
        status = "failed"
    elif out.changed:
        status = "changed"
    else:
        status = "unchanged"
    return {
        "status": status,
        "ok_sites": out.ok_sites,
        "failed_sites": out.failed_sites,
        "error": out.error,
        "remaining": out.remaining,
        "facts": [_fact_row(f) for f in out.facts],
    }


def _exit_code(report: Report) -> int:
    if any(h.get("status") == "manual-action-needed" for h in report.hosts.values()):
        return 4
    if any(h.get("status") == "locked" for h in report.hosts.values()):
        return 3
    bad_sites = any(v["status"] != "done" for v in report.sites.values())
    bad_hosts = any(
        h.get("status") in ("failed", "applied-not-saved", "rolled-back-not-saved", "unreachable")
        for h in report.hosts.values()
    )
    return 1 if bad_sites or bad_hosts else 0
