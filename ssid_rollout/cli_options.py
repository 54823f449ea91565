"""The CLI's shared pieces: its option groups (commands take the groups they use), the one-line
error with the contract's exit code, and the output checks made before any device is contacted."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from .errors import InputError, RolloutError
from .i18n import _


def fail(exc: BaseException, as_json: bool = False) -> NoReturn:
    """One line (or, with --json, one JSON object on stdout) and the contract's exit code."""
    import os

    from .secrets import JUMP_PASSWORD_VAR, PASSWORD_VAR, SHARED_RADIUS_KEY_VAR, Masker

    code = exc.exit_code if isinstance(exc, RolloutError) else 1
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    names = (PASSWORD_VAR, SHARED_RADIUS_KEY_VAR, JUMP_PASSWORD_VAR)
    secrets = [v for k, v in os.environ.items() if k.startswith(names)]
    text = Masker(secrets).mask(text)
    if as_json:
        typer.echo(json.dumps({"error": text, "exit_code": code}, ensure_ascii=False))
    else:
        typer.echo("ssid-rollout: " + _("error") + f": {text}", err=True)
    raise typer.Exit(code)


def check_output(path: Path | None, flag: str) -> None:
    """An output file must be writable before any device is contacted, not after the work."""
    import os

    if path is None:
        return
    folder = path.parent
    if path.is_dir():
        raise InputError(flag, _("{path} is a folder").format(path=path))
    if not folder.is_dir():
        raise InputError(flag, _("folder {path} does not exist").format(path=folder))
    if not os.access(folder, os.W_OK | os.X_OK):
        raise InputError(flag, _("folder {path} is not writable").format(path=folder))


def output_folder(folder: Path | None, flag: str) -> Path | None:
    """A folder the people's artifacts go into: it, or the folder it would be made in, must be writable."""
    if folder is not None:
        check_output(folder / "x" if folder.is_dir() else folder, flag)
    return folder


def opt(name: str, default: Any, kind: Any, *flags: str, help: str) -> inspect.Parameter:
    """One command-line option as a keyword parameter typer reads from the command's signature."""
    option = typer.Option(*flags, help=help)
    return inspect.Parameter(
        name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=Annotated[kind, option]
    )


Strs = list[str] | None
SELECTION = [
    opt("inventory", Path("inventory"), Path, "--inventory", "-i", help="Nornir SimpleInventory folder"),
    opt("playbook", Path("playbooks/chinaunicom-free.yaml"), Path, "--playbook", "-p", help="service (YAML)"),
    opt("hosts", None, Strs, "--hosts", help="host name (repeatable)"),
    opt("groups", None, Strs, "--groups", help="inventory group (repeatable)"),
    opt("sites", None, Strs, "--site", help="site (repeatable)"),
    opt("departments", None, Strs, "--department", help="owning department (repeatable)"),
    opt("workers", 20, int, "--workers", help="concurrent device sessions"),
    opt("timeout", 60.0, float, "--timeout", help="seconds to wait for any device answer"),
    opt(
        "shared_radius_key", False, bool, "--shared-radius-key", help="SSID_ROLLOUT_RADIUS_KEY for every BRAS"
    ),
    opt(
        "accept_new_host_key",
        None,
        Strs,
        "--accept-new-host-key",
        help="accept this host's changed SSH key, sysname or model (repeatable)",
    ),
]
ROTATE = [opt("rotate_key", False, bool, "--rotate-key", help="send the RADIUS key even if one is set")]
CHANGE = [
    opt("change_id", None, str | None, "--change-id", help="change ticket id (required)"),
    opt("yes", False, bool, "--yes", "-y", help="do not ask for confirmation"),
    opt("window", None, str | None, "--window", help="maintenance window HH:MM-HH:MM"),
    opt("timezone", None, str | None, "--timezone", help="time zone of the window (Asia/Shanghai)"),
    opt("force", False, bool, "--force", help="run outside the window (needs --reason)"),
    opt("reason", None, str | None, "--reason", help="why the window is overridden (recorded)"),
    opt("runs_dir", None, Path | None, "--runs-dir", help="where run folders go"),
]
PUSH = [
    opt("on_failure", "rollback-site", str, "--on-failure", help="rollback-site | keep"),
    opt("wave_size", None, int | None, "--wave-size", help="sites per wave"),
    opt("canary", None, int | None, "--canary", help="sites in a first wave, then ask"),
    opt("canary_sites", None, Strs, "--canary-site", help="a site of the canary wave (repeatable)"),
    opt("max_fail_percent", 20.0, float, "--max-fail-percent", help="failure budget checked between waves"),
    opt("trial_seconds", 300, int, "--trial-seconds", help="VRPv8 commit trial length"),
    opt("allow_unsaved", False, bool, "--allow-unsaved", help="push where someone left unsaved work"),
    opt("partial_site", False, bool, "--partial-site", help="allow pushing only part of a site"),
    opt("approve_sites", None, Strs, "--approve-site", help="approve a special site (repeatable)"),
    opt("approved_by", None, str | None, "--approved-by", help="who approved the special sites (recorded)"),
    opt("resume", None, Path | None, "--resume", help="continue this run folder"),
    opt(
        "processes",
        None,
        int | None,
        "--processes",
        help="worker processes (default: one per 400 devices, at most one per CPU)",
    ),
]
RUN = [opt("run", None, Path | None, "--run", help="the run folder to roll back")]
CLUSTER = [
    opt(
        "cluster",
        None,
        str | None,
        "--cluster",
        help="Dask scheduler tcp://HOST:8786 (or tls://): each host on a worker of its data.dcn "
        "(else SSID_ROLLOUT_CLUSTER)",
    )
]
OUTPUT = [
    opt("report", None, Path | None, "--report", help="write the JSON report here"),
    opt("json_out", False, bool, "--json", help="print the JSON report instead of tables"),
    opt("quiet", False, bool, "--quiet", "-q", help="print only what failed, and the run folder"),
    opt("lang", None, str | None, "--lang", help="zh | en: messages and artifacts (else SSID_ROLLOUT_LANG)"),
]
#: the people's artifacts of check and plan (sitevisits.py, workorders.py)
VISITS = [opt("site_visits", None, Path | None, "--site-visits", help="write the site-visit list here")]
ORDERS = [
    opt("workorders", None, Path | None, "--workorders", help="write the work orders into this folder"),
    opt("due", None, str | None, "--due", help="when the work must be done (2026-06-05)"),
]
ORDERS_OUT = [opt("out", Path("workorders"), Path, "--out", help="folder for the work orders"), ORDERS[1]]
