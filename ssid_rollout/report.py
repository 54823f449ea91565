"""The report every command returns: typed rows with a Status, turned into dicts only at the JSON edge.

`Report.to_dict()` is the machine contract (docs/report-schema.md); the rows carry what the engine
found and did. A row holds only the fields its command fills (a plan row its sections, a push row
its outcome), and `to_dict` leaves the others out, as the schema says.
"""

from __future__ import annotations

import dataclasses
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, TypeVar

from .model import Conflict, Fact, HostPlan, Prerequisite, Section

if TYPE_CHECKING:
    from .results import PushResult

T = TypeVar("T")


class Status(StrEnum):
    """Every status a site or host row can have (docs/report-schema.md)."""

    OK = "ok"
    DONE = "done"
    CHANGE = "change"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    UNREACHABLE = "unreachable"
    CONFLICT = "conflict"
    MISSING_PREREQUISITE = "missing-prerequisite"
    BLOCKED = "blocked"
    SKIPPED = "skipped"
    NOT_STARTED = "not-started"
    REFUSED = "refused"
    LOCKED = "locked"
    ROLLED_BACK = "rolled-back"
    ROLLED_BACK_NOT_SAVED = "rolled-back-not-saved"
    APPLIED_NOT_SAVED = "applied-not-saved"
    MANUAL_ACTION_NEEDED = "manual-action-needed"
    INTERRUPTED = "interrupted"


#: Host statuses that make a run exit 1 (a person should look), and the site statuses that do not.
BAD_HOST = frozenset(
    {
        Status.FAILED,
        Status.UNREACHABLE,
        Status.APPLIED_NOT_SAVED,
        Status.ROLLED_BACK_NOT_SAVED,
        Status.CONFLICT,
        Status.MISSING_PREREQUISITE,
    }
)


@dataclass
class SiteRow:
    status: Status
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"status": str(self.status), **({"reason": self.reason} if self.reason is not None else {})}


@dataclass
class HostRow:
    """One host: who it is, its status, and what its command found or did (None: not this command's)."""

    role: str
    sites: tuple[str, ...]
    department: str
    status: Status
    reason: str | None = None
    # plan
    forward: tuple[Section, ...] | None = None
    undo: tuple[Section, ...] | None = None
    conflicts: tuple[Conflict, ...] | None = None
    missing: tuple[Prerequisite, ...] | None = None
    warnings: tuple[str, ...] | None = None
    unsaved: tuple[str, ...] | None = None
    # push, rollback, verify
    ok_sites: tuple[str, ...] | None = None
    failed_sites: dict[str, str] | None = None
    error: str | None = None
    remaining: tuple[str, ...] | None = None
    facts: tuple[Fact, ...] | None = None
    seconds: float | None = None
    round_trips: int | None = None
    worker: str | None = None  # the Dask worker that did this host's work (a run on a cluster)

    def to_dict(self) -> dict[str, Any]:
        fields = ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        out = {name: _plain(value) for name, value in fields if value is not None}
        if self.ok_sites is not None:  # a push or rollback row always says whether an error remains
            out.setdefault("error", None)
        return out


def _plain(value: Any) -> Any:
    """JSON-ready: sections, conflicts, prerequisites and facts as the schema's objects."""
    if isinstance(value, Section):
        return {"owner": value.owner, "path": list(value.path), "lines": list(value.lines)}
    if isinstance(value, Conflict):
        return {"reason": value.reason, "lines": list(value.lines)}
    if isinstance(value, Prerequisite):
        return {"what": value.what, "lines": list(value.lines)}
    if isinstance(value, Fact):
        return {"name": value.name, "owner": value.owner, "expected": value.expected, "found": value.found,
                "ok": value.ok}  # fmt: skip
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def plan_status(plan: HostPlan) -> Status:
    if plan.error:
        return Status.UNREACHABLE
    if plan.conflicts:
        return Status.CONFLICT
    if plan.missing:
        return Status.MISSING_PREREQUISITE
    return Status.CHANGE if plan.changes else Status.UNCHANGED


def plan_fields(plan: HostPlan) -> dict[str, Any]:
    """The plan's part of a host row."""
    return {
        "status": plan_status(plan),
        "forward": tuple(plan.forward),
        "undo": tuple(plan.undo),
        "conflicts": tuple(plan.conflicts),
        "missing": tuple(plan.missing),
        "warnings": tuple(plan.warnings),
        "unsaved": tuple(plan.unsaved),
    }


def plan_json(plan: HostPlan) -> dict[str, Any]:
    """A plan as plan.json and the report schema show it."""
    return {name: _plain(value) for name, value in plan_fields(plan).items()}


def outcome_fields(result: PushResult) -> dict[str, Any]:
    """A push or undo result's part of a host row."""
    out = result.outcome
    if out.remaining:
        status = Status.MANUAL_ACTION_NEEDED
    elif out.saved is False:
        status = Status.APPLIED_NOT_SAVED
    elif out.interrupted and not out.ok_sites and not out.changed:
        status = Status.INTERRUPTED
    elif out.failed_sites and not out.ok_sites:
        status = Status.ROLLED_BACK if out.restored and not out.changed else Status.FAILED
    elif out.changed:
        status = Status.CHANGED
    else:
        status = Status.UNCHANGED
    return {
        "status": status,
        "ok_sites": out.ok_sites,
        "failed_sites": dict(out.failed_sites),
        "error": out.error,
        "remaining": out.remaining,
        "facts": out.facts,
    }


@dataclass
class Report:
    """What a command found or did; `to_dict()` is the JSON report's documented shape."""

    command: str
    exit_code: int = 0
    run_dir: str | None = None
    change_id: str | None = None
    sites: dict[str, SiteRow] = field(default_factory=dict)
    hosts: dict[str, HostRow] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: special sites approved at this push: site -> {by, at, reason} (approvals.py)
    approvals: dict[str, dict[str, str]] = field(default_factory=dict)
    #: the signal that interrupted the run (SIGINT, SIGTERM), if one did
    interrupted: str | None = None

    def masked(self, mask: Callable[[str], str]) -> Report:
        """The report with every string masked: rows carry device answers and planned lines."""
        masked: Report = _masked(self, mask)
        return masked

    def to_dict(self) -> dict[str, Any]:
        return {
            "command": self.command,
            "exit_code": self.exit_code,
            "run_dir": self.run_dir,
            "change_id": self.change_id,
            "sites": {name: row.to_dict() for name, row in self.sites.items()},
            "hosts": {name: row.to_dict() for name, row in self.hosts.items()},
            "warnings": list(self.warnings),
            **({"approvals": dict(self.approvals)} if self.approvals else {}),
            **({"interrupted": self.interrupted} if self.interrupted else {}),
        }

    def exit_code_now(self) -> int:
        """The contract's exit code for what the rows say (4 > 3 > 1 > 0)."""
        statuses = {row.status for row in self.hosts.values()}
        if self.interrupted:  # as a shell reports a signal: 128 + its number
            return 128 + signal.Signals[self.interrupted].value
        if Status.MANUAL_ACTION_NEEDED in statuses:
            return 4
        if Status.LOCKED in statuses:
            return 3
        bad_sites = any(row.status not in (Status.DONE, Status.SKIPPED) for row in self.sites.values())
        return 1 if bad_sites or statuses & BAD_HOST else 0


def masked(value: T, mask: Callable[[str], str]) -> T:
    """Any report value (rows, plans) with every string in it masked."""
    out: T = _masked(value, mask)
    return out


def _masked(value: Any, mask: Callable[[str], str]) -> Any:
    if isinstance(value, str) and not isinstance(value, StrEnum):
        return mask(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _masked(getattr(value, f.name), mask) for f in dataclasses.fields(value)}
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(_masked(v, mask) for v in value)
    if isinstance(value, list):
        return [_masked(v, mask) for v in value]
    if isinstance(value, Mapping):
        return {k: _masked(v, mask) for k, v in value.items()}
    return value
