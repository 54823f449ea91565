"""Grade field measurements of the new SSID against mission.md's network-effect targets.

The rollout proves configuration; only a terminal on site proves users can get on. Engineers time
association and address assignment per site and AP; this module turns their CSV into grades, a
summary and a chart that go into the handover.
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from xml.sax.saxutils import escape, quoteattr

from ssid_rollout.errors import InputError
from ssid_rollout.i18n import N_, _, gettext

if TYPE_CHECKING:
    from rich.console import Console

COLUMNS = ("site", "ap", "terminal", "assoc_s", "ip_s")
ASSOC_PASS_S = Decimal("5.0")
IP_NORMAL_S = Decimal("12.0")
IP_SLOW_S = Decimal("25.0")
#: Field timings are read off a stopwatch or a log; a millisecond is finer than either, and rounding
#: to it keeps float noise (5.000000000000001) from failing a terminal that took 5.0 s.
_RESOLUTION = Decimal("0.001")

AssocGrade = Literal["pass", "fail"]
IpGrade = Literal["normal", "slow", "unacceptable"]
Severity = Literal["ok", "slow", "unacceptable"]
_COLOURS: dict[Severity, str] = {"ok": "#2e7d32", "slow": "#f9a825", "unacceptable": "#c62828"}
_CHART_TITLE = N_("Terminals meeting both targets (association <= {assoc} s, IP <= {ip} s)")
_LEGEND = N_(
    "green = all met, amber = some association over {assoc} s or IP over {ip} s, red = some IP over {slow} s"
)
_RICH_COLOURS: dict[Severity, str] = {"ok": "green", "slow": "yellow", "unacceptable": "red"}


@dataclass(frozen=True)
class Measurement:
    """One terminal's timings at one AP: seconds to associate and seconds to get an IP address."""

    site: str
    ap: str
    terminal: str
    assoc_s: float
    ip_s: float


@dataclass(frozen=True)
class Grade:
    """One measurement against the targets."""

    assoc: AssocGrade
    ip: IpGrade

    @property
    def met(self) -> bool:
        """Both targets met: the terminal felt no delay."""
        return self.assoc == "pass" and self.ip == "normal"

    @property
    def severity(self) -> Severity:
        """The worse of the two, on the IP scale: a failed association feels slow, like a slow address."""
        if self.ip == "unacceptable":
            return "unacceptable"
        return "ok" if self.met else "slow"


@dataclass(frozen=True)
class GroupStats:
    """Measurements of one site (`ap` is None) or of one AP of a site."""

    site: str
    ap: str | None
    count: int
    assoc_median_s: float
    assoc_worst_s: float
    assoc_pass: int
    ip_median_s: float
    ip_worst_s: float
    ip_normal: int
    ip_slow: int
    ip_unacceptable: int
    met: int
    severity: Severity

    @property
    def assoc_pass_rate(self) -> float:
        return self.assoc_pass / self.count

    @property
    def ip_normal_rate(self) -> float:
        return self.ip_normal / self.count

    @property
    def met_rate(self) -> float:
        return self.met / self.count


@dataclass(frozen=True)
class KpiSummary:
    """Per-site and per-AP statistics, sites and APs in name order, plus the whole file."""

    sites: tuple[GroupStats, ...]
    aps: tuple[GroupStats, ...]
    total: GroupStats


def load_measurements(path: Path) -> list[Measurement]:
    """Read `site,ap,terminal,assoc_s,ip_s` rows; the first bad cell stops the load, named file:line:col.

    The file may be UTF-8 (with or without BOM) or GBK/GB18030, as Chinese Excel saves it."""
    from .sheets import read_csv_text

    text = read_csv_text(path, N_("measurements"))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        return _parse(path, ((reader.line_num, row) for row in reader))
    except csv.Error as exc:
        raise InputError(f"{path}:{reader.line_num}", _("not valid CSV: {error}").format(error=exc)) from exc


def _parse(path: Path, rows: Iterator[tuple[int, list[str]]]) -> list[Measurement]:
    """`rows` carries each row's line number: a quoted cell may span lines, so counting rows would lie."""
    header = [name.strip() for name in next(rows, (1, []))[1]]
    absent = [name for name in COLUMNS if name not in header]
    if absent:
        lacks = _("header lacks {absent}; expected {columns}")
        raise InputError(f"{path}:1", lacks.format(absent=", ".join(absent), columns=",".join(COLUMNS)))
    index = {name: header.index(name) for name in COLUMNS}
    measurements = []
    for line, row in rows:
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: _cell(path, line, row, index[name]) for name in COLUMNS}
        for name in ("site", "ap"):
            if not cells[name]:
                raise InputError(
                    f"{path}:{line}:{index[name] + 1}", _("{column} is empty").format(column=name)
                )
        measurements.append(
            Measurement(
                site=cells["site"],
                ap=cells["ap"],
                terminal=cells["terminal"],
                assoc_s=_seconds(path, line, index["assoc_s"], "assoc_s", cells["assoc_s"]),
                ip_s=_seconds(path, line, index["ip_s"], "ip_s", cells["ip_s"]),
            )
        )
    if not measurements:
        raise InputError(str(path), _("no measurement rows after the header"))
    return measurements


def _cell(path: Path, line: int, row: Sequence[str], column: int) -> str:
    if column >= len(row):
        short = _("row has {n} columns, {expected} expected").format(n=len(row), expected=column + 1)
        raise InputError(f"{path}:{line}:{column + 1}", short)
    return row[column].strip()


def _seconds(path: Path, line: int, column: int, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value < 0:
        bad = _("{column} {value} is not a duration in seconds").format(column=name, value=repr(text))
        raise InputError(f"{path}:{line}:{column + 1}", bad)
    return value


def grade(m: Measurement) -> Grade:
    """Grade one measurement; a value on a boundary (5.0 s, 12.0 s, 25.0 s) is on the good side."""
    assoc: AssocGrade = "pass" if _exact(m.assoc_s) <= ASSOC_PASS_S else "fail"
    ip_s = _exact(m.ip_s)
    ip: IpGrade = "normal" if ip_s <= IP_NORMAL_S else "slow" if ip_s <= IP_SLOW_S else "unacceptable"
    return Grade(assoc, ip)


def _exact(seconds: float) -> Decimal:
    return Decimal(str(seconds)).quantize(_RESOLUTION, rounding=ROUND_HALF_UP)


def summarize(ms: Sequence[Measurement]) -> KpiSummary:
    """Statistics per site and per AP; an AP is named by its site, since AP ids repeat across ACs."""
    if not ms:
        raise ValueError("no measurements to summarize")
    by_site: dict[str, list[Measurement]] = {}
    by_ap: dict[tuple[str, str], list[Measurement]] = {}
    for m in ms:
        by_site.setdefault(m.site, []).append(m)
        by_ap.setdefault((m.site, m.ap), []).append(m)
    return KpiSummary(
        sites=tuple(_stats(site, None, by_site[site]) for site in sorted(by_site)),
        aps=tuple(_stats(site, ap, by_ap[site, ap]) for site, ap in sorted(by_ap)),
        total=_stats("all sites", None, ms),
    )


def _stats(site: str, ap: str | None, ms: Sequence[Measurement]) -> GroupStats:
    grades = [grade(m) for m in ms]
    assoc = [m.assoc_s for m in ms]
    ip = [m.ip_s for m in ms]
    severities = {g.severity for g in grades}
    return GroupStats(
        site=site,
        ap=ap,
        count=len(ms),
        assoc_median_s=statistics.median(assoc),
        assoc_worst_s=max(assoc),
        assoc_pass=sum(g.assoc == "pass" for g in grades),
        ip_median_s=statistics.median(ip),
        ip_worst_s=max(ip),
        ip_normal=sum(g.ip == "normal" for g in grades),
        ip_slow=sum(g.ip == "slow" for g in grades),
        ip_unacceptable=sum(g.ip == "unacceptable" for g in grades),
        met=sum(g.met for g in grades),
        severity=next(s for s in ("unacceptable", "slow", "ok") if s in severities),
    )


def chart_texts(lang: str = "en") -> tuple[str, str, str]:
    """(title, legend, what a bar's tooltip says) in `lang`."""
    numbers = {"assoc": ASSOC_PASS_S, "ip": IP_NORMAL_S, "slow": IP_SLOW_S}
    tip = N_(
        "{site}: {met}/{count} met; association over {assoc} s: {assoc_over}; IP slow: {slow}; "
        "IP unacceptable: {unacceptable}"
    )
    return (
        gettext(lang, _CHART_TITLE).format(**numbers),
        gettext(lang, _LEGEND).format(**numbers),
        gettext(lang, tip),
    )


def chart_svg(summary: KpiSummary, lang: str = "en") -> str:
    """Horizontal bars, one per site: share of terminals that met both targets, coloured by the worst grade.

    Self-contained (no scripts or links to fetch) so the HTML report can inline it; its text takes the
    page's fonts, so Chinese site names show in the report.
    """
    title, legend, tip_text = chart_texts(lang)
    label_w, bar_w, row_h, top = 160, 300, 24, 30
    bottom = top + row_h * len(summary.sites)
    height = bottom + 24
    width = label_w + bar_w + 120
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-size="12" role="img">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-weight="bold">{escape(title)}</text>',
    ]
    for row, s in enumerate(summary.sites):
        y = top + row * row_h
        length = round(bar_w * s.met_rate, 1)
        tip = tip_text.format(
            site=s.site,
            met=s.met,
            count=s.count,
            assoc=ASSOC_PASS_S,
            assoc_over=s.count - s.assoc_pass,
            slow=s.ip_slow,
            unacceptable=s.ip_unacceptable,
        )
        parts += [
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{escape(_clip(s.site, 24))}</text>',
            f'<rect x="{label_w}" y="{y + 3}" width="{bar_w}" height="{row_h - 6}" fill="#eeeeee"/>',
            f'<rect class="bar" data-site={quoteattr(s.site)} x="{label_w}" y="{y + 3}" width="{length}" '
            f'height="{row_h - 6}" fill="{_COLOURS[s.severity]}"><title>{escape(tip)}</title></rect>',
            f'<text x="{label_w + bar_w + 6}" y="{y + 15}">{s.met_rate:.0%} ({s.met}/{s.count})</text>',
        ]
    parts += [f'<text x="0" y="{bottom + 16}" font-size="10">{escape(legend)}</text>', "</svg>"]
    return "\n".join(parts)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def render_terminal(summary: KpiSummary, console: Console) -> None:
    """Print the per-site and per-AP tables, then the same bar chart as the SVG in block characters."""
    from rich.table import Table
    from rich.text import Text

    numbers = (
        "n",
        "assoc median / worst s",
        "assoc pass",
        "IP median / worst s",
        "IP normal / slow / unacc.",
        "met",
    )
    for names, groups in ((("site",), (*summary.sites, summary.total)), (("site", "AP"), summary.aps)):
        table = Table(title=f"KPI per {names[-1]}")
        for heading in names:
            table.add_column(heading)
        for heading in numbers:
            table.add_column(heading, justify="right")
        for g in groups:
            table.add_row(
                *(Text(cell) for cell in (g.site, g.ap or "")[: len(names)]),
                str(g.count),
                f"{g.assoc_median_s:.2f} / {g.assoc_worst_s:.2f}",
                f"{g.assoc_pass_rate:.0%}",
                f"{g.ip_median_s:.2f} / {g.ip_worst_s:.2f}",
                f"{g.ip_normal} / {g.ip_slow} / {g.ip_unacceptable}",
                Text(f"{g.met_rate:.0%}", style=_RICH_COLOURS[g.severity]),
            )
        console.print(table)
    title, legend, _ = chart_texts()
    width = max(len(s.site) for s in summary.sites)
    console.print(Text(title))
    for s in summary.sites:
        line = Text(f"{s.site:<{width}} ")
        line.append(block_bar(s.met_rate, 40), style=_RICH_COLOURS[s.severity])
        line.append(f" {s.met_rate:.0%} ({s.met}/{s.count})")
        console.print(line)
    console.print(Text(legend))


def block_bar(fraction: float, width: int) -> str:
    """A bar of `width` cells filled to `fraction`, in eighths of a cell, padded with spaces."""
    eighths = round(min(max(fraction, 0.0), 1.0) * width * 8)
    full, rest = divmod(eighths, 8)
    partial = " ▏▎▍▌▋▊▉"[rest] if rest else ""
    return ("█" * full + partial).ljust(width)
