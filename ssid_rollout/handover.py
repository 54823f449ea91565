"""The handover sheet for the portal platform (seed 4.1.2): each BRAS's NAS IP and BRAS ID as checked
on the device, the sites ready to open, and never the RADIUS key (it goes by another channel)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .i18n import N_
from .nas_check import BRAS_ID_PREFIX, NAS_IP_PREFIX
from .views import HostView, Report, Texts, md_cell, md_table, site_cell

if TYPE_CHECKING:
    from .sheets import Sheet

#: What the portal platform is told instead of the key (mission.md: the key goes by another channel).
KEY_NOTE = N_("RADIUS key: delivered separately")
HANDOVER_COLUMNS = (
    "host",
    "bras_id",
    "nas_ip",
    "device_check",
    "sites",
    "ready_sites",
    "status",
    "radius_key",
)
HANDOVER_HEADINGS = {
    "host": N_("host"),
    "bras_id": N_("BRAS ID"),
    "nas_ip": N_("NAS IP"),
    "device_check": N_("checked on the BRAS"),
    "sites": N_("sites (status)"),
    "ready_sites": N_("open the service for"),
    "status": N_("status"),
    "radius_key": N_("RADIUS key"),
}


def device_check(h: HostView, t: Texts) -> tuple[str, bool]:
    """What the BRAS's own configuration said about its NAS IP and BRAS ID: (text, mismatch)."""
    found = [w for w in h.warnings if w.startswith((NAS_IP_PREFIX, BRAS_ID_PREFIX))]
    if found:
        return t("mismatch: {what}", what="; ".join(found)), True
    if not h.planned:
        return t("not checked"), False
    return t("NAS IP and BRAS ID confirmed on the device"), False


def handover_rows(report: Report, hosts: list[HostView], t: Texts) -> list[dict[str, str]]:
    """One row per BRAS: what the portal platform configures on its side; never the key.

    Only `done` sites are ready: a site applied but not saved, or not pushed, is not."""
    rows = []
    for h in _bras(hosts):
        assert h.device is not None
        ready = [s for s in h.sites if report.sites.get(s, {}).get("status") == "done"]
        rows.append(
            {
                "host": h.name,
                "bras_id": h.device.bras_id or "",
                "nas_ip": h.device.nas_ip or "",
                "device_check": device_check(h, t)[0],
                "sites": "; ".join(site_cell(site, report, t) for site in h.sites),
                "ready_sites": "; ".join(ready) or t("none"),
                "status": t.status(h.status),
                "radius_key": t(KEY_NOTE),
            }
        )
    return rows


def handover_csv(report: Report, hosts: list[HostView], t: Texts) -> str:
    """The machine's column names on top (scripts read them), the run's language in the cells."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HANDOVER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(handover_rows(report, hosts, t))
    return out.getvalue()


def _handover_notes(report: Report, spec: Any, when: datetime, t: Texts) -> list[str]:
    return [
        t(
            "Change: {change} ({command}, {when}, exit {code})",
            change=report.change_id or "-",
            command=report.command,
            when=t.time(when),
            code=report.exit_code,
        ),
        t("SSID: {ssid}, VLAN {vlan}", ssid=spec.ssid, vlan=spec.vlan),
        t("Portal: {url} (BRAS side port {port})", url=spec.portal.url, port=spec.portal.port),
        t(
            "RADIUS: {server}, authentication {auth}, accounting {acct}",
            server=spec.radius.server,
            auth=spec.radius.auth_port,
            acct=spec.radius.acct_port,
        ),
        t(
            "NAS IP is the address the portal and RADIUS see; each BRAS's RADIUS key is delivered "
            "separately and is not in this sheet."
        ),
        t(
            "Open the service only for the sites in the column 'open the service for' (status done); a "
            "site applied but not saved, rolled back or not pushed is not ready."
        ),
    ]


def _bras(hosts: list[HostView]) -> list[HostView]:
    return [h for h in hosts if h.device is not None and h.device.role == "bras"]


def _handover_warnings(hosts: list[HostView]) -> list[tuple[str, str]]:
    return [(h.name, w) for h in _bras(hosts) for w in h.warnings]


def handover_markdown(report: Report, hosts: list[HostView], spec: Any, when: datetime, t: Texts) -> str:
    rows = handover_rows(report, hosts, t)
    lines = [
        "# " + t("Handover to the portal platform: {service}", service=spec.service),
        "",
        *(f"- {note}" for note in _handover_notes(report, spec, when, t)),
        "",
        *md_table(
            [t(HANDOVER_HEADINGS[c]) for c in HANDOVER_COLUMNS],
            ([r[c] for c in HANDOVER_COLUMNS] for r in rows),
        ),
    ]
    warnings = _handover_warnings(hosts)
    if warnings:
        lines += ["", "## " + t("Warnings from the plan"), ""]
        lines += [f"- {host}: {md_cell(text)}" for host, text in warnings]
    return "\n".join(lines) + "\n"


def handover_sheet(report: Report, hosts: list[HostView], spec: Any, when: datetime, t: Texts) -> Sheet:
    from .sheets import Sheet

    rows = handover_rows(report, hosts, t)
    marked = {i for i, h in enumerate(_bras(hosts)) if device_check(h, t)[1]}
    notes = _handover_notes(report, spec, when, t)
    notes += [f"{host}: {text}" for host, text in _handover_warnings(hosts)]
    return Sheet(
        t("handover"),
        [t(HANDOVER_HEADINGS[c]) for c in HANDOVER_COLUMNS],
        [[r[c] for c in HANDOVER_COLUMNS] for r in rows],
        notes,
        marked,
    )
