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
from typing import Annotated, Any

import typer

from .cli_options import (
    CHANGE,
    CLUSTER,
    ORDERS,
    ORDERS_OUT,
    OUTPUT,
    PUSH,
    ROTATE,
    RUN,
    SELECTION,
    VISITS,
    check_output,
    fail,
    output_folder,
)
from .cli_tools import tools
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


def _run(
    action: Callable[[], Any], report_file: Path | None, as_json: bool, quiet: bool, lang: str | None = None
) -> None:
    """Run one API call and turn its report into output and an exit code."""
    from .i18n import set_language

    try:
        set_language(lang)
        check_output(report_file, "--report")
        with _progress(quiet or as_json), _interruptible():
            report = action()
    except RolloutError as exc:
        fail(exc, as_json)
    except KeyboardInterrupt:  # a second Ctrl-C: stop at once
        typer.echo("ssid-rollout: " + _("interrupted at once: see the run folder's journal"), err=True)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, for anything unforeseen
        fail(exc, as_json)
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
        stopping = _(
            "stopping: no new host starts; hosts at work finish their section (Ctrl-C again to stop at once)"
        )
        typer.echo(f"ssid-rollout: {name}: {stopping}", err=True)

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
            raise InputError(name, _("{path} does not exist").format(path=path))
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

    folder = output_folder(kw.pop("site_visits"), "--site-visits")
    rollout = _rollout(kw)
    report = rollout.check()
    if folder is not None:
        write_after_check(rollout, report, folder)
    return report


@_command(SELECTION, ROTATE, ORDERS, OUTPUT)
def plan(kw: dict[str, Any]) -> Any:
    """Show each host's exact difference; changes nothing."""
    return _plan(kw, output_folder(kw.pop("workorders"), "--workorders"))


@_command(SELECTION, ROTATE, ORDERS_OUT, OUTPUT)
def workorders(kw: dict[str, Any]) -> Any:
    """Before the window: per department, vendor and integrator, the devices, commands and undo,
    who must be on site together, the special sites and contacts (Markdown, HTML, Excel)."""
    return _plan(kw, output_folder(kw.pop("out"), "--out"))


def _plan(kw: dict[str, Any], folder: Path | None) -> Any:
    """A plan, and its work orders written into `folder` (checked writable before any device)."""
    from .workorders import check_due, write_before_window

    due = check_due(kw.pop("due"))
    rollout = _rollout(kw)
    report = rollout.plan()
    if folder is not None:
        write_before_window(rollout, report, folder, due)
    return report


@_command(SELECTION, ROTATE, CHANGE, PUSH, CLUSTER, OUTPUT)
def push(kw: dict[str, Any]) -> Any:
    """Apply the difference per site: switch, then BRAS, then AC; verify, save, compensate."""
    change_id = _need(kw, "change_id", "--change-id", _("push needs a change id"))
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
    run = _need(kw, "run", "--run", _("rollback needs the run folder to restore"))
    _need(kw, "change_id", "--change-id", _("rollback needs a change id"))
    yes = kw.pop("yes")
    del kw["run"]
    rollout = _rollout({**kw, "partial_site": True})
    touched = rollout.touched_by(run)  # a wrong --run is bad input (exit 2), whatever the hour
    rollout.preflight()
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


app.add_typer(tools)


def main() -> None:
    import logging

    from .limits import more_open_files

    # Nornir and Netmiko log task tracebacks; without a handler Python would print them on stderr.
    logging.getLogger().addHandler(logging.NullHandler())
    more_open_files()
    app()
