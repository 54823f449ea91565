"""The report as people's artifacts read it: the JSON report, each host's view, the run's language,
and the helpers every artifact shares (Markdown, workbooks, templates).

artifacts.py writes the run's files from these; handover.py, workorders.py and sitevisits.py build
their own from them. Everything goes through the run folder's masking on the way out (workbooks
cell by cell). That masking also rewrites `shared-key <word>` and `password <word>` wherever they
appear, so no interpolated text may be followed directly by a space and markup.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .i18n import N_, _, gettext, language, local_time
from .model import Device, Section
from .people import Approval, Directory
from .platforms import platform_for
from .render import render_text
from .runfolder import write_private

if TYPE_CHECKING:
    import jinja2

    from .rollout import Rollout
    from .runfolder import RunFolder
    from .sheets import Sheet

#: Every status a row may show, as people read it (the JSON keeps the machine's word).
STATUS_TEXT = {
    "ok": N_("ok"),
    "done": N_("done"),
    "change": N_("change"),
    "changed": N_("changed"),
    "unchanged": N_("unchanged"),
    "failed": N_("failed"),
    "unreachable": N_("unreachable"),
    "conflict": N_("conflict"),
    "missing-prerequisite": N_("missing-prerequisite"),
    "blocked": N_("blocked"),
    "skipped": N_("skipped"),
    "not-started": N_("not-started"),
    "refused": N_("refused"),
    "locked": N_("locked"),
    "rolled-back": N_("rolled-back"),
    "rolled-back-not-saved": N_("rolled-back-not-saved"),
    "applied-not-saved": N_("applied-not-saved"),
    "manual-action-needed": N_("manual-action-needed"),
    "interrupted": N_("interrupted"),
    "not-run": N_("not-run"),
}
ROLE_TEXT = {"switch": N_("switch"), "bras": N_("BRAS"), "ac": N_("AC")}
#: Statuses by how a reader should feel about them; any other status shows as "bad".
_GOOD = frozenset({"done", "changed", "unchanged", "ok"})
_PENDING = frozenset({"change", "rolled-back", "skipped", "not-started", "interrupted", "not-run"})
#: Every key a host row may have (docs/report-schema.md), so templates need no existence tests.
_ROW_DEFAULTS: dict[str, Any] = {
    "status": "not-run",
    "role": "",
    "department": "",
    "sites": [],
    "reason": None,
    "error": None,
    "ok_sites": [],
    "failed_sites": {},
    "remaining": [],
    "conflicts": [],
    "missing": [],
    "warnings": [],
    "unsaved": [],
    "facts": [],
    "seconds": None,
    "round_trips": None,
}
_REPORT_FIELDS = ("command", "exit_code", "run_dir", "change_id", "sites", "hosts", "warnings")


@dataclass(frozen=True)
class Texts:
    """One language's words for the artifacts, and the inventory's clock for their times."""

    lang: str = "en"
    timezone: str | None = None

    def __call__(self, message: str, **values: Any) -> str:
        text = gettext(self.lang, message)
        return text.format(**values) if values else text

    def status(self, status: str) -> str:
        return self(STATUS_TEXT[status]) if status in STATUS_TEXT else status

    def role(self, role: str) -> str:
        return self(ROLE_TEXT[role]) if role in ROLE_TEXT else role

    def time(self, when: datetime) -> str:
        return local_time(when, self.timezone)

    def exit_meaning(self, command: str, code: int) -> str:
        """What the exit code means for this command (a skipped special site is a success)."""
        if code == 1:
            return self(_EXIT_ONE.get(command, N_("some host or site failed")))
        return self(_EXIT.get(code, N_("unknown")))


_EXIT = {
    0: N_("success"),
    2: N_("bad input"),
    3: N_("refused by a guard"),
    4: N_("manual action needed"),
    130: N_("interrupted"),
}
_EXIT_ONE = {
    "check": N_("remote management does not answer on some host"),
    "plan": N_("a host is blocked (conflict, missing prerequisite) or unreachable"),
    "verify": N_("a verified fact does not hold on some host"),
}


@dataclass(frozen=True)
class HostView:
    """One host as every artifact shows it: its inventory entry, report row and planned sections."""

    name: str
    device: Device | None
    row: Mapping[str, Any]
    forward: tuple[Section, ...]
    undo: tuple[Section, ...]
    plan_warnings: tuple[str, ...] = ()
    planned: bool = False  # the device was read and planned (its configuration was checked)

    @property
    def status(self) -> str:
        return str(self.row["status"])

    @property
    def role(self) -> str:
        return str(self.row["role"] or (self.device.role if self.device else ""))

    @property
    def department(self) -> str:
        return str(self.row["department"] or (self.device.department if self.device else ""))

    @property
    def sites(self) -> list[str]:
        return list(self.row["sites"] or (self.device.sites if self.device else []))

    @property
    def vendor(self) -> str:
        return (self.device.vendor or "") if self.device else ""

    @property
    def integrator(self) -> str:
        return (self.device.integrator or "") if self.device else ""

    @property
    def changes(self) -> bool:
        return any(s.lines or s.path for s in self.forward)

    @property
    def warnings(self) -> list[str]:
        """The row's warnings, else the plan's (a push row may not carry them)."""
        return list(self.row["warnings"] or self.plan_warnings)

    @property
    def problem(self) -> str:
        """The first reason a person should look at this host, or ''."""
        failed = "; ".join(f"{site}: {text}" for site, text in self.row["failed_sites"].items())
        return str(self.row["reason"] or self.row["error"] or failed or "")


@dataclass(frozen=True)
class Report:
    """The JSON report (docs/report-schema.md) as the artifacts read it: what report.json holds."""

    command: str
    exit_code: int
    run_dir: str | None
    change_id: str | None
    sites: Mapping[str, Mapping[str, Any]]
    hosts: Mapping[str, Mapping[str, Any]]
    warnings: list[str]
    #: fields added after these (approvals, a run's status ...), as the JSON has them
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, data: Mapping[str, Any], where: str = "report") -> Report:
        """From a report's dict; anything else than this tool's report is an input error."""
        missing = [name for name in _REPORT_FIELDS if name not in data]
        if missing:
            absent = ", ".join(missing)
            raise InputError(where, _("is not a report this tool wrote (no {fields})").format(fields=absent))
        report = cls(
            **{name: data[name] for name in _REPORT_FIELDS},
            extra={k: v for k, v in data.items() if k not in _REPORT_FIELDS},
        )
        tables = (report.sites, report.hosts)
        if not all(
            isinstance(t, Mapping) and all(isinstance(r, Mapping) for r in t.values()) for t in tables
        ):
            raise InputError(
                where, _("is not a report this tool wrote (sites and hosts must map names to rows)")
            )
        return report

    @property
    def approvals(self) -> dict[str, Approval]:
        """Special sites approved at this push: who, when and why (journal and report)."""
        rows = self.extra.get("approvals") or {}
        return {
            site: Approval(site, str(a.get("by", "")), str(a.get("at", "")), str(a.get("reason", "")))
            for site, a in rows.items()
            if isinstance(a, Mapping)
        }

    @property
    def interrupted(self) -> bool:
        statuses = [r.get("status") for r in (*self.sites.values(), *self.hosts.values())]
        flagged = bool(self.extra.get("interrupted")) or self.extra.get("status") == "interrupted"
        return flagged or "interrupted" in statuses


@dataclass(frozen=True)
class Output:
    """Artifacts of a command without a run folder (check, plan, workorders): a folder of its own,
    masked like a run folder, and the report's hosts as the artifacts show them."""

    folder: RunFolder
    report: Report
    hosts: list[HostView]
    t: Texts
    directory: Directory
    when: datetime

    @classmethod
    def of(cls, rollout: Rollout, typed: Any, folder: Path, lang: str | None = None) -> Output:
        from .runfolder import RunFolder, make_dirs

        make_dirs(folder)
        report = Report.of(typed.to_dict())
        hosts = host_views(None, report, rollout.devices)
        t = Texts(lang or language(), rollout.directory.timezone)
        return cls(RunFolder(folder, rollout.mask), report, hosts, t, rollout.directory, datetime.now(UTC))


def write_workbook(run: RunFolder, name: str, sheets: Sequence[Sheet]) -> Path:
    """An `.xlsx` in the run folder, every text cell masked first (a zip cannot be masked after)."""
    from .sheets import Sheet, workbook_bytes

    masked = [
        Sheet(
            run.mask(s.title),
            [run.mask(h) for h in s.header],
            [[run.mask(c) if isinstance(c, str) else c for c in row] for row in s.rows],
            [run.mask(n) for n in s.notes],
            s.marked,
        )
        for s in sheets
    ]
    return write_private(run.path / name, workbook_bytes(masked))


def run_time(run: RunFolder) -> datetime:
    """When the run started (its journal's first event); now, for a folder without a journal."""
    events = run.events() if (run.path / "journal.jsonl").exists() else []
    if events and "t" in events[0]:
        return datetime.fromtimestamp(float(events[0]["t"]), UTC)
    return datetime.now(UTC)


def host_views(
    run: RunFolder | None,
    report: Report,
    devices: Mapping[str, Device],
    plans: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[HostView]:
    """Every reported host, then selected devices the report never reached, in name order.

    A plan report carries the sections in its rows; a push keeps them in the run's plan.json.
    """
    if plans is None:
        plans = run.plans() if run is not None else {}
    views = []
    for name in sorted(set(report.hosts) | set(devices)):
        row = report.hosts.get(name, {})
        plan = row if "forward" in row else plans.get(name, {})
        views.append(
            HostView(
                name,
                devices.get(name),
                {**_ROW_DEFAULTS, **{k: v for k, v in row.items() if v is not None}},
                _sections(plan.get("forward")),
                _sections(plan.get("undo")),
                tuple(plan.get("warnings") or ()),
                "forward" in plan and plan.get("status") != "unreachable",
            )
        )
    return views


def by_site(hosts: Iterable[HostView]) -> dict[str, list[HostView]]:
    """Each site's hosts, in the given order, sites sorted (one pass: a province has 1,000s of both)."""
    out: dict[str, list[HostView]] = {}
    for h in hosts:
        for site in h.sites:
            out.setdefault(site, []).append(h)
    return dict(sorted(out.items()))


def _sections(rows: Iterable[Mapping[str, Any]] | None) -> tuple[Section, ...]:
    return tuple(Section(tuple(r["path"]), tuple(r["lines"]), r["owner"]) for r in rows or ())


def slug(text: str) -> str:
    """A department's or vendor's name as a file name: letters of any script, no path separators."""
    return re.sub(r"[^\w.-]+", "-", text).strip("-.") or "unassigned"


def tone(status: str) -> str:
    """good / pending / bad: the colour family of a site or host status."""
    return "good" if status in _GOOD else "pending" if status in _PENDING else "bad"


def commands_text(sections: Iterable[Section]) -> str:
    """VRP text to paste, one `# <owner>` comment above each owner's run of sections."""
    groups: list[tuple[str, list[Section]]] = []
    for section in sections:
        if not groups or groups[-1][0] != section.owner:
            groups.append((section.owner, []))
        groups[-1][1].append(section)
    return "".join(f"# {owner}\n{render_text(group)}" for owner, group in groups)


def diff_lines(sections: Iterable[Section]) -> list[tuple[str, str]]:
    """(kind, text) per line of a planned change, as `plan` prints it: `view` lines, then `add` lines."""
    out: list[tuple[str, str]] = []
    for section in sections:
        out += [("view", "  " + " " * depth + part) for depth, part in enumerate(section.path)]
        out += [("add", "+ " + " " * len(section.path) + line) for line in section.lines]
    return out


def site_cell(site: str, report: Report, t: Texts) -> str:
    status = report.sites.get(site, {}).get("status")
    return f"{site} ({t.status(str(status))})" if status else site


def apply_mode(platform: str) -> str:
    try:
        return platform_for(platform).commit.describe
    except InputError:
        return "unknown platform"


@cache
def _environment() -> jinja2.Environment:
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("ssid_rollout", "templates"),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tone"] = tone
    env.filters["tojson_attr"] = lambda value: json.dumps(value, ensure_ascii=False)
    return env


def render_template(name: str, **values: Any) -> str:
    return _environment().get_template(name).render(**values)


def window_text(directory: Directory) -> str:
    """`01:00-05:00 (Asia/Shanghai)`, or '' when the inventory names no window."""
    if not directory.window:
        return ""
    return f"{directory.window} ({directory.timezone})" if directory.timezone else directory.window


# -- Markdown helpers ---------------------------------------------------------------------------
def md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def md_table(columns: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    columns = list(columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(md_cell(c) for c in row) + " |" for row in rows]


def code_block(title: str, text: str) -> list[str]:
    return [title, "", "```text", text.rstrip("\n"), "```", ""]
