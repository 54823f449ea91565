"""Approvals of special sites (seed 3.4: schools, dormitories): who approved, when and why.

A special site is pushed only with `--approve-site SITE` and a recorded approver: `--approved-by NAME`
at the push, or `approved_by` in the inventory's `special_sites` entry. Without one the push is refused
before anything is written (exit 2). The approval goes into the journal, the report and the work orders.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .errors import InputError
from .i18n import _
from .people import Approval, Directory

if TYPE_CHECKING:
    from .options import Options
    from .runlife import Run


def approvals(options: Options, directory: Directory, special: Mapping[str, str]) -> dict[str, Approval]:
    """The approvals a push records for its approved special sites; refused without an approver."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    out = {}
    for site in options.approve_sites:
        if site not in special:
            continue  # not special, or not selected: nothing to approve
        recorded = directory.approval(site)
        by = options.approved_by or (recorded.by if recorded else None)
        if not by:
            raise InputError(
                "--approved-by",
                _(
                    "special site {site} ({why}) needs the name of who approved it: "
                    "--approve-site {site} --approved-by NAME"
                ).format(site=site, why=special[site]),
            )
        at = now if options.approved_by or recorded is None else recorded.at or now
        out[site] = Approval(site, by, at, special[site])
    return out


def record(run: Run, found: Mapping[str, Approval]) -> None:
    """Into the journal and the report, before any device is touched."""
    for site, approval in found.items():
        run.folder.journal("approval", site=site, **approval.to_dict())
        run.report.approvals[site] = approval.to_dict()
