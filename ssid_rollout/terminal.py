"""Terminal output of a report: per-host diff for plans, summary tables for every command.

Printing happens here and in the CLI only; rich drops colour by itself when stdout is not
a terminal.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .i18n import N_, language
from .model import STAGE_ORDER
from .views import Texts

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


def _status(t: Texts, status: str) -> str:
    """The status in the run's language, coloured by what it means."""
    return f"[{_STYLE.get(status, 'white')}]{escape(t.status(status))}[/]"


#: Column headings (the JSON keeps the machine's words).
_HEADINGS = {
    "host": N_("host"),
    "role": N_("role"),
    "sites": N_("sites"),
    "site": N_("site"),
    "department": N_("department"),
    "status": N_("status"),
    "detail": N_("detail"),
    "reason": N_("reason"),
}


#: Below this width the host table drops the columns a reader can do without, so the detail has room.
NARROW = 100


def print_report(typed: Any, console: Console | None = None) -> None:
    """Tables of a Report (typed rows, read through their JSON form, as scripts see it)."""
    from .views import Report

    report = Report.of(typed.to_dict())
    console = console or Console(highlight=False)
    t = Texts(language())
    if report.command == "plan":
        _print_plan(report, console, t)
    narrow = console.width < NARROW
    hosts = Table(title=t("{command}: hosts", command=report.command), expand=True)
    columns = (
        ["host", "status", "detail"]
        if narrow
        else ["host", "role", "sites", "department", "status", "detail"]
    )
    for column in columns:
        hosts.add_column(
            t(_HEADINGS[column]),
            overflow="fold",
            ratio=3 if column == "detail" else None,
            no_wrap=column == "host",
        )
    for name, row in sorted(report.hosts.items()):
        detail = escape(str(row.get("reason") or row.get("error") or _failed_facts(row, t) or ""))
        if row.get("worker") and report.command == "check":  # check --cluster: where it was checked from
            detail = t("{detail} (worker {worker})", detail=detail, worker=escape(str(row["worker"])))
        cells = {
            "host": name,
            "role": t.role(row["role"]),
            "sites": ", ".join(row["sites"]),
            "department": row["department"],
            "status": _status(t, row["status"]),
            "detail": detail,
        }
        hosts.add_row(*(cells[c] for c in columns))
    if report.hosts:
        console.print(hosts)
    if report.sites:
        sites = Table(title=t("{command}: sites", command=report.command), expand=True)
        sites.add_column(t(_HEADINGS["site"]), no_wrap=True)
        sites.add_column(t(_HEADINGS["status"]))
        sites.add_column(t(_HEADINGS["reason"]), overflow="fold", ratio=3)
        for site, row in sorted(report.sites.items()):
            sites.add_row(site, _status(t, row["status"]), escape(row.get("reason", "")))
        console.print(sites)
    console.print(_summary(report, t), markup=False, soft_wrap=True)


def _summary(report: Any, t: Texts) -> str:
    def counted(rows: Mapping[str, Any]) -> str:
        counts = Counter(row["status"] for row in rows.values())
        return ", ".join(f"{t.status(k)} {v}" for k, v in sorted(counts.items()))

    parts = []
    if report.sites:
        parts.append(t("sites: {counts}", counts=counted(report.sites)))
    if report.hosts:
        hosts = counted(report.hosts)
        parts.append(t("hosts: {counts}", counts=hosts) if report.sites else hosts)
    if not parts:
        parts.append(t("nothing to roll back") if report.command == "rollback" else t("nothing to do"))
    if report.run_dir:
        parts.append(t("run folder {path}", path=report.run_dir))
    return t(
        "{command}: {parts} (exit {code})",
        command=report.command,
        parts=" | ".join(parts),
        code=report.exit_code,
    )


def print_problems(typed: Any, console: Console | None = None) -> None:
    """`--quiet`: only what needs a person (a line per site or host that is not fine), and the run folder."""
    from .views import Report

    report = Report.of(typed.to_dict())
    console = console or Console(highlight=False, stderr=False)
    t = Texts(language())
    fine = {"ok", "done", "changed", "unchanged", "change", "rolled-back", "skipped"}
    for kind, rows in ((t(_HEADINGS["site"]), report.sites), (t(_HEADINGS["host"]), report.hosts)):
        for name, row in sorted(rows.items()):
            if row["status"] not in fine:
                why = row.get("reason") or row.get("error") or _failed_facts(row, t) or ""
                line = f"{kind} {name}: {t.status(row['status'])}: {why}".rstrip(": ")
                console.print(line, markup=False, soft_wrap=True)
    if report.run_dir:
        console.print(t("run folder {path}", path=report.run_dir), markup=False, soft_wrap=True)


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
    t = Texts(language())
    lines = [
        t("interrupted ({signal}); the devices are as the report says.", signal=typed.interrupted),
        "  " + t("to finish it:") + f" ssid-rollout {shlex.join(resume)}",
        "  " + t("to roll it back:") + f" ssid-rollout {shlex.join(rollback)}",
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


def _failed_facts(row: Mapping[str, Any], t: Texts) -> str:
    bad = [f for f in row.get("facts", []) if not f["ok"]]
    return "; ".join(
        t(
            "{name}: expected {expected}, found {found}",
            name=f["name"],
            expected=f["expected"],
            found=f["found"],
        )
        for f in bad[:3]
    )


def _print_sections(
    sections: list[dict[str, Any]], title: Callable[[str], str], mark: str, console: Console
) -> None:
    """Each section under its owner: its views, then its lines marked `+` (forward) or `-` (undo)."""
    for section in sections:
        console.print(f"  [dim]# {escape(title(section['owner']))}[/]")
        for depth, line in enumerate(section["path"]):
            console.print("  " + " " * depth + line, markup=False)
        for line in section["lines"]:
            console.print(f"  {mark}{' ' * len(section['path'])}{escape(line)}[/]")


def _print_plan(report: Any, console: Console, t: Texts) -> None:
    for name, row in sorted(report.hosts.items(), key=lambda kv: (STAGE_ORDER.index(kv[1]["role"]), kv[0])):
        where = escape(f"{t.role(row['role'])}, {', '.join(row['sites'])}")
        console.print(f"[bold]{name}[/] ({where}): {_status(t, row['status'])}")
        _print_sections(row.get("forward", []), str, "[green]+", console)
        _print_sections(
            row.get("undo", []), lambda owner: t("undo ({owner})", owner=owner), "[red]-", console
        )
        for conflict in row.get("conflicts", []):
            console.print("  [red]" + escape(t("conflict: {reason}", reason=conflict["reason"])) + "[/]")
            for line in conflict["lines"]:
                console.print(f"  [red]  {escape(line)}[/]")
        for missing in row.get("missing", []):
            text = t(
                "missing: {what} (look for: {lines})", what=missing["what"], lines="; ".join(missing["lines"])
            )
            console.print(f"  [red]{escape(text)}[/]")
        for warning in row.get("warnings", []):
            console.print("  [yellow]" + escape(t("warning: {text}", text=warning)) + "[/]")
        for section in row.get("unsaved", []):
            console.print(
                "  [yellow]"
                + escape(t("unsaved change by someone else in: {section}", section=section))
                + "[/]"
            )
