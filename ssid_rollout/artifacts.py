"""Artifacts for people who were not at the console: HTML report, portal handover, work orders.

report.json is the machine contract (docs/report-schema.md); these files are views of the same
report for the operator's browser, the portal platform and the departments, vendors and integrators
that own the devices, in the run's language (`--lang`, i18n.py). Everything goes through the run
folder's masking on the way out (workbooks cell by cell). That masking also rewrites
`shared-key <word>` and `password <word>` wherever they appear, so no interpolated text may be
followed directly by a space and markup.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .handover import handover_csv, handover_markdown, handover_sheet
from .i18n import language
from .model import Device, HostPlan
from .people import Directory
from .views import (
    HostView,
    Report,
    Texts,
    by_site,
    commands_text,
    diff_lines,
    host_views,
    render_template,
    run_time,
    tone,
    window_text,
    write_workbook,
)

if TYPE_CHECKING:
    from .kpi import KpiSummary
    from .runfolder import RunFolder

#: Sites and hosts named one by one in the summary; the rest are counted (the tables filter them).
ATTENTION_LISTED = 15


def write_artifacts(
    run: RunFolder,
    data: Mapping[str, Any],
    devices: Mapping[str, Device],
    spec: Any,
    *,
    plans: Mapping[str, HostPlan] | None = None,
    kpi: KpiSummary | None = None,
    directory: Directory | None = None,
    lang: str | None = None,
    due: str | None = None,
) -> list[Path]:
    """Write report.html, handover.csv/.md/.xlsx and the work orders; return their paths.

    `data` is the JSON report; `spec` the ServiceSpec (service, SSID, VLAN, portal and RADIUS for
    the handover); `plans` the pushed plans (read from the run's plan.json when not given); `kpi`
    adds the field-measurement chart to the HTML report; `directory` the inventory's people and
    places; `lang` the language (default: i18n.language()).
    """
    from .report import plan_json
    from .workorders import write_work_orders

    directory = directory or Directory()
    report = Report.of(data)
    t = Texts(lang or language(), directory.timezone)
    when = run_time(run)
    rows = {n: plan_json(p) for n, p in plans.items()} if plans is not None else None
    hosts = host_views(run, report, devices, rows)
    written = [
        run.write("report.html", render_html(report, hosts, spec, when, t, directory, kpi)),
        run.write("handover.csv", handover_csv(report, hosts, t)),
        run.write("handover.md", handover_markdown(report, hosts, spec, when, t)),
        write_workbook(run, "handover.xlsx", [handover_sheet(report, hosts, spec, when, t)]),
    ]
    written += write_work_orders(run, report, hosts, t, directory, when=when, due=due)
    return written


# -- HTML ---------------------------------------------------------------------------------------
def render_html(
    report: Report,
    hosts: list[HostView],
    spec: Any,
    when: datetime,
    t: Texts | None = None,
    directory: Directory | None = None,
    kpi: KpiSummary | None = None,
) -> str:
    """One self-contained page: summary first, then the sortable, filterable site and host tables with
    each host's details folded away; its one script is inline, nothing is fetched."""
    t = t or Texts()
    directory = directory or Directory()
    chart = None
    if kpi is not None:
        from .kpi import chart_svg

        chart = chart_svg(kpi, t.lang)  # inlined as is (the template marks it safe): kpi escapes its texts
    serving = by_site(hosts)
    sites = [
        {
            "name": site,
            "label": directory.site_name(site),
            "reason": "",
            **row,
            "hosts": [h.name for h in serving.get(site, [])],
            "departments": sorted({h.department for h in serving.get(site, [])}),
        }
        for site, row in sorted(report.sites.items())
    ]
    departments = sorted({h.department for h in hosts})
    by_department = [
        (dept, sorted(Counter(h.status for h in hosts if h.department == dept).items()))
        for dept in departments
    ]
    warnings: dict[str, list[str]] = {}
    for h in hosts:
        for warning in h.warnings:
            warnings.setdefault(warning, []).append(h.name)
    return render_template(
        "report.html.j2",
        t=t,
        report=report,
        exit_meaning=t.exit_meaning(report.command, report.exit_code),
        when=t.time(when),
        spec=spec,
        sites=sites,
        site_counts=sorted(Counter(s["status"] for s in sites).items()),
        host_counts=sorted(Counter(h.status for h in hosts).items()),
        by_department=by_department,
        departments=departments,
        statuses=sorted({h.status for h in hosts}),
        bad_sites=[s for s in sites if tone(s["status"]) != "good"],
        bad_hosts=[h for h in hosts if tone(h.status) == "bad"],
        listed=ATTENTION_LISTED,
        plan_warnings=sorted(warnings.items()),
        approvals=[(directory.site_label(s), a) for s, a in sorted(report.approvals.items())],
        hosts=hosts,
        diff_lines=diff_lines,
        commands_text=commands_text,
        failing=[(h.name, f) for h in hosts for f in h.row["facts"] if not f["ok"]],
        chart=chart,
        lang_tag="zh-CN" if t.lang == "zh" else t.lang,
        window=window_text(directory),
    )
