"""The Python API: `Rollout(inventory, playbook, Options(...)).check()/plan()/push()/verify()/rollback()`.

This class loads and selects (inventory, playbook, filters, secrets) and puts the pieces together:
the engine (engine.py) pushes, compensation (compensation.py) goes back, the run's life cycle
(runlife.py) guards, locks and writes the folder. The CLI is a thin layer over this class.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .i18n import _
from .model import Device, HostPlan, Section
from .options import Options, check_options
from .probe import failure_reason
from .report import HostRow, Report, Status, plan_fields, plan_json
from .runfolder import RunFolder

if TYPE_CHECKING:
    from nornir.core import Nornir

    from .results import RunSettings
    from .runlife import Run
    from .scope import Observer, Scope
    from .secrets import CommandSecrets

__all__ = ["Options", "Report", "Rollout"]


class Rollout:
    """One service, one inventory, one selection of hosts and sites."""

    def __init__(self, inventory: Path, playbook: Path, options: Options | None = None) -> None:
        from .cluster import cluster_address
        from .inventory import load_inventory
        from .inventory_files import hint
        from .selection import expand, select
        from .spec import load_spec

        self.inventory, self.playbook = Path(inventory), Path(playbook)
        self.options = options or Options()
        o = self.options
        check_options(o)
        self.spec = load_spec(Path(playbook))
        loaded = load_inventory(self.inventory, self.spec)
        self.all_devices, self.specs = loaded.devices, loaded.specs
        self.settings, self._inventory = loaded.settings, loaded.nornir
        self.directory = loaded.directory
        self.devices = select(
            self.all_devices, hosts=o.hosts, groups=o.groups, sites=o.sites, departments=o.departments
        )
        served = {s for d in self.devices.values() for s in d.sites}
        #: the sites the filters name (all the selected devices' sites without --site)
        self.chosen_sites = expand("sites", o.sites, served) if o.sites else None
        self.sites = sorted(self.chosen_sites or served)
        for site in o.canary_sites:
            if site not in self.sites:
                unknown = _("{site} is not a selected site").format(site=repr(site))
                raise InputError("--canary-site", unknown + hint(site, self.sites))
        self.special = {s: r for s, r in loaded.special_sites.items() if s in self.sites}
        self.secrets = self._secrets()
        self._stop = threading.Event()
        self.interrupted_by: str | None = None
        #: the Dask scheduler check, push and rollback run on (cluster.py); its workers hold the secrets
        self.cluster = cluster_address(o)

    def interrupt(self, signal_name: str = "SIGINT") -> None:
        """Stop the run as an operator's Ctrl-C does: no new host or site starts, hosts at work finish
        the section they are in, and the run ends with every artifact marked interrupted."""
        self.interrupted_by = self.interrupted_by or signal_name
        self._stop.set()

    def __getstate__(self) -> dict[str, Any]:
        """What a cluster worker gets (cluster.py): no secret (it resolves its own), nothing of this
        process."""
        return {k: v for k, v in self.__dict__.items() if k not in ("secrets", "_stop")}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state, _stop=threading.Event())
        self.secrets = self._secrets()

    def _secrets(self) -> CommandSecrets:
        """The selected hosts' secrets, none resolved yet."""
        from .secrets import CommandSecrets

        o = self.options
        return CommandSecrets(self.devices, shared_key=o.shared_radius_key, new_keys=o.accept_new_host_key)

    def part(self, hosts: Sequence[str], sites: Sequence[str], workers: int) -> Rollout:
        """This rollout narrowed to `hosts` and `sites`, for a cluster worker: no secrets, no processors,
        no question to ask; it runs there as one engine of `workers` sessions."""
        from .selection import narrow

        part = copy.copy(self)  # through __getstate__: what stays here stays here
        keep = set(hosts)
        part.devices = part.all_devices = {n: d for n, d in self.devices.items() if n in keep}
        part.specs = {n: s for n, s in self.specs.items() if n in keep}
        part.sites = list(sites)
        part.special = {s: r for s, r in self.special.items() if s in part.sites}
        part._inventory = narrow(self._inventory, keep)
        part.cluster = None
        part.options = replace(
            self.options,
            hosts=tuple(hosts),
            sites=tuple(sites),
            groups=(),
            departments=(),
            workers=workers,
            partial_site=True,
            processes=1,
            cluster=None,
            confirm=None,
            processors=(),
        )
        part.secrets = part._secrets()
        return part

    def mask(self, text: str) -> str:
        """Every secret this command knows of, and anything that looks like one, as ******."""
        return self.secrets.mask(text)

    # -- helpers ------------------------------------------------------------------------------------
    def spec_for(self, device: Device) -> Any:
        """The service as this host sees it: playbook plus its group/host overrides."""
        return self.specs[device.name]

    def row(self, name: str, **fields: Any) -> HostRow:
        d = self.devices[name]
        return HostRow(d.role, tuple(d.sites), d.department, **fields)

    def preflight(self) -> None:
        """What push or rollback would refuse before contacting any device (the window, a partial site,
        the RADIUS keys), for a caller that asks the operator before starting."""
        from .approvals import approvals
        from .guards import check_window

        o = self.options
        check_window(
            o.window or self.settings.get("window"),
            o.timezone or self.settings.get("timezone"),
            force=o.force,
            reason=o.reason,
        )
        self._check_whole_sites()
        approvals(o, self.directory, self.special)  # an approved special site needs its approver's name

    def sites_to_push(self) -> list[str]:
        """The selected sites a push goes to: special sites need an approval."""
        approved = set(self.options.approve_sites)
        return [s for s in self.sites if s not in self.special or s in approved]

    def touched_by(self, source: Path) -> dict[str, list[Section]]:
        """What run `source` left on the selected hosts, by its journal (InputError if it is none)."""
        from .runfolder import read_journal

        source = Path(source)
        if source.is_symlink() or not (source / "journal.jsonl").is_file():
            raise InputError("--run", _("{path} is not a run folder (no journal.jsonl)").format(path=source))
        touched = read_journal(source / "journal.jsonl").touched_sections()
        return {h: s for h, s in touched.items() if h in self.devices}

    def _check_whole_sites(self) -> None:
        from .selection import check_whole_sites

        if not self.options.partial_site:
            check_whole_sites(self.sites, self.all_devices, self.devices)

    def _site_filter(self) -> list[str] | None:
        """The sites a read or verify is limited to (None: every site of each device)."""
        return sorted(self.chosen_sites) if self.chosen_sites else None

    def _prepare(self, command: str, hosts: Sequence[str]) -> None:
        """Before the run folder: the secrets (push), or on a cluster its guards instead: reachable, a
        worker for each DCN, every worker with the secrets of its hosts (cluster.py)."""
        if self.cluster is None:
            if command == "push":
                self.secrets.resolve(radius_keys=True)
            return
        from .cluster import preflight

        self.secrets.remote = True
        preflight(self, command, hosts)

    def nornir(self, folder: RunFolder | None = None, hosts: Sequence[str] | None = None) -> Nornir:
        """Nornir over the selected hosts, each pinned to its validated address and identity."""
        from nornir.core.filter import F

        from .connection import CONNECTION, connection_options
        from .platforms import platform_for
        from .processors import Journaled, Timings
        from .selection import make_nornir

        for name in {d.platform for d in self.devices.values()}:
            platform_for(name).driver()  # imported here: a first import in many threads at once races
        processors = [*self.options.processors, Timings()]
        if folder is not None:
            processors.append(Journaled(folder))
        nr = make_nornir(self._inventory, self.options.workers).with_processors(processors)
        nr = nr.filter(F(name__any=list(hosts if hosts is not None else self.devices)))
        for name, host in nr.inventory.hosts.items():
            login = self.secrets.logins[name]
            host.username, host.password = login.username, login.password
            extras: dict[str, Any] = {
                "timeout": self.options.timeout,
                "accept_new_host_key": name in self.options.accept_new_host_key,
            }
            if self.devices[name].jump:
                extras["jump"] = (self.secrets.jumps, self.devices[name].jump)
            if folder is not None:
                extras["session_log"] = folder.session_log(name)
                extras["on_write"] = folder.on_write
            host.connection_options[CONNECTION] = connection_options(self.devices[name], **extras)
        return nr

    def observers(self) -> list[Observer]:
        from .scope import Observer

        return [p for p in self.options.processors if isinstance(p, Observer)]

    def run_settings(self, folder: RunFolder | None = None) -> RunSettings:
        from .results import RunSettings

        o = self.options
        watching = self.observers()

        def on_step(host: str, step: str) -> None:
            for observer in watching:
                observer.host_step(host, step)

        return RunSettings(
            devices=self.devices,
            specs=self.specs,
            radius_keys=self.secrets.radius_keys if self.secrets.keys_needed else {},
            change_id=o.change_id or "adhoc",
            rotate_key=o.rotate_key,
            allow_unsaved=o.allow_unsaved,
            trial_seconds=o.trial_seconds,
            journal=folder.journal if folder is not None else None,
            on_step=on_step if watching else None,
            stop=self._stop,
        )

    def scope(self, folder: RunFolder | None = None, sites: Sequence[str] | None = None) -> Scope:
        from .scope import Scope

        o = self.options
        return Scope(
            devices=self.devices,
            sites=list(self.sites if sites is None else sites),
            special=self.special,
            approved=tuple(o.approve_sites),
            settings=self.run_settings(folder),
            wave_size=o.wave_size,
            canary=o.canary,
            canary_sites=tuple(o.canary_sites),
            max_fail_percent=o.max_fail_percent,
            on_failure=o.on_failure,
            confirm=o.confirm,
            observers=self.observers(),
        )

    def _each(self, task: Any, name: str, **params: Any) -> dict[str, tuple[Any, BaseException | None]]:
        """One task over every selected host: {host: (result, exception)}."""
        from .tasks import value

        nr = self.nornir()
        try:
            results = nr.run(task=task, run=self.run_settings(), name=name, **params)
        finally:
            nr.close_connections(on_failed=True)
        return {n: (value(m), m[0].exception) for n, m in results.items()}

    # -- check ----------------------------------------------------------------------------------------
    def check(self) -> Report:
        """Does remote management answer on every host, with the right device behind it?"""
        from .platforms import platform_for
        from .tasks import check_device

        if self.cluster is not None:
            from .cluster import check_on_cluster

            self.secrets.remote = True
            return check_on_cluster(self).masked(self.mask)
        report = Report("check")
        for name, (found, exc) in self._each(check_device, "check").items():
            reason = found if found is not None else failure_reason(exc)
            ok = found == "ok"
            said = platform_for(self.devices[name].platform).warnings  # telnet: the password in clear text
            report.hosts[name] = self.row(
                name, status=Status.OK if ok else Status.UNREACHABLE, reason=reason, warnings=said or None
            )
        report.exit_code = 0 if all(h.status == Status.OK for h in report.hosts.values()) else 1
        return report.masked(self.mask)

    # -- plan -----------------------------------------------------------------------------------------
    def plan(self) -> Report:
        """Render, read and diff every host; enters no configuration mode anywhere."""
        from .engine import Engine

        self.secrets.resolve(radius_keys=True)
        report = Report("plan")
        nr = self.nornir()
        engine = Engine(self.scope(), nr, report)
        try:
            unreadable = engine.read(list(self.devices), self._site_filter())
        finally:
            nr.close_connections(on_failed=True)
        for name in self.devices:
            if name in unreadable:
                report.hosts[name] = self.row(name, status=Status.UNREACHABLE, reason=unreadable[name])
            else:
                report.hosts[name] = self.row(name, **plan_fields(engine.reads[name].plan))
        report.exit_code = report.exit_code_now()
        return report.masked(self.mask)

    # -- push -----------------------------------------------------------------------------------------
    def push(self) -> Report:
        """Apply the plan site by site and stage by stage, verifying and saving each device."""
        from .approvals import approvals, record
        from .runlife import close_run, finish, guarded, lock_devices, open_run

        self._check_whole_sites()
        self._prepare("push", list(self.devices))
        found = approvals(self.options, self.directory, self.special)
        run = open_run("push", self.options, self.settings, self.mask)
        record(run, found)
        try:
            with guarded(run):
                free = lock_devices(run, self.devices, self.sites, list(self.devices), self.row)
                # a resumed run: what its first part applied is this run's too (rows, compensation)
                before = run.folder.read_journal().touched_sections() if self.options.resume else {}
                run.folder.journal("plan", hosts=list(self.devices), sites=self.sites)
                plans = self._push_free(run, free, before)
            rows = {n: plan_json(p) for n, p in plans.items()}
            if before:  # the work orders keep the commands the first part sent
                earlier = run.folder.plans()
                rows |= {n: earlier[n] for n in before if n in earlier and not rows.get(n, {}).get("forward")}
            run.folder.write_json("plan.json", rows)
            run.report.interrupted = self.interrupted_by
            return finish(run, self.devices, self.spec, None if before else plans, self.directory)
        finally:
            close_run(run)

    def _push_free(self, run: Run, free: list[str], before: dict[str, list[Section]]) -> dict[str, HostPlan]:
        """The engine over the free hosts: in this process, or on a Dask cluster (the scheduler given, or
        a local one for a large push: cluster.py); returns the plans it pushed."""
        from .cluster import local_processes, push_on_cluster

        if self.cluster is None and local_processes(self) < 2:
            return self.push_group(run.folder, run.report, free, self.sites, before)
        return push_on_cluster(self, run, free, before)

    def push_group(
        self,
        folder: RunFolder,
        report: Report,
        free: list[str],
        sites: Sequence[str],
        before: dict[str, list[Section]] | None = None,
    ) -> dict[str, HostPlan]:
        """One engine over `sites` on the `free` hosts (a cluster worker runs one for its group);
        `before`: what this run applied already (a resumed run's first part: its hosts are changed)."""
        from .engine import Engine

        nr = self.nornir(folder, free)
        engine = Engine(
            self.scope(folder, sites),
            nr,
            report,
            folder,
            earlier=set(before or ()),
        )
        try:
            engine.push(free)
        finally:
            nr.close_connections(on_failed=True)
            engine.record_timings()
        return {n: r.plan for n, r in engine.reads.items()}

    # -- verify ---------------------------------------------------------------------------------------
    def verify(self) -> Report:
        """Compare every selected device's parsed state with the service description."""
        from .tasks import verify_task

        report = Report("verify")
        sites = self._site_filter()
        for name, (facts, exc) in self._each(verify_task, "verify", sites=sites).items():
            if facts is None:
                report.hosts[name] = self.row(name, status=Status.UNREACHABLE, reason=failure_reason(exc))
                continue
            status = Status.FAILED if any(not f.ok for f in facts) else Status.OK
            report.hosts[name] = self.row(name, status=status, facts=tuple(facts))
        report.exit_code = report.exit_code_now()
        return report.masked(self.mask)

    # -- rollback -------------------------------------------------------------------------------------
    def rollback(self, source: Path) -> Report:
        """Restore what run `source` changed, from its journal and backups, re-reading each device."""
        from .runfolder import RunFolder
        from .runlife import close_run, finish, guarded, lock_devices, open_run

        touched = self.touched_by(source)
        if self.cluster is not None:
            self._prepare("rollback", list(touched))
        previous = RunFolder(Path(source), self.mask)
        journal = previous.read_journal()
        run = open_run("rollback", self.options, self.settings, self.mask)
        run.report.warnings += journal.warnings
        run.folder.journal("source", source=str(source))
        try:
            with guarded(run):
                free = lock_devices(run, self.devices, [], list(touched), self.row)
                backups = {h: previous.backup(h) or "" for h in free}
                undo = {h: touched[h] for h in free}
                if self.cluster is None:
                    self.undo_group(run.folder, run.report, undo, backups)
                else:
                    from .cluster import undo_on_cluster

                    undo_on_cluster(self, run, undo, backups)
            return finish(run, self.devices, self.spec, directory=self.directory)
        finally:
            close_run(run)

    def undo_group(
        self,
        folder: RunFolder,
        report: Report,
        touched: dict[str, list[Section]],
        backups: dict[str, str],
        label: str = "rollback",
    ) -> None:
        """Bring `touched` ({host: sections a run left}) back to `backups`, in parallel stages (a cluster
        worker runs one for its hosts, and compensates a lost worker's with `label` "compensate")."""
        from .compensation import rollback_run
        from .engine import Engine

        nr = self.nornir(folder, list(touched))
        engine = Engine(self.scope(folder, sites=[]), nr, report, folder)
        try:
            rollback_run(engine, touched, backups, label)
        finally:
            nr.close_connections(on_failed=True)
            engine.record_timings()
