"""`ssid-rollout`: a thin layer over `ssid_rollout.rollout.Rollout`.

Heavy libraries (Netmiko, Nornir, TTP) load inside the commands that need them, so
`--help` stays fast. Errors become one line on stderr and the contract's exit code.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

from .errors import InputError, RolloutError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Roll out a portal-authenticated Wi-Fi SSID across hotspot switches, BRAS and ACs.",
)

Inventory = Annotated[Path, typer.Option("--inventory", "-i", help="Nornir SimpleInventory folder")]
Playbook = Annotated[Path, typer.Option("--playbook", "-p", help="service description (YAML)")]
Hosts = Annotated[list[str] | None, typer.Option("--hosts", help="host name (repeatable)")]
Groups = Annotated[list[str] | None, typer.Option("--groups", help="inventory group (repeatable)")]
Sites = Annotated[list[str] | None, typer.Option("--site", help="site (repeatable)")]
Departments = Annotated[list[str] | None, typer.Option("--department", help="owning department (repeatable)")]
Workers = Annotated[int, typer.Option("--workers", help="concurrent device sessions")]
ReportFile = Annotated[Path | None, typer.Option("--report", help="write the JSON report here")]
JsonOut = Annotated[bool, typer.Option("--json", help="print the JSON report instead of tables")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="print only errors")]
SharedKey = Annotated[
    bool, typer.Option("--shared-radius-key", help="use SSID_ROLLOUT_RADIUS_KEY for every BRAS")
]
RunsDir = Annotated[Path | None, typer.Option("--runs-dir", help="where run folders go")]
ChangeId = Annotated[str | None, typer.Option("--change-id", help="change ticket id (required)")]
Yes = Annotated[bool, typer.Option("--yes", "-y", help="do not ask for confirmation")]
Timeout = Annotated[float, typer.Option("--timeout", help="seconds to wait for any device answer")]
Window = Annotated[str | None, typer.Option("--window", help="maintenance window HH:MM-HH:MM")]
TimeZone = Annotated[str | None, typer.Option("--timezone", help="time zone of the window (Asia/Shanghai)")]
Force = Annotated[bool, typer.Option("--force", help="run outside the window (needs --reason)")]
Reason = Annotated[str | None, typer.Option("--reason", help="why the window is overridden (recorded)")]


def _fail(exc: BaseException) -> None:
    import os

    from .secrets import Masker

    code = exc.exit_code if isinstance(exc, RolloutError) else 1
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    secrets = [
        v for k, v in os.environ.items() if k.startswith(("SSID_ROLLOUT_PASSWORD", "SSID_ROLLOUT_RADIUS_KEY"))
    ]
    typer.echo(f"ssid-rollout: error: {Masker(secrets).mask(text)}", err=True)
    raise typer.Exit(code)


def _run(action: Callable[[], Any], report_file: Path | None, as_json: bool, quiet: bool) -> None:
    """Run one API call and turn its report into output and an exit code."""
    try:
        with _progress(quiet or as_json):
            report = action()
    except RolloutError as exc:
        _fail(exc)
    except KeyboardInterrupt:
        typer.echo("ssid-rollout: interrupted", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, for anything unforeseen
        _fail(exc)
    data = report.to_dict()
    if report_file:
        report_file.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    elif not quiet:
        from .report import print_report

        print_report(report)
    raise typer.Exit(report.exit_code)


_PROCESSORS: list[Any] = []


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[None]:
    """A live progress display on stderr for the command, so stdout keeps tables and JSON."""
    from rich.console import Console

    from .progress import Progress

    with Progress(Console(stderr=True), quiet=quiet) as progress:
        _PROCESSORS[:] = [progress]
        try:
            yield
        finally:
            _PROCESSORS.clear()


def _options(**kwargs: Any) -> Any:
    from .rollout import Options

    kwargs.setdefault("processors", tuple(_PROCESSORS))
    for key in ("hosts", "groups", "sites", "departments", "approve_sites"):
        if key in kwargs:
            kwargs[key] = tuple(kwargs[key] or ())
    return Options(**kwargs)


def _rollout(inventory: Path, playbook: Path, options: Any) -> Any:
    from .rollout import Rollout

    for path, name in ((inventory, "--inventory"), (playbook, "--playbook")):
        if not path.exists():
            raise InputError(name, f"{path} does not exist")
    return Rollout(inventory, playbook, options)


def _ask_next_waves(text: str) -> bool:
    return sys.stdin.isatty() and typer.confirm(text + " Continue with the next waves?")


def _confirm(what: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError("--yes", f"{what} needs confirmation; no terminal to ask, pass --yes")
    if not typer.confirm(what + " Continue?"):
        raise InputError("confirmation", "declined")


@app.command()
def check(
    inventory: Inventory = Path("inventory"),
    playbook: Playbook = Path("playbooks/chinaunicom-free.yaml"),
    hosts: Hosts = None,
    groups: Groups = None,
    site: Sites = None,
    department: Departments = None,
    workers: Workers = 20,
    timeout: Timeout = 30.0,
    shared_radius_key: SharedKey = False,
    report: ReportFile = None,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Does remote management answer on every host (port, login, system view, model)?"""
    opts = dict(
        hosts=hosts,
        groups=groups,
        sites=site,
        departments=department,
        workers=workers,
        timeout=timeout,
        shared_radius_key=shared_radius_key,
    )
    _run(lambda: _rollout(inventory, playbook, _options(**opts)).check(), report, json_out, quiet)


@app.command()
def plan(
    inventory: Inventory = Path("inventory"),
    playbook: Playbook = Path("playbooks/chinaunicom-free.yaml"),
    hosts: Hosts = None,
    groups: Groups = None,
    site: Sites = None,
    department: Departments = None,
    workers: Workers = 20,
    timeout: Timeout = 60.0,
    shared_radius_key: SharedKey = False,
    rotate_key: Annotated[
        bool, typer.Option("--rotate-key", help="send the RADIUS key even if one is set")
    ] = False,
    report: ReportFile = None,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Show each host's exact difference; changes nothing."""
    opts = dict(
        hosts=hosts,
        groups=groups,
        sites=site,
        departments=department,
        workers=workers,
        timeout=timeout,
        shared_radius_key=shared_radius_key,
        rotate_key=rotate_key,
    )
    _run(lambda: _rollout(inventory, playbook, _options(**opts)).plan(), report, json_out, quiet)


@app.command()
def push(
    inventory: Inventory = Path("inventory"),
    playbook: Playbook = Path("playbooks/chinaunicom-free.yaml"),
    change_id: ChangeId = None,
    yes: Yes = False,
    hosts: Hosts = None,
    groups: Groups = None,
    site: Sites = None,
    department: Departments = None,
    workers: Workers = 20,
    timeout: Timeout = 60.0,
    shared_radius_key: SharedKey = False,
    rotate_key: Annotated[bool, typer.Option("--rotate-key")] = False,
    on_failure: Annotated[str, typer.Option("--on-failure", help="rollback-site | keep")] = "rollback-site",
    wave_size: Annotated[int | None, typer.Option("--wave-size", min=1)] = None,
    canary: Annotated[int | None, typer.Option("--canary", min=1)] = None,
    max_fail_percent: Annotated[float, typer.Option("--max-fail-percent", min=0, max=100)] = 20.0,
    trial_seconds: Annotated[int, typer.Option("--trial-seconds", min=1)] = 300,
    allow_unsaved: Annotated[bool, typer.Option("--allow-unsaved")] = False,
    partial_site: Annotated[bool, typer.Option("--partial-site")] = False,
    approve_site: Annotated[list[str] | None, typer.Option("--approve-site")] = None,
    resume: Annotated[Path | None, typer.Option("--resume", help="continue this run folder")] = None,
    window: Window = None,
    timezone: TimeZone = None,
    force: Force = False,
    reason: Reason = None,
    runs_dir: RunsDir = None,
    report: ReportFile = None,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Apply the difference per site: switch, then BRAS, then AC; verify, save, compensate."""

    def action() -> Any:
        if not change_id:
            raise InputError("--change-id", "push needs a change id")
        r = _rollout(
            inventory,
            playbook,
            _options(
                hosts=hosts,
                groups=groups,
                sites=site,
                departments=department,
                workers=workers,
                timeout=timeout,
                shared_radius_key=shared_radius_key,
                rotate_key=rotate_key,
                on_failure=on_failure,
                wave_size=wave_size,
                canary=canary,
                max_fail_percent=max_fail_percent,
                trial_seconds=trial_seconds,
                allow_unsaved=allow_unsaved,
                partial_site=partial_site,
                approve_sites=approve_site,
                runs_dir=runs_dir,
                change_id=change_id,
                resume=resume,
                window=window,
                timezone=timezone,
                force=force,
                reason=reason,
                confirm=None if yes else _ask_next_waves,
            ),
        )
        _confirm(f"Push change {change_id} to {len(r.devices)} hosts of {len(r.sites)} sites.", yes)
        return r.push()

    _run(action, report, json_out, quiet)


@app.command()
def verify(
    inventory: Inventory = Path("inventory"),
    playbook: Playbook = Path("playbooks/chinaunicom-free.yaml"),
    hosts: Hosts = None,
    groups: Groups = None,
    site: Sites = None,
    department: Departments = None,
    workers: Workers = 20,
    timeout: Timeout = 60.0,
    shared_radius_key: SharedKey = False,
    report: ReportFile = None,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Parse each device's output and compare it with the service description."""
    opts = dict(
        hosts=hosts,
        groups=groups,
        sites=site,
        departments=department,
        workers=workers,
        timeout=timeout,
        shared_radius_key=shared_radius_key,
    )
    _run(lambda: _rollout(inventory, playbook, _options(**opts)).verify(), report, json_out, quiet)


@app.command()
def rollback(
    inventory: Inventory = Path("inventory"),
    playbook: Playbook = Path("playbooks/chinaunicom-free.yaml"),
    run: Annotated[Path | None, typer.Option("--run", help="the run folder to roll back")] = None,
    change_id: ChangeId = None,
    yes: Yes = False,
    hosts: Hosts = None,
    groups: Groups = None,
    site: Sites = None,
    department: Departments = None,
    workers: Workers = 20,
    timeout: Timeout = 60.0,
    shared_radius_key: SharedKey = False,
    window: Window = None,
    timezone: TimeZone = None,
    force: Force = False,
    reason: Reason = None,
    runs_dir: RunsDir = None,
    report: ReportFile = None,
    json_out: JsonOut = False,
    quiet: Quiet = False,
) -> None:
    """Restore what one run changed, from its journal and backups."""

    def action() -> Any:
        if not run:
            raise InputError("--run", "rollback needs the run folder to restore")
        if not change_id:
            raise InputError("--change-id", "rollback needs a change id")
        r = _rollout(
            inventory,
            playbook,
            _options(
                hosts=hosts,
                groups=groups,
                sites=site,
                departments=department,
                workers=workers,
                timeout=timeout,
                shared_radius_key=shared_radius_key,
                runs_dir=runs_dir,
                change_id=change_id,
                partial_site=True,
                window=window,
                timezone=timezone,
                force=force,
                reason=reason,
            ),
        )
        _confirm(f"Roll back run {run}.", yes)
        return r.rollback(run)

    _run(action, report, json_out, quiet)


@app.command()
def lab(
    inventory: Inventory = Path("inventory"),
    latency_ms: Annotated[float, typer.Option("--latency-ms")] = 0.0,
    max_seconds: Annotated[float, typer.Option("--max-seconds")] = 8 * 3600.0,
) -> None:
    """Serve a simulated fleet matching the inventory on 127.0.0.x until interrupted."""
    from .lab.fleet import serve

    try:
        raise typer.Exit(serve(inventory, latency_ms=latency_ms, max_seconds=max_seconds))
    except RolloutError as exc:
        _fail(exc)


@app.command()
def demo(
    inventory: Inventory = Path("inventory"),
    playbook: Playbook = Path("playbooks/chinaunicom-free.yaml"),
    runs_dir: RunsDir = None,
) -> None:
    """Run a whole rollout (check, plan, push, verify, rollback) against the built-in lab."""
    from .demo import run_demo

    try:
        raise typer.Exit(run_demo(inventory, playbook, runs_dir))
    except RolloutError as exc:
        _fail(exc)


@app.command("portal-url")
def portal_url(
    wlanuserip: Annotated[str | None, typer.Option("--wlanuserip")] = None,
    wlanacname: Annotated[str | None, typer.Option("--wlanacname")] = None,
    nasip: Annotated[str | None, typer.Option("--nasip")] = None,
    ssid: Annotated[str | None, typer.Option("--ssid")] = None,
    wlanusermac: Annotated[str | None, typer.Option("--wlanusermac")] = None,
    wlanapmac: Annotated[str | None, typer.Option("--wlanapmac")] = None,
    url: Annotated[str | None, typer.Option("--url", help="page the user first asked for")] = None,
    base: Annotated[str, typer.Option("--base")] = "http://103.224.234.164:8080/PortalUrlFromAC",
    check_url: Annotated[
        str | None, typer.Option("--check", help="validate a URL captured in the field")
    ] = None,
) -> None:
    """Build the portal redirect URL, or check a captured one against the portal's minimum."""
    from . import portal

    if check_url is None:
        if not wlanuserip:
            _fail(InputError("--wlanuserip", "needed to build a URL (or pass --check URL)"))
        check_url = portal.build_url(
            base,
            wlanuserip=wlanuserip or "",
            wlanacname=wlanacname,
            nasip=nasip,
            ssid=ssid,
            wlanusermac=wlanusermac,
            wlanapmac=wlanapmac,
            url=url,
        )
        typer.echo(check_url)
    result = portal.check_url(check_url)
    typer.echo(result.message)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def kpi(
    file: Annotated[Path, typer.Argument(help="CSV: site,ap,terminal,assoc_s,ip_s")],
    svg: Annotated[Path | None, typer.Option("--svg", help="write the chart as SVG here")] = None,
) -> None:
    """Grade field measurements against the network-effect targets (5 s, 12 s, 25 s)."""
    from rich.console import Console

    from . import kpi as grading

    try:
        summary = grading.summarize(grading.load_measurements(file))
    except RolloutError as exc:
        _fail(exc)
    grading.render_terminal(summary, Console(highlight=False))
    if svg:
        svg.write_text(grading.chart_svg(summary), encoding="utf-8")
    raise typer.Exit(0 if summary.total.severity == "ok" else 1)


def main() -> None:
    import logging

    # Nornir and Netmiko log task tracebacks; without a handler Python would print them on stderr.
    logging.getLogger().addHandler(logging.NullHandler())
    app()
