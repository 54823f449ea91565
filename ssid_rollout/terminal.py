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
    "rolled-back-not-saved": "red",
    "interrupted": "bold yellow",
}


def _status(text: str) -> str:
    return f"[{_STYLE.get(text, 'white')}]{text}[/]"


#: Below this width the host table drops the columns a reader can do without, so the detail has room.
NARROW = 100


def print_report(typed: Any, console: Console | None = None) -> None:
    """Tables of a Report (typed rows, read through their JSON form, as scripts see it)."""
    from .artifacts import Report

    report = Report.of(typed.to_dict())
    console = console or Console(highlight=False)
    if report.command == "plan":
        _print_plan(report, console)
    narrow = console.width < NARROW
    hosts = Table(title=f"{report.command}: hosts", expand=True)
    columns = (
        ["host", "status", "detail"]
        if narrow
        else ["host", "role", "sites", "department", "status", "detail"]
    )
    for column in columns:
        hosts.add_column(
            column, overflow="fold", ratio=3 if column == "detail" else None, no_wrap=column == "host"
        )
    for name, row in sorted(report.hosts.items()):
        detail = escape(str(row.get("reason") or row.get("error") or _failed_facts(row) or ""))
        cells = {
            "host": name,
            "role": row["role"],
            "sites": ", ".join(row["sites"]),
            "department": row["department"],
            "status": _status(row["status"]),
            "detail": detail,
        }
        hosts.add_row(*(cells[c] for c in columns))
    if report.hosts:
        console.print(hosts)
    if report.sites:
        sites = Table(title=f"{report.command}: sites", expand=True)
        sites.add_column("site", no_wrap=True)
        sites.add_column("status")
        sites.add_column("reason", overflow="fold", ratio=3)
        for site, row in sorted(report.sites.items()):
            sites.add_row(site, _status(row["status"]), escape(row.get("reason", "")))
        console.print(sites)
    console.print(_summary(report))


def _summary(report: Any) -> str:
    counts = Counter(row["status"] for row in report.hosts.values())
    site_counts = Counter(row["status"] for row in report.sites.values())
    parts = []
    if site_counts:
        parts.append("sites: " + ", ".join(f"{k} {v}" for k, v in sorted(site_counts.items())))
    if counts:
        parts.append(
            ("hosts: " if site_counts else "") + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        )
    if not parts:
        parts.append("nothing to do" if report.command != "rollback" else "nothing to roll back")
    if report.run_dir:
        parts.append(f"run folder {report.run_dir}")
    return f"{report.command}: {' | '.join(parts)} (exit {report.exit_code})"


def print_problems(typed: Any, console: Console | None = None) -> None:
    """`--quiet`: only what needs a person (a line per site or host that is not fine), and the run folder."""
    from .artifacts import Report

    report = Report.of(typed.to_dict())
    console = console or Console(highlight=False, stderr=False)
    fine = {"ok", "done", "changed", "unchanged", "change", "rolled-back", "skipped"}
    for kind, rows in (("site", report.sites), ("host", report.hosts)):
        for name, row in sorted(rows.items()):
            if row["status"] not in fine:
                why = row.get("reason") or row.get("error") or _failed_facts(row) or ""
                console.print(
                    f"{kind} {name}: {row['status']}: {why}".rstrip(": "), markup=False, soft_wrap=True
                )
    if report.run_dir:
        console.print(f"run folder {report.run_dir}", markup=False, soft_wrap=True)


def print_hints(typed: Any, argv: list[str], console: Console | None = None) -> None:
    """After an interrupted push: the exact commands that finish it or take it back."""
    import shlex

    if not typed.interrupted or typed.command != "push" or not typed.run_dir:
        return
    console = console or Console(highlight=False, stderr=True)
    run = typed.run_dir
    at = argv.index("--resume") if "--resume" in argv else len(argv)
    resume = [*argv[:at], *argv[at + 2 :], "--resume", run]
    keep = _options_of(argv, ("--inventory", "-i", "--playbook", "-p", "--runs-dir"))
    rollback = ["rollback", *keep, "--change-id", f"{typed.change_id}-RB", "--run", run]
    lines = [
        f"interrupted ({typed.interrupted}); the devices are as the report says.",
        f"  to finish it:    ssid-rollout {shlex.join(resume)}",
        f"  to roll it back: ssid-rollout {shlex.join(rollback)}",
    ]
    for line in lines:  # whole, unwrapped: they are commands to copy
        console.print(line, markup=False, highlight=False, soft_wrap=True)


def _options_of(argv: list[str], flags: tuple[str, ...]) -> list[str]:
    """The given flags and their values, as typed."""
    out = []
    for index, arg in enumerate(argv[:-1]):
        if arg in flags:
            out += [arg, argv[index + 1]]
    return out


def _failed_facts(row: Mapping[str, Any]) -> str:
    bad = [f for f in row.get("facts", []) if not f["ok"]]
    return "; ".join(f"{f['name']}: expected {f['expected']}, found {f['found']}" for f in bad[:3])


def _print_sections(sections: list[dict[str, Any]], title: str, mark: str, console: Console) -> None:
    """Each section under its owner: its views, then its lines marked `+` (forward) or `-` (undo)."""
    for section in sections:
        console.print(f"  [dim]# {escape(title.format(section['owner']))}[/]")
        for depth, line in enumerate(section["path"]):
            console.print("  " + " " * depth + line, markup=False)
        for line in section["lines"]:
            console.print(f"  {mark}{' ' * len(section['path'])}{escape(line)}[/]")


def _print_plan(report: Any, console: Console) -> None:
    for name, row in sorted(report.hosts.items(), key=lambda kv: (STAGE_ORDER.index(kv[1]["role"]), kv[0])):
        console.print(f"[bold]{name}[/] ({row['role']}, {', '.join(row['sites'])}): {_status(row['status'])}")
        _print_sections(row.get("forward", []), "{}", "[green]+", console)
        _print_sections(row.get("undo", []), "undo ({})", "[red]-", console)
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
