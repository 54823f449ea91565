"""Work orders: what each department, vendor and integrator must do, with whom, where and by when.

Seed 3.1-3.4: switch, AC and BRAS belong to operations (运维), radio optimisation (网优) and network
management (网管); a city has several vendors and integrators; everyone should be on site together;
schools and dormitories need their own managers agreed beforehand. `ssid-rollout workorders` (or
`plan --workorders DIR`) writes them before the window from the plan; every push and rollback writes
them again into its run folder from what it did. One Markdown file per department, vendor and
integrator, one printable HTML page and one workbook with a sheet per department.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import InputError
from .i18n import N_, _
from .people import Approval, Directory, contact_text
from .views import (
    HostView,
    Output,
    Report,
    Texts,
    apply_mode,
    by_site,
    code_block,
    commands_text,
    md_table,
    render_template,
    site_cell,
    slug,
    window_text,
    write_workbook,
)

if TYPE_CHECKING:
    from .hostdata import Contact
    from .rollout import Rollout
    from .runfolder import RunFolder
    from .sheets import Sheet

FOLDER = "workorders"
KINDS = {"department": N_("department"), "vendor": N_("vendor"), "integrator": N_("integrator")}


@dataclass(frozen=True)
class SiteTeam:
    """One site and everyone its change needs (seed 3.1: ideally all on site at once)."""

    site: str
    label: str
    address: str
    departments: tuple[str, ...]
    companies: tuple[str, ...]
    special: str  # the reason it is special, or ''
    venue: str
    venue_contact: str
    approval: Approval | None


@dataclass
class WorkOrder:
    """One department's, vendor's or integrator's share of the change."""

    kind: str
    name: str
    hosts: list[HostView]
    sites: list[SiteTeam] = field(default_factory=list)
    contacts: list[tuple[str, Contact]] = field(default_factory=list)

    @property
    def file(self) -> str:
        prefix = "" if self.kind == "department" else f"{self.kind}-"
        return f"{prefix}{slug(self.name)}"


@dataclass(frozen=True)
class Context:
    """What every work order of one run shares: report, language, people and times."""

    report: Report
    t: Texts
    directory: Directory
    when: datetime
    due: str | None

    def approval_text(self, team: SiteTeam) -> str:
        t, a = self.t, team.approval
        if a is None:
            return t("pending: push needs --approve-site {site} --approved-by NAME", site=team.site)
        return t("approved by {by} at {at}", by=a.by, at=a.at or "-")


def build(report: Report, hosts: list[HostView], directory: Directory) -> list[WorkOrder]:
    """Orders per department, then per vendor and per integrator, each with its sites and contacts."""
    teams = site_teams(report, hosts, directory)
    groups: dict[tuple[str, str], list[HostView]] = {}
    for h in hosts:
        for kind, name in (("department", h.department), ("vendor", h.vendor), ("integrator", h.integrator)):
            if name or kind == "department":
                groups.setdefault((kind, name), []).append(h)
    order = list(KINDS)
    orders = []
    for (kind, name), mine in sorted(groups.items(), key=lambda item: (order.index(item[0][0]), item[0][1])):
        sites = {s for h in mine for s in h.sites}
        orders.append(
            WorkOrder(
                kind,
                name,
                mine,
                [team for team in teams if team.site in sites],
                directory.people(name, *(h.vendor for h in mine), *(h.integrator for h in mine)),
            )
        )
    return orders


def site_teams(report: Report, hosts: list[HostView], directory: Directory) -> list[SiteTeam]:
    out = []
    for site, mine in by_site(hosts).items():
        special = directory.special.get(site)
        out.append(
            SiteTeam(
                site=site,
                label=directory.site_name(site),
                address=directory.address(site, [h.device for h in mine if h.device is not None]),
                departments=tuple(sorted({h.department for h in mine})),
                companies=tuple(sorted({c for h in mine for c in (h.vendor, h.integrator) if c})),
                special=special.reason if special else "",
                venue=(special.venue or "") if special else "",
                venue_contact=contact_text(special.contact) if special and special.contact else "",
                approval=directory.approval(site, report.approvals) if special else None,
            )
        )
    return out


def write_work_orders(
    out: RunFolder,
    report: Report,
    hosts: list[HostView],
    t: Texts,
    directory: Directory,
    *,
    when: datetime,
    due: str | None = None,
    prefix: str = f"{FOLDER}/",
) -> list[Path]:
    """Markdown per order, `workorders.html` and `workorders.xlsx` (under `workorders/` in a run folder)."""
    ctx = Context(report, t, directory, when, due)
    orders = build(report, hosts, directory)
    written = [out.write(f"{prefix}{o.file}.md", markdown(o, ctx)) for o in orders]
    written.append(out.write(f"{prefix}workorders.html", html(orders, ctx)))
    written.append(write_workbook(out, f"{prefix}workorders.xlsx", sheets(orders, ctx)))
    return written


def write_before_window(rollout: Rollout, plan: Any, folder: Path, due: str | None = None) -> list[Path]:
    """The work orders of a plan (`ssid-rollout workorders`, `plan --workorders DIR`), into `folder`."""
    out = Output.of(rollout, plan, folder)
    return write_work_orders(
        out.folder, out.report, out.hosts, out.t, out.directory, when=out.when, due=check_due(due), prefix=""
    )


def check_due(value: str | None) -> str | None:
    """`--due`: a date (2024-06-01) or a date and time (2024-06-01 18:00)."""
    if value is None:
        return None
    for form in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"):
        try:
            datetime.strptime(value, form)
            return value
        except ValueError:
            continue
    raise InputError(
        "--due", _("{value} is not a date like 2024-06-01 or 2024-06-01 18:00").format(value=repr(value))
    )


# -- the texts every format shares ----------------------------------------------------------------
def header_lines(order: WorkOrder, ctx: Context) -> list[tuple[str, str]]:
    """(label, value) lines at the top of an order."""
    t, report, directory = ctx.t, ctx.report, ctx.directory
    window = window_text(directory) or "-"
    changing = [h for h in order.hosts if h.changes]
    return [
        (t("Change"), f"{report.change_id or '-'} ({report.command})"),
        (t("Written"), t.time(ctx.when)),
        (t("Maintenance window"), window),
        (t("Due"), ctx.due or "-"),
        (t("Devices"), t("{n}, with commands: {m}", n=len(order.hosts), m=len(changing))),
    ]


def title(order: WorkOrder, ctx: Context) -> str:
    t = ctx.t
    return t("Work order: {name} ({kind})", name=order.name or t("unassigned"), kind=t(KINDS[order.kind]))


def device_row(h: HostView, ctx: Context) -> list[str]:
    t = ctx.t
    return [
        h.name,
        t.role(h.role),
        "; ".join(site_cell(s, ctx.report, t) for s in h.sites),
        h.vendor or "-",
        h.integrator or "-",
        t.status(h.status),
        t("yes") if h.changes else t("none"),
    ]


def device_heading(ctx: Context) -> list[str]:
    t = ctx.t
    return [t("host"), t("role"), t("sites"), t("vendor"), t("integrator"), t("status"), t("commands")]


def team_row(team: SiteTeam, ctx: Context) -> list[str]:
    return [
        team.site,
        team.label,
        team.address or "-",
        ", ".join(team.departments),
        ", ".join(team.companies) or "-",
    ]


def team_heading(ctx: Context) -> list[str]:
    t = ctx.t
    return [t("site"), t("name"), t("address"), t("departments"), t("vendors and integrators")]


def special_row(team: SiteTeam, ctx: Context) -> list[str]:
    return [team.label, team.special, team.venue or "-", team.venue_contact or "-", ctx.approval_text(team)]


def special_heading(ctx: Context) -> list[str]:
    t = ctx.t
    return [t("site"), t("why special"), t("venue"), t("venue contact"), t("approval")]


def contact_row(whose: str, contact: Contact) -> list[str]:
    return [whose, contact.name, contact.role or "-", contact.phone or "-", contact.email or "-"]


def contact_heading(ctx: Context) -> list[str]:
    t = ctx.t
    return [t("for"), t("name"), t("duty"), t("phone"), t("email")]


# -- Markdown ------------------------------------------------------------------------------------
def markdown(order: WorkOrder, ctx: Context) -> str:
    t = ctx.t
    lines = ["# " + title(order, ctx), ""]
    lines += [f"- {label}: {value}" for label, value in header_lines(order, ctx)]
    lines += ["", "## " + t("Contacts"), ""]
    lines += (
        md_table(contact_heading(ctx), (contact_row(w, c) for w, c in order.contacts))
        if order.contacts
        else ["- " + t("none in the inventory (data.contacts)")]
    )
    lines += [
        "",
        "## " + t("On site together"),
        "",
        t("Every department and company of a site should be there at once."),
    ]
    lines += ["", *md_table(team_heading(ctx), (team_row(s, ctx) for s in order.sites))]
    special = [s for s in order.sites if s.special]
    if special:
        lines += ["", "## " + t("Special sites"), ""]
        lines += md_table(special_heading(ctx), (special_row(s, ctx) for s in special))
    lines += [
        "",
        "## " + t("Devices"),
        "",
        *md_table(device_heading(ctx), (device_row(h, ctx) for h in order.hosts)),
    ]
    for h in order.hosts:
        lines += host_markdown(h, ctx)
    return "\n".join(lines) + "\n"


def host_markdown(h: HostView, ctx: Context) -> list[str]:
    """One device's part of an order; hosts without commands get one only when they need a person."""
    t = ctx.t
    remaining = list(h.row["remaining"])
    reason = h.problem
    if not (h.changes or remaining or reason or h.warnings):
        return []
    lines = ["", f"## {h.name}", "", t("Status: {status}", status=t.status(h.status)), ""]
    if h.device is not None:
        place = h.device.address or ctx.directory.address(next(iter(h.device.sites), ""), [h.device])
        mode = apply_mode(h.device.platform)
        lines += [
            t(
                "Platform: {platform} ({model}); {mode}",
                platform=h.device.platform,
                model=h.device.model,
                mode=mode,
            )
        ]
        lines += [t("Address: {address}", address=place)] if place else []
        lines += [""]
    if reason:
        lines += code_block(t("Reason") + ":", reason)
    if h.warnings:
        lines += [t("Warnings") + ":", "", *(f"- {w}" for w in h.warnings), ""]
    for heading, text in command_blocks(h, ctx):
        lines += code_block(heading, text)
    return lines


def command_blocks(h: HostView, ctx: Context) -> list[tuple[str, str]]:
    """(heading, text) of the commands, their undo and what a person must still send."""
    t, out = ctx.t, []
    if h.changes:
        out.append(
            (
                t("Commands, from system view (an indented line runs in the view of the line above it):"),
                commands_text(h.forward),
            )
        )
    if h.undo:
        out.append((t("Undo, from system view:"), commands_text(h.undo)))
    if h.row["remaining"]:
        out.append(
            (t("Manual action: these undo lines are still to be sent:"), "\n".join(h.row["remaining"]))
        )
    return out


# -- HTML and workbook -----------------------------------------------------------------------------
def html(orders: list[WorkOrder], ctx: Context) -> str:
    """One printable page: each order starts on a new sheet of paper."""
    return render_template(
        "workorders.html.j2",
        t=ctx.t,
        lang_tag="zh-CN" if ctx.t.lang == "zh" else ctx.t.lang,
        orders=orders,
        ctx=ctx,
        title=title,
        header_lines=header_lines,
        tables=_tables,
        command_blocks=command_blocks,
    )


def _tables(order: WorkOrder, ctx: Context) -> list[tuple[str, list[str], list[list[str]]]]:
    """(heading, columns, rows) of an order's tables, in the order the Markdown has them."""
    t = ctx.t
    out = [
        (t("Contacts"), contact_heading(ctx), [contact_row(w, c) for w, c in order.contacts]),
        (t("On site together"), team_heading(ctx), [team_row(s, ctx) for s in order.sites]),
    ]
    special = [s for s in order.sites if s.special]
    if special:
        out.append((t("Special sites"), special_heading(ctx), [special_row(s, ctx) for s in special]))
    out.append((t("Devices"), device_heading(ctx), [device_row(h, ctx) for h in order.hosts]))
    return out


def sheets(orders: list[WorkOrder], ctx: Context) -> list[Sheet]:
    """A sheet per department (one row per device, commands and undo in their cells), then the sites."""
    from .sheets import Sheet

    t = ctx.t
    out = []
    for order in (o for o in orders if o.kind == "department"):
        notes = [title(order, ctx), *(f"{label}: {value}" for label, value in header_lines(order, ctx))]
        people = "; ".join(f"{w}: {contact_text(c)}" for w, c in order.contacts) or "-"
        notes += [t("Contacts: {people}", people=people)]
        heading = [*device_heading(ctx), t("commands (from system view)"), t("undo"), t("reason")]
        rows: list[list[str]] = []
        for h in order.hosts:
            rows.append(
                [
                    *device_row(h, ctx),
                    commands_text(h.forward) if h.changes else "",
                    commands_text(h.undo) if h.undo else "",
                    h.problem or ("\n".join(h.row["remaining"]) if h.row["remaining"] else ""),
                ]
            )
        marked = {i for i, h in enumerate(order.hosts) if h.problem}
        out.append(Sheet(order.name or t("unassigned"), heading, rows, notes, marked))
    teams = site_teams(
        ctx.report, [h for o in orders if o.kind == "department" for h in o.hosts], ctx.directory
    )
    out.append(
        Sheet(
            t("sites"),
            [*team_heading(ctx), t("why special"), t("venue"), t("venue contact"), t("approval")],
            [[*team_row(s, ctx), *special_row(s, ctx)[1:]] if s.special else team_row(s, ctx) for s in teams],
        )
    )
    return out
