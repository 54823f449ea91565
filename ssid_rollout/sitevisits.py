"""Site visits: devices whose remote management is off or unreachable, for the people who must go.

Seed 3.2: confirm on site that remote management is enabled, especially on switches; where it is
not, operations or the vendor must travel to the site. `check --site-visits DIR` writes the list
from the check: per department and vendor, each device with its site, address and the reason check
found, as Markdown, a printable HTML page and a workbook.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .views import HostView, Output, Texts, md_table, render_template, write_workbook

if TYPE_CHECKING:
    from .people import Directory
    from .rollout import Rollout
    from .runfolder import RunFolder
    from .sheets import Sheet

NAME = "site-visits"


@dataclass(frozen=True)
class Visit:
    """One device someone must go to."""

    host: str
    role: str
    department: str
    vendor: str
    site: str
    address: str
    reason: str


def visits(hosts: list[HostView], directory: Directory) -> list[Visit]:
    """Every unreachable host, by department, vendor, site and name."""
    out = []
    for h in hosts:
        if h.status != "unreachable":
            continue
        devices = [h.device] if h.device is not None else []
        address = (h.device.address if h.device else None) or directory.address(
            next(iter(h.sites), ""), devices
        )
        out.append(
            Visit(
                h.name,
                h.role,
                h.department,
                h.vendor,
                ", ".join(directory.site_label(s) for s in h.sites),
                address or "",
                h.problem,
            )
        )
    return sorted(out, key=lambda v: (v.department, v.vendor, v.site, v.host))


def groups(found: list[Visit]) -> list[tuple[str, str, list[Visit]]]:
    """(department, vendor, visits) in order: who goes where together."""
    out: dict[tuple[str, str], list[Visit]] = {}
    for visit in found:
        out.setdefault((visit.department, visit.vendor), []).append(visit)
    return [(dept, vendor, mine) for (dept, vendor), mine in out.items()]


def heading(t: Texts) -> list[str]:
    return [t("host"), t("role"), t("site"), t("address"), t("reason")]


def row(v: Visit, t: Texts) -> list[str]:
    return [v.host, t.role(v.role), v.site, v.address or "-", v.reason]


def write_site_visits(
    out: RunFolder, hosts: list[HostView], t: Texts, directory: Directory, when_text: str
) -> list[Path]:
    """site-visits.md, .html and .xlsx in `out`: nothing to visit is said too, so the list is never stale."""
    found = visits(hosts, directory)
    title = t("Site visits: remote management off or unreachable")
    intro = t(
        "Operations or the vendor must go to these devices and enable remote management "
        "(SSH, the login the tool uses) before the window."
    )
    written = t("Written: {when}", when=when_text)
    lines = [f"# {title}", "", f"- {written}", f"- {intro}", ""]
    if not found:
        lines.append(t("Every device answered: no visit needed."))
    for dept, vendor, mine in groups(found):
        lines += ["", f"## {dept or t('unassigned')} / {vendor or t('no vendor given')}", ""]
        lines += md_table(heading(t), (row(v, t) for v in mine))
    page = render_template(
        "sitevisits.html.j2",
        t=t,
        lang_tag="zh-CN" if t.lang == "zh" else t.lang,
        title=title,
        intro=intro,
        when=when_text,
        groups=[(d, v, [row(x, t) for x in m]) for d, v, m in groups(found)],
        heading=heading(t),
    )
    return [
        out.write(f"{NAME}.md", "\n".join(lines) + "\n"),
        out.write(f"{NAME}.html", page),
        write_workbook(out, f"{NAME}.xlsx", [sheet(found, t, [title, written, intro])]),
    ]


def sheet(found: list[Visit], t: Texts, notes: list[str]) -> Sheet:
    from .sheets import Sheet

    return Sheet(
        t("site visits"),
        [t("department"), t("vendor"), *heading(t)],
        [[v.department, v.vendor or "-", *row(v, t)] for v in found],
        notes,
    )


def write_after_check(rollout: Rollout, check: Any, folder: Path) -> list[Path]:
    """The site visits a check found (`check --site-visits DIR`), into `folder`."""
    out = Output.of(rollout, check, folder)
    return write_site_visits(out.folder, out.hosts, out.t, out.directory, out.t.time(out.when))
