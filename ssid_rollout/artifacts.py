"""Artifacts for people who were not at the console: HTML report, portal handover, work orders.

report.json is the machine contract (docs/report-schema.md); these files are views of the same
report for the operator's browser, the portal platform and the departments that own the
devices. Everything goes through `RunFolder.write`, which masks the whole file on the way out.
That masking also rewrites `shared-key <word>` and `password <word>` wherever they appear, so
no interpolated text may be followed directly by a space and markup: values end with a newline.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .model import Device, HostPlan, Section
from .platforms import platform_for
from .render import render_text

if TYPE_CHECKING:
    import jinja2

    from .kpi import KpiSummary
    from .runfolder import RunFolder

#: What the portal platform is told instead of the key (mission.md: the key goes by another channel).
KEY_NOTE = "RADIUS key: delivered separately"
HANDOVER_COLUMNS = ("host", "bras_id", "nas_ip", "sites", "status", "radius_key")
EXIT_MEANING = {
    0: "success",
    1: "some host or site failed",
    2: "bad input",
    3: "refused by a guard",
    4: "manual action needed",
}
#: Statuses by how a reader should feel about them; any other status shows as "bad".
_GOOD = frozenset({"done", "changed", "unchanged", "ok"})
_PENDING = frozenset({"change", "rolled-back", "skipped", "not-started"})
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


@dataclass(frozen=True)
class HostView:
    """One host as every artifact shows it: its inventory entry, report row and planned sections."""

    name: str
    device: Device | None
    row: Mapping[str, Any]
    forward: tuple[Section, ...]
    undo: tuple[Section, ...]

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
    def changes(self) -> bool:
        return any(s.lines or s.path for s in self.forward)


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

    @classmethod
    def of(cls, data: Mapping[str, Any], where: str = "report") -> Report:
        """From a report's dict; anything else than this tool's report is an input error."""
        try:
            report = cls(**data)
        except TypeError as exc:
            raise InputError(where, f"is not a report this tool wrote ({exc})") from None
        tables = (report.sites, report.hosts)
        if not all(
            isinstance(t, Mapping) and all(isinstance(r, Mapping) for r in t.values()) for t in tables
        ):
            raise InputError(
                where, "is not a report this tool wrote (sites and hosts must map names to rows)"
            )
        return report


def write_artifacts(
    run: RunFolder,
    data: Mapping[str, Any],
    devices: Mapping[str, Device],
    spec: Any,
    *,
    plans: Mapping[str, HostPlan] | None = None,
    kpi: KpiSummary | None = None,
) -> list[Path]:
    """Write report.html, handover.csv/.md and workorders/<department>.md; return their paths.

    `data` is the JSON report; `spec` the ServiceSpec (service, SSID, VLAN, portal and RADIUS for
    the handover); `plans` the pushed plans (read from the run's plan.json when not given); `kpi`
    adds the field-measurement chart to the HTML report.
    """
    from .report import plan_json

    report = Report.of(data)
    when = run_time(run)
    rows = {n: plan_json(p) for n, p in plans.items()} if plans is not None else None
    hosts = host_views(run, report, devices, rows)
    written = [
        run.write("report.html", render_html(report, hosts, spec, when, kpi)),
        run.write("handover.csv", handover_csv(report, hosts)),
        run.write("handover.md", handover_markdown(report, hosts, spec, when)),
    ]
    for department, text in work_orders(report, hosts, when).items():
        written.append(run.write(f"workorders/{slug(department)}.md", text))
    return written


def run_time(run: RunFolder) -> datetime:
    """When the run started (its journal's first event); now, for a folder without a journal."""
    events = run.events()
    if events and "t" in events[0]:
        return datetime.fromtimestamp(float(events[0]["t"]), UTC)
    return datetime.now(UTC)


def host_views(
    run: RunFolder,
    report: Report,
    devices: Mapping[str, Device],
    plans: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[HostView]:
    """Every reported host, then selected devices the report never reached, in name order.

    A plan report carries the sections in its rows; a push keeps them in the run's plan.json.
    """
    if plans is None:
        plans = json.loads(run.read("plan.json")) if (run.path / "plan.json").exists() else {}
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
            )
        )
    return views


def _sections(rows: Iterable[Mapping[str, Any]] | None) -> tuple[Section, ...]:
    return tuple(Section(tuple(r["path"]), tuple(r["lines"]), r["owner"]) for r in rows or ())


def slug(text: str) -> str:
    """A department name as a file name: no path separators, no surprises."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-.") or "unassigned"


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


def _site_cell(site: str, report: Report) -> str:
    status = report.sites.get(site, {}).get("status")
    return f"{site} ({status})" if status else site


def _when(when: datetime) -> str:
    return when.strftime("%Y-%m-%d %H:%M:%S UTC")


# -- HTML ---------------------------------------------------------------------------------------
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
    return env


def render_html(
    report: Report, hosts: list[HostView], spec: Any, when: datetime, kpi: KpiSummary | None = None
) -> str:
    """One self-contained page: no script, no external resource, styles inline."""
    chart = None
    if kpi is not None:
        from .kpi import chart_svg

        chart = chart_svg(kpi)  # inlined as is (the template marks it safe): kpi escapes its texts
    sites = [
        {"name": site, "reason": "", **row, "hosts": [h.name for h in hosts if site in h.sites]}
        for site, row in sorted(report.sites.items())
    ]
    return (
        _environment()
        .get_template("report.html.j2")
        .render(
            report=report,
            exit_meaning=EXIT_MEANING.get(report.exit_code, "unknown"),
            when=_when(when),
            spec=spec,
            sites=sites,
            site_counts=sorted(Counter(s["status"] for s in sites).items()),
            host_counts=sorted(Counter(h.status for h in hosts).items()),
            hosts=hosts,
            diff_lines=diff_lines,
            commands_text=commands_text,
            failing=[(h.name, f) for h in hosts for f in h.row["facts"] if not f["ok"]],
            chart=chart,
        )
    )


# -- handover for the portal platform -----------------------------------------------------------
def handover_rows(report: Report, hosts: list[HostView]) -> list[dict[str, str]]:
    """One row per BRAS: what the portal platform configures on its side; never the key."""
    return [
        {
            "host": h.name,
            "bras_id": h.device.bras_id or "",
            "nas_ip": h.device.nas_ip or "",
            "sites": "; ".join(_site_cell(site, report) for site in h.sites),
            "status": h.status,
            "radius_key": KEY_NOTE,
        }
        for h in hosts
        if h.device is not None and h.device.role == "bras"
    ]


def handover_csv(report: Report, hosts: list[HostView]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HANDOVER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(handover_rows(report, hosts))
    return out.getvalue()


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _md_table(columns: Iterable[str], rows: Iterable[Iterable[str]]) -> list[str]:
    columns = list(columns)
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return lines + ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in rows]


def handover_markdown(report: Report, hosts: list[HostView], spec: Any, when: datetime) -> str:
    rows = handover_rows(report, hosts)
    lines = [
        f"# Handover to the portal platform: {spec.service}",
        "",
        f"- Change: {report.change_id or '-'} ({report.command}, {_when(when)}, exit {report.exit_code})",
        f"- SSID: {spec.ssid}, VLAN {spec.vlan}",
        f"- Portal: {spec.portal.url} (BRAS side port {spec.portal.port})",
        f"- RADIUS: {spec.radius.server}, authentication {spec.radius.auth_port}, "
        f"accounting {spec.radius.acct_port}",
        "- NAS IP is the address the portal and RADIUS see; each BRAS's RADIUS key is delivered "
        "separately and is not in this sheet.",
        "- Open the service only for sites marked (done).",
        "",
        *_md_table(HANDOVER_COLUMNS, ([r[c] for c in HANDOVER_COLUMNS] for r in rows)),
    ]
    return "\n".join(lines) + "\n"


# -- work orders per department -----------------------------------------------------------------
def work_orders(report: Report, hosts: list[HostView], when: datetime) -> dict[str, str]:
    """Markdown per owning department: its devices, their sites and status, commands and undo."""
    by_department: dict[str, list[HostView]] = {}
    for h in hosts:
        by_department.setdefault(h.department, []).append(h)
    return {dept: _work_order(dept, mine, report, when) for dept, mine in sorted(by_department.items())}


def _work_order(department: str, hosts: list[HostView], report: Report, when: datetime) -> str:
    changing = [h for h in hosts if h.changes]
    lines = [
        f"# Work order: {department or 'unassigned'}",
        "",
        f"- Change: {report.change_id or '-'} ({report.command})",
        f"- When: {_when(when)}",
        f"- Devices: {len(hosts)}, with commands: {len(changing)}",
        "",
        *_md_table(
            ("host", "role", "sites", "status", "commands"),
            (
                (
                    h.name,
                    h.role,
                    "; ".join(_site_cell(site, report) for site in h.sites),
                    h.status,
                    "yes" if h.changes else "none",
                )
                for h in hosts
            ),
        ),
    ]
    for h in hosts:
        lines += _host_order(h)
    return "\n".join(lines) + "\n"


def _code_block(title: str, text: str) -> list[str]:
    return [title, "", "```text", text.rstrip("\n"), "```", ""]


def _apply_mode(platform: str) -> str:
    try:
        return platform_for(platform).commit.describe
    except InputError:
        return "unknown platform"


def _host_order(h: HostView) -> list[str]:
    """One device's part of a work order; hosts without commands get one only when they need a person."""
    remaining = list(h.row["remaining"])
    reason = h.row["reason"] or h.row["error"]
    if not (h.changes or remaining or reason):
        return []
    lines = ["", f"## {h.name}", "", f"Status: {h.status}", ""]
    if h.device is not None:
        lines += [f"Platform: {h.device.platform} ({h.device.model}); {_apply_mode(h.device.platform)}", ""]
    if reason:
        lines += _code_block("Reason:", str(reason))
    if h.changes:
        lines += _code_block(
            "Commands, from system view (an indented line runs in the view of the line above it):",
            commands_text(h.forward),
        )
    if h.undo:
        lines += _code_block("Undo, from system view:", commands_text(h.undo))
    if remaining:
        lines += _code_block("Manual action: these undo lines are still to be sent:", "\n".join(remaining))
    return lines
