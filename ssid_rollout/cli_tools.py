"""The CLI's tools beside the rollout: the lab, the demo, the portal URL and the KPI grades."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from .cli_options import check_output, fail
from .errors import InputError, RolloutError
from .i18n import _

tools = typer.Typer(rich_markup_mode=None, pretty_exceptions_enable=False)


@tools.command()
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
        fail(exc)


@tools.command()
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
        fail(exc)


@tools.command("portal-url")
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
            fail(InputError("--wlanuserip", _("needed to build a URL (or pass --check URL)")), as_json)
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


@tools.command()
def kpi(
    file: Annotated[Path, typer.Argument(help="CSV: site,ap,terminal,assoc_s,ip_s", metavar="FILE")],
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
        check_output(svg, "--svg")
        summary = grading.summarize(grading.load_measurements(file))
        if run:
            _add_kpi_to_run(run, inventory, playbook, summary)
    except RolloutError as exc:
        fail(exc, as_json)
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
        raise InputError("--run", _("{path} has no report.json").format(path=run)) from None
    except (OSError, ValueError) as exc:
        why = " ".join(str(exc).split())[:80]
        raise InputError(str(path), _("is not a report this tool wrote ({why})").format(why=why)) from None
    if not isinstance(data, dict):
        raise InputError(str(path), _("is not a report this tool wrote (not a JSON object)"))
    Report.of(data, str(path))
    spec = load_spec(playbook)
    write_artifacts(RunFolder(run, Masker([]).mask), data, load_devices(inventory, spec), spec, kpi=summary)
