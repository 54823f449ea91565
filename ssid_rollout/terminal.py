"""Terminal output of a report: per-host diff for plans, summary tables for every command.

Printing happens here and in the CLI only; rich drops colour by itself when stdout is not
a terminal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .model import STAGE_ORDER

_STYLE = {
    "ok": "green",
    "done": "green",
    "changed": "green",
    "unchanged": "dim",
    "change": "yellow",
    "rolled-back": "yellow",
    "skipped": "yellow",
    "not-started": "yellow",
    "failed": "red",
    "conflict": "red",
    "unreachable": "red",
    "blocked": "red",
    "missing-prerequisite": "red",
    "applied-not-saved": "red",
    "manual-action-needed": "bold red",
}


def _status(text: str) -> str:
    return f"[{_STYLE.get(text, 'white')}]{text}[/]"


def print_report(typed: Any, console: Console | None = None) -> None:
    """Tables of a Report (typed rows, read through their JSON form, as scripts see it)."""
    from .artifacts import Report

    report = Report.of(typed.to_dict())
    console = console or Console(highlight=False)
    if report.command == "plan":
        _print_plan(report, console)
    hosts = Table(title=f"{report.command}: hosts")
    for column in ("host", "role", "sites", "department", "status", "detail"):
        hosts.add_column(column)
    for name, row in sorted(report.hosts.items()):
        detail = row.get("reason") or row.get("error") or _failed_facts(row) or ""
        hosts.add_row(
            name,
            row["role"],
            ", ".join(row["sites"]),
            row["department"],
            _status(row["status"]),
            escape(str(detail)),
        )
    console.print(hosts)
    if report.sites:
        sites = Table(title=f"{report.command}: sites")
        sites.add_column("site")
        sites.add_column("status")
        sites.add_column("reason")
        for site, row in sorted(report.sites.items()):
            sites.add_row(site, _status(row["status"]), row.get("reason", ""))
        console.print(sites)
    counts = Counter(row["status"] for row in report.hosts.values())
    site_counts = Counter(row["status"] for row in report.sites.values())
    summary = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
    if site_counts:
        summary = (
            "sites: " + ", ".join(f"{k} {v}" for k, v in sorted(site_counts.items())) + " | hosts: " + summary
        )
    if report.run_dir:
        summary += f" | run folder {report.run_dir}"
    console.print(f"{report.command}: {summary} (exit {report.exit_code})")


def _failed_facts(row: Mapping[str, Any]) -> str:
    bad = [f for f in row.get("facts", []) if not f["ok"]]
    return "; ".join(f"{f['name']}: expected {f['expected']}, found {f['found']}" for f in bad[:3])


def _print_plan(report: Any, console: Console) -> None:
    for name, row in sorted(report.hosts.items(), key=lambda kv: (STAGE_ORDER.index(kv[1]["role"]), kv[0])):
        console.print(f"[bold]{name}[/] ({row['role']}, {', '.join(row['sites'])}): {_status(row['status'])}")
        for section in row.get("forward", []):
            console.print(f"  [dim]# {section['owner']}[/]")
            for depth, line in enumerate(section["path"]):
                console.print("  " + " " * depth + line, markup=False)
            for line in section["lines"]:
                console.print(f"  [green]+{' ' * len(section['path'])}{escape(line)}[/]")
        for conflict in row.get("conflicts", []):
            console.print(f"  [red]conflict: {conflict['reason']}[/]")
            for line in conflict["lines"]:
                console.print(f"  [red]  {escape(line)}[/]")
        for missing in row.get("missing", []):
            console.print(f"  [red]missing: {missing['what']}[/] (look for: {'; '.join(missing['lines'])})")
        for warning in row.get("warnings", []):
            console.print(f"  [yellow]warning: {warning}[/]")
        for section in row.get("unsaved", []):
            console.print(f"  [yellow]unsaved change by someone else in: {section}[/]")
