"""`ssid-rollout`: a thin layer over `ssid_rollout.rollout.Rollout`.

Heavy libraries (Netmiko, Nornir, TTP) load inside the commands that need them, so
`--help` stays fast. Errors become one line on stderr and the contract's exit code.
"""

from __future__ import annotations

import contextlib
import inspect
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from .errors import InputError, RolloutError
from .i18n import _

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    help="Roll out a portal-authenticated Wi-Fi SSID across hotspot switches, BRAS and ACs.",
)


def _version(value: bool) -> None:
    if value:
        from importlib.metadata import version

        typer.echo(f"ssid-rollout {version('ssid_rollout')}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version and exit")
    ] = False,
) -> None:
    """Roll out a portal-authenticated Wi-Fi SSID across hotspot switches, BRAS and ACs."""


def _fail(exc: BaseException, as_json: bool = False) -> NoReturn:
    """One line (or, with --json, one JSON object on stdout) and the contract's exit code."""
    import os

    from .secrets import Masker

    code = exc.exit_code if isinstance(exc, RolloutError) else 1
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    secrets = [
        v for k, v in os.environ.items() if k.startswith(("SSID_ROLLOUT_PASSWORD", "SSID_ROLLOUT_RADIUS_KEY"))
    ]
    text = Masker(secrets).mask(text)
    if as_json:
        typer.echo(json.dumps({"error": text, "exit_code": code}, ensure_ascii=False))
    else:
        typer.echo("ssid-rollout: " + _("error") + f": {text}", err=True)
    raise typer.Exit(code)


def _check_output(path: Path | None, flag: str) -> None:
    """An output file must be writable before any device is contacted, not after the work."""
    import os

    if path is None:
        return
    folder = path.parent
    if path.is_dir():
        raise InputError(flag, f"{path} is a folder")
    if not folder.is_dir():
        raise InputError(flag, f"folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(flag, f"folder {folder} is not writable")


def _run(
    action: Callable[[], Any], report_file: Path | None, as_json: bool, quiet: bool, lang: str | None = None
) -> None:
    """Run one API call and turn its report into output and an exit code."""
    from .i18n import set_language

    try:
        set_language(lang)
        _check_output(report_file, "--report")
        with _progress(quiet or as_json), _interruptible():
            report = action()
    except RolloutError as exc:
        _fail(exc, as_json)
    except KeyboardInterrupt:  # a second Ctrl-C: stop at once
        typer.echo("ssid-rollout: interrupted at once: see the run folder's journal", err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, for anything unforeseen
        _fail(exc, as_json)
    data = report.to_dict()
    if report_file:
        report_file.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
    if as_json:
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        from .terminal import print_hints, print_problems, print_report

        if quiet:
            print_problems(report)
        else:
            print_report(report)
        print_hints(report, sys.argv[1:])
    raise typer.Exit(report.exit_code)


#: The running command's progress display and API object (for questions and Ctrl-C).
_PROGRESS: list[Any] = []
_ROLLOUT: list[Any] = []


@contextlib.contextmanager
def _progress(quiet: bool) -> Iterator[None]:
    """A live progress display on stderr for the command, so stdout keeps tables and JSON."""
    from rich.console import Console

    from .progress import Progress

    with Progress(Console(stderr=True), quiet=quiet) as progress:
        _PROGRESS[:] = [progress]
        try:
            yield
        finally:
            _PROGRESS.clear()
            _ROLLOUT.clear()


@contextlib.contextmanager
def _interruptible() -> Iterator[None]:
    """Ctrl-C (or SIGTERM) stops the run the orderly way: no new host starts, hosts at work finish their
    section, every artifact says `interrupted`. A second Ctrl-C stops at once."""
    import signal

    def stop(signum: int, frame: Any) -> None:
        if not _ROLLOUT:
            raise KeyboardInterrupt
        name = signal.Signals(signum).name
        _ROLLOUT[0].interrupt(name)
        signal.signal(signal.SIGINT, signal.default_int_handler)  # the next Ctrl-C is final
        typer.echo(
            f"ssid-rollout: {name}: stopping: no new host starts; hosts at work finish their section "
            "(Ctrl-C again to stop at once)",
            err=True,
        )

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _rollout(kw: dict[str, Any]) -> Any:
    """The API object for one command, from its options (names as in `rollout.Options`)."""
    from .rollout import Options, Rollout

    inventory, playbook = kw.pop("inventory"), kw.pop("playbook")
    for path, name in ((inventory, "--inventory"), (playbook, "--playbook")):
        if not path.exists():
            raise InputError(name, f"{path} does not exist")
    for key in (
        "hosts",
        "groups",
        "sites",
        "departments",
        "approve_sites",
        "canary_sites",
        "accept_new_host_key",
    ):
        if key in kw:
            kw[key] = tuple(kw[key] or ())
    rollout = Rollout(inventory, playbook, Options(processors=tuple(_PROGRESS), **kw))
    _ROLLOUT[:] = [rollout]
    return rollout


def _ask(question: str) -> bool:
    """Ask with the live display stopped: the question and the bars before it stay on screen."""
    paused = _PROGRESS[0].paused() if _PROGRESS else contextlib.nullcontext()
    with paused:
        return typer.confirm(question)


def _ask_next_waves(text: str) -> bool:
    return sys.stdin.isatty() and _ask(text + " " + _("Continue with the next waves?"))


def _confirm(what: str, yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(
            "--yes", _("{what} needs confirmation; no terminal to ask, pass --yes").format(what=what)
        )
    if not _ask(what + " " + _("Continue?")):
        raise InputError("confirmation", _("declined"))


def _opt(name: str, default: Any, kind: Any, *flags: str, help: str) -> inspect.Parameter:
    """One command-line option as a keyword parameter typer reads from the command's signature."""
    option = typer.Option(*flags, help=help)
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]
    )


Strs = list[str] | None
SELECTION = [
    _opt("inventory", Path("inventory"), Path, "--inventory", "-i", help="Nornir SimpleInventory folder"),
    _opt(
        "playbook", Path("playbooks/chinaunicom-free.yaml"), Path, "--playbook", "-p", help="service (YAML)"
    ),
    _opt("hosts", None, Strs, "--hosts", help="host name (repeatable)"),
    _opt("groups", None, Strs, "--groups", help="inventory group (repeatable)"),
    _opt("sites", None, Strs, "--site", help="site (repeatable)"),
    _opt("departments", None, Strs, "--department", help="owning department (repeatable)"),
    _opt("workers", 20, int, "--workers", help="concurrent device sessions"),
    _opt("timeout", 60.0, float, "--timeout", help="seconds to wait for any device answer"),
    _opt(
        "shared_radius_key", False, bool, "--shared-radius-key", help="SSID_ROLLOUT_RADIUS_KEY for every BRAS"
    ),
    _opt(
        "accept_new_host_key",
        None,
        Strs,
        "--accept-new-host-key",
        help="accept this host's changed SSH key, sysname or model (repeatable)",
    ),
]
ROTATE = [_opt("rotate_key", False, bool, "--rotate-key", help="send the RADIUS key even if one is set")]
CHANGE = [
    _opt("change_id", None, str | None, "--change-id", help="change ticket id (required)"),
    _opt("yes", False, bool, "--yes", "-y", help="do not ask for confirmation"),
    _opt("window", None, str | None, "--window", help="maintenance window HH:MM-HH:MM"),
    _opt("timezone", None, str | None, "--timezone", help="time zone of the window (Asia/Shanghai)"),
    _opt("force", False, bool, "--force", help="run outside the window (needs --reason)"),
    _opt("reason", None, str | None, "--reason", help="why the window is overridden (recorded)"),
    _opt("runs_dir", None, Path | None, "--runs-dir", help="where run folders go"),
]
PUSH = [
    _opt("on_failure", "rollback-site", str, "--on-failure", help="rollback-site | keep"),
    _opt("wave_size", None, int | None, "--wave-size", help="sites per wave"),
    _opt("canary", None, int | None, "--canary", help="sites in a first wave, then ask"),
    _opt("canary_sites", None, Strs, "--canary-site", help="a site of the canary wave (repeatable)"),
    _opt("max_fail_percent", 20.0, float, "--max-fail-percent", help="failure budget checked between waves"),
    _opt("trial_seconds", 300, int, "--trial-seconds", help="VRPv8 commit trial length"),
    _opt("allow_unsaved", False, bool, "--allow-unsaved", help="push where someone left unsaved work"),
    _opt("partial_site", False, bool, "--partial-site", help="allow pushing only part of a site"),
    _opt("approve_sites", None, Strs, "--approve-site", help="approve a special site (repeatable)"),
    _opt("approved_by", None, str | None, "--approved-by", help="who approved the special sites (recorded)"),
    _opt("resume", None, Path | None, "--resume", help="continue this run folder"),
    _opt(
        "processes",
        None,
        int | None,
        "--processes",
        help="worker processes (default: one per 400 devices, at most one per CPU)",
    ),
]
RUN = [_opt("run", None, Path | None, "--run", help="the run folder to roll back")]
CLUSTER = [
    _opt(
        "cluster",
        None,
        str | None,
        "--cluster",
        help="Dask scheduler tcp://HOST:8786 (or tls://): each host on a worker of its data.dcn "
        "(else SSID_ROLLOUT_CLUSTER)",
    )
]
OUTPUT = [
    _opt("report", None, Path | None, "--report", help="write the JSON report here"),
    _opt("json_out", False, bool, "--json", help="print the JSON report instead of tables"),
    _opt("quiet", False, bool, "--quiet", "-q", help="print only what failed, and the run folder"),
    _opt("lang", None, str | None, "--lang", help="zh | en: messages and artifacts (else SSID_ROLLOUT_LANG)"),
]
#: the people's artifacts of check and plan (sitevisits.py, workorders.py)
VISITS = [_opt("site_visits", None, Path | None, "--site-visits", help="write the site-visit list here")]
ORDERS = [
    _opt("workorders", None, Path | None, "--workorders", help="write the work orders into this folder"),
    _opt("due", None, str | None, "--due", help="when the work must be done (2026-06-05)"),
]


def _command(*groups: list[inspect.Parameter]) -> Callable[[Callable[[dict[str, Any]], Any]], Any]:
    """Register `func(options) -> Report` as a command taking the options of `groups`."""

    def register(func: Callable[[dict[str, Any]], Any]) -> Any:
        def command(**kw: Any) -> None:
            report, as_json, quiet = kw.pop("report"), kw.pop("json_out"), kw.pop("quiet")
            _run(lambda: func(kw), report, as_json, quiet, kw.pop("lang"))

        command.__signature__ = inspect.Signature([p for group in groups for p in group])  # type: ignore[attr-defined]
        command.__doc__ = func.__doc__
        return app.command(func.__name__)(command)

    return register


def _need(kw: dict[str, Any], key: str, flag: str, why: str) -> Any:
    if not kw.get(key):
        raise InputError(flag, why)
    return kw[key]


@_command(SELECTION, CLUSTER, VISITS, OUTPUT)
def check(kw: dict[str, Any]) -> Any:
    """Does remote management answer on every host (port, login, system view, model)?"""
    from .sitevisits import write_after_check

    folder = _output_folder(kw.pop("site_visits"), "--site-visits")
    rollout = _rollout(kw)
    report = rollout.check()
    if folder is not None:
        write_after_check(rollout, report, folder)
    return report


@_command(SELECTION, ROTATE, ORDERS, OUTPUT)
def plan(kw: dict[str, Any]) -> Any:
    """Show each host's exact difference; changes nothing."""
    return _plan(kw, _output_folder(kw.pop("workorders"), "--workorders"))


ORDERS_OUT = [_opt("out", Path("workorders"), Path, "--out", help="folder for the work orders"), ORDERS[1]]


@_command(SELECTION, ROTATE, ORDERS_OUT, OUTPUT)
def workorders(kw: dict[str, Any]) -> Any:
    """Before the window: per department, vendor and integrator, the devices, commands and undo,
    who must be on site together, the special sites and contacts (Markdown, HTML, Excel)."""
    return _plan(kw, _output_folder(kw.pop("out"), "--out"))


def _plan(kw: dict[str, Any], folder: Path | None) -> Any:
    """A plan, and its work orders written into `folder` (checked writable before any device)."""
    from .workorders import check_due, write_before_window

    due = check_due(kw.pop("due"))
    rollout = _rollout(kw)
    report = rollout.plan()
    if folder is not None:
        write_before_window(rollout, report, folder, due)
    return report


def _output_folder(folder: Path | None, flag: str) -> Path | None:
    """A folder the people's artifacts go into: it, or the folder it would be made in, must be writable."""
    if folder is not None:
        _check_output(folder / "x" if folder.is_dir() else folder, flag)
    return folder


@_command(SELECTION, ROTATE, CHANGE, PUSH, CLUSTER, OUTPUT)
def push(kw: dict[str, Any]) -> Any:
    """Apply the difference per site: switch, then BRAS, then AC; verify, save, compensate."""
    change_id = _need(kw, "change_id", "--change-id", "push needs a change id")
    yes = kw.pop("yes")
    kw["confirm"] = None if yes else _ask_next_waves
    rollout = _rollout(kw)
    rollout.preflight()  # the window, the selection and the keys are checked before anyone is asked
    going = rollout.sites_to_push()
    skipped = [s for s in rollout.sites if s not in going]
    hosts = sum(1 for d in rollout.devices.values() if any(s in d.sites for s in going))
    what = _("Push change {change} to {hosts} hosts of {sites} sites").format(
        change=change_id, hosts=hosts, sites=len(going)
    )
    if skipped:
        what += " " + _("({n} special site(s) skipped: {names})").format(
            n=len(skipped), names=", ".join(skipped)
        )
    what += "."
    _confirm(what, yes)
    return rollout.push()


@_command(SELECTION, OUTPUT)
def verify(kw: dict[str, Any]) -> Any:
    """Parse each device's output and compare it with the service description."""
    return _rollout(kw).verify()


@_command(SELECTION, RUN, CHANGE, CLUSTER, OUTPUT)
def rollback(kw: dict[str, Any]) -> Any:
    """Restore what one run changed, from its journal and backups."""
    run = _need(kw, "run", "--run", "rollback needs the run folder to restore")
    _need(kw, "change_id", "--change-id", "rollback needs a change id")
    yes = kw.pop("yes")
    del kw["run"]
    rollout = _rollout({**kw, "partial_site": True})
    rollout.preflight()
    touched = rollout.touched_by(run)
    if not touched:
        what = _("Run {run} left nothing on the selected hosts: nothing to roll back.").format(run=run)
    else:
        sections = sum(len(s) for s in touched.values())
        hosts = ", ".join(sorted(touched))
        what = _("Roll back run {run}: {sections} section(s) on {count} host(s): {hosts}.").format(
            run=run, sections=sections, count=len(touched), hosts=hosts
        )
    _confirm(what, yes)
    return rollout.rollback(run)


@app.command()
def lab(
    inventory: Annotated[Path, typer.Option("--inventory", "-i")] = Path("inventory"),
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
    inventory: Annotated[Path, typer.Option("--inventory", "-i")] = Path("inventory"),
    playbook: Annotated[Path, typer.Option("--playbook", "-p")] = Path("playbooks/chinaunicom-free.yaml"),
    runs_dir: Annotated[Path | None, typer.Option("--runs-dir")] = None,
) -> None:
    """Run a whole rollout (check, plan, push, verify, rollback) against the built-in lab."""
    from .demo import example, run_demo

    try:
        raise typer.Exit(run_demo(example(inventory), example(playbook), runs_dir))
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
    as_json: Annotated[bool, typer.Option("--json", help="print the verdict as JSON")] = False,
) -> None:
    """Build the portal redirect URL, or check a captured one against the portal's minimum."""
    import dataclasses

    from . import portal

    built = check_url is None
    if check_url is None:
        if not wlanuserip:
            _fail(InputError("--wlanuserip", "needed to build a URL (or pass --check URL)"), as_json)
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
    result = portal.check_url(check_url)
    if as_json:
        typer.echo(json.dumps({"url": check_url, **dataclasses.asdict(result)}, ensure_ascii=False, indent=2))
    else:
        if built:
            typer.echo(check_url)
        typer.echo(result.message)
    raise typer.Exit(0 if result.ok else 1)


@app.command()
def kpi(
    file: Annotated[Path, typer.Argument(help="CSV: site,ap,terminal,assoc_s,ip_s")],
    svg: Annotated[Path | None, typer.Option("--svg", help="write the chart as SVG here")] = None,
    run: Annotated[Path | None, typer.Option("--run", help="add the chart to this run's report.html")] = None,
    inventory: Annotated[Path, typer.Option("--inventory", "-i")] = Path("inventory"),
    playbook: Annotated[Path, typer.Option("--playbook", "-p")] = Path("playbooks/chinaunicom-free.yaml"),
    as_json: Annotated[bool, typer.Option("--json", help="print the grades as JSON")] = False,
) -> None:
    """Grade field measurements against the network-effect targets (5 s, 12 s, 25 s)."""
    import dataclasses

    from rich.console import Console

    from . import kpi as grading

    try:
        _check_output(svg, "--svg")
        summary = grading.summarize(grading.load_measurements(file))
        if run:
            _add_kpi_to_run(run, inventory, playbook, summary)
    except RolloutError as exc:
        _fail(exc, as_json)
    if as_json:
        typer.echo(json.dumps(dataclasses.asdict(summary), ensure_ascii=False, indent=2))
    else:
        grading.render_terminal(summary, Console(highlight=False))
    if svg:
        svg.write_text(grading.chart_svg(summary), encoding="utf-8")
    raise typer.Exit(0 if summary.total.severity == "ok" else 1)


def _add_kpi_to_run(run: Path, inventory: Path, playbook: Path, summary: Any) -> None:
    """Write the run's people's artifacts again, with the KPI chart in report.html."""
    from .artifacts import write_artifacts
    from .inventory import load_devices
    from .runfolder import RunFolder
    from .secrets import Masker
    from .spec import load_spec
    from .views import Report

    path = run / "report.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError("--run", f"{run} has no report.json") from None
    except (OSError, ValueError) as exc:
        raise InputError(
            str(path), f"is not a report this tool wrote ({' '.join(str(exc).split())[:80]})"
        ) from None
    if not isinstance(data, dict):
        raise InputError(str(path), "is not a report this tool wrote (not a JSON object)")
    Report.of(data, str(path))
    spec = load_spec(playbook)
    write_artifacts(RunFolder(run, Masker([]).mask), data, load_devices(inventory, spec), spec, kpi=summary)


def main() -> None:
    import logging
    import resource

    # Nornir and Netmiko log task tracebacks; without a handler Python would print them on stderr.
    logging.getLogger().addHandler(logging.NullHandler())
    # each session holds about four descriptors: a province-sized run needs more than 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))
    app()
