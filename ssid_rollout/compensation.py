"""The way back: undo failed sites during a push, and `rollback --run` of a whole run, in parallel.

Both run in stages opposite to the push (ACs, then BRAS, then switches), one `nr.run` a stage, so
the SSID goes off air before its path is taken away; each host's work is `tasks.compensate_device`
from the engine's ledger (or the run's journal) and the backup taken before the change. Shared
objects on a BRAS or AC are undone only when no other site on it keeps the service.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from .model import STAGE_ORDER, Section
from .probe import failure_reason
from .report import Report, Status, outcome_fields
from .results import ReadResult
from .scope import Scope
from .tasks import compensate_device, value

if TYPE_CHECKING:
    from nornir.core import Nornir
    from nornir.core.task import Result, Task

    from .results import RunSettings


class Stages(Protocol):
    """What the way back works with (engine.Engine is one): the rollout, its Nornir, its report rows,
    the reads made before the change, and the ledger of what this run left on each device."""

    scope: Scope
    nr: Nornir
    report: Report
    reads: dict[str, ReadResult]
    ledger: dict[str, list[Section]]


def compensate_sites(engine: Stages, sites: list[str]) -> None:
    """Undo failed `sites` on every device this run changed for them; the sites become rolled-back."""
    scope = engine.scope
    hosts = {
        name: [s for s in sites if s in device.sites]
        for name, device in scope.devices.items()
        if name in engine.reads and _needs_undo(engine, name, sites)
    }
    backups = {name: engine.reads[name].backup for name in hosts}
    undo_hosts(engine, hosts, backups, "compensate")
    for site in sites:
        if engine.report.sites[site].status == Status.FAILED:
            engine.report.sites[site].status = Status.ROLLED_BACK


def _needs_undo(engine: Stages, name: str, sites: list[str]) -> bool:
    """A failed site's sections are on the device, or shared ones no working site still needs."""
    applied = engine.ledger.get(name, [])
    if any(a.owner in sites for a in applied):
        return True
    working = [
        x
        for x in engine.scope.devices[name].sites
        if x in engine.scope.sites and x not in sites and x not in engine.report.sites
    ]
    return bool(applied) and not working


def undo_hosts(
    engine: Stages, hosts: Mapping[str, Sequence[str]], backups: Mapping[str, str], label: str
) -> None:
    """Undo `hosts` ({host: its sites to undo}) stage by stage, last stage first, hosts of a stage in
    parallel; each host's row tells what became of it and the ledger what is left on it."""
    from nornir.core.filter import F

    scope, report = engine.scope, engine.report
    for role in reversed(STAGE_ORDER):
        names = [n for n in hosts if scope.devices[n].role == role]
        if not names:
            continue
        results = engine.nr.filter(F(name__any=names)).run(
            task=undo_host,
            run=scope.settings,
            backups=backups,
            ledger=engine.ledger,
            sites=hosts,
            name=f"{label} {role}",
            on_failed=True,
        )
        for name, multi in results.items():
            result = value(multi)
            if result is None:
                remaining = tuple(x for sec in engine.ledger.get(name, []) for x in (*sec.path, *sec.lines))
                reason = f"compensation failed: {failure_reason(multi[0].exception)}"
                report.hosts[name] = scope.row(
                    name, status=Status.MANUAL_ACTION_NEEDED, reason=reason, remaining=remaining
                )
                continue
            engine.ledger[name] = list(result.applied)
            fields: dict[str, Any] = outcome_fields(result)
            if not result.outcome.remaining:
                fields["status"] = Status.CHANGED if result.applied else Status.ROLLED_BACK
                if result.outcome.saved is False:  # the saved configuration still has the change
                    fields["status"] = Status.ROLLED_BACK_NOT_SAVED
            report.hosts[name] = scope.row(name, **fields)


def undo_host(
    task: Task,
    run: RunSettings,
    backups: Mapping[str, str],
    ledger: Mapping[str, Sequence[Section]],
    sites: Mapping[str, Sequence[str]],
) -> Result:
    """`compensate_device` for a stage's hosts: each with its backup, ledger and sites."""
    name = task.host.name
    return compensate_device(task, run, backups[name], ledger.get(name, ()), sites[name])


def rollback_run(
    engine: Stages, touched: Mapping[str, list[Section]], backups: Mapping[str, str], label: str = "rollback"
) -> None:
    """`rollback --run`: every host the run touched back to its backup, in parallel stages."""
    engine.ledger.update({name: list(sections) for name, sections in touched.items()})
    hosts = {name: list(engine.scope.devices[name].sites) for name in touched}
    undo_hosts(engine, hosts, backups, label)
