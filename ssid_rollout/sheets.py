"""Tables as operators keep them: CSV in whatever encoding Chinese Excel saved, `.xlsx` read and written
with openpyxl.

Chinese Excel saves CSV as GBK (GB18030 is its superset) unless told UTF-8, and then often with a BOM;
every CSV the tool reads goes through `read_csv_text`. Workbooks are written one sheet per table with a
bold, frozen header and an autofilter, so a department can sort and filter its own sheet.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError
from .i18n import N_, _

#: Tried in this order: UTF-8 (with or without BOM) is strict enough that GBK text fails it.
ENCODINGS = ("utf-8-sig", "gb18030")
#: Excel's limit on a sheet name, and the characters it refuses in one.
_SHEET_NAME_MAX = 31
_SHEET_NAME_BAD = str.maketrans({c: "-" for c in "[]:*?/\\"})


def read_csv_text(path: Path, what: str = N_("the file")) -> str:
    """The file's text: UTF-8, UTF-8 with a BOM, or GBK/GB18030, as Excel on a Chinese desktop saves it.

    `what` names the file in a message (marked with N_, translated here)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        why = exc.strerror or exc
        raise InputError(str(path), _("cannot read {what}: {why}").format(what=_(what), why=why)) from None
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InputError(str(path), _("is neither UTF-8 nor GBK/GB18030 text"))


@dataclass(frozen=True)
class Row:
    """One row of a sheet: its number as the operator sees it (1-based) and its cells."""

    number: int
    cells: tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    """A sheet or a CSV file: where it came from, and its rows (header first)."""

    path: Path
    sheet: str | None
    rows: tuple[Row, ...]

    def where(self, row: int | None = None, column: int | None = None, header: str = "") -> str:
        """`hosts.xlsx: sheet 设备, row 5, column E (trunk_ports)` for an error message."""
        parts = [f"sheet {self.sheet}"] if self.sheet else []
        if row is not None:
            parts.append(f"row {row}")
        if column is not None:
            parts.append(f"column {column_letter(column)}" + (f" ({header})" if header else ""))
        return f"{self.path}: {', '.join(parts)}" if parts else str(self.path)


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA: the column names a spreadsheet shows."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def read_table(path: Path) -> Table:
    """The first sheet of an `.xlsx`, or a `.csv` in any of ENCODINGS; empty rows left out."""
    if path.suffix.lower() == ".csv":
        reader = csv.reader(io.StringIO(read_csv_text(path), newline=""))
        try:
            rows = [Row(reader.line_num, tuple(cells)) for cells in reader]
        except csv.Error as exc:
            raise InputError(
                f"{path}: row {reader.line_num}", _("not valid CSV: {error}").format(error=exc)
            ) from None
        return Table(path, None, tuple(r for r in rows if any(_blank(c) is not None for c in r.cells)))
    return _read_xlsx(path)


def _read_xlsx(path: Path) -> Table:
    import zipfile

    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (OSError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        why = " ".join(str(exc).split())[:80]
        raise InputError(str(path), _("is not an .xlsx workbook ({why})").format(why=why)) from None
    try:
        sheet = book.worksheets[0]
        rows = tuple(
            Row(number, tuple(cells))
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1)
            if any(_blank(c) is not None for c in cells)
        )
        return Table(path, sheet.title, rows)
    finally:
        book.close()


def _blank(value: Any) -> Any:
    """None for an empty cell (None, or only spaces); the value otherwise."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return value


def cell_text(value: Any) -> str | None:
    """A cell as text: numbers Excel stored as 22.0 read as 22; None when empty."""
    value = _blank(value)
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# -- writing -----------------------------------------------------------------------------------------
@dataclass
class Sheet:
    """One sheet to write: a title, a header and rows; `notes` are lines above the header."""

    title: str
    header: Sequence[str]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    marked: set[int] = field(default_factory=set)  # row indexes to highlight (a mismatch, a failure)


def sheet_title(text: str, taken: set[str]) -> str:
    """A sheet name Excel accepts (31 characters, none of []:*?/\\), unique in the workbook."""
    base = (text.translate(_SHEET_NAME_BAD).strip("' ") or "sheet")[:_SHEET_NAME_MAX]
    title, n = base, 2
    while title.lower() in taken:
        suffix = f" ({n})"
        title, n = base[: _SHEET_NAME_MAX - len(suffix)] + suffix, n + 1
    taken.add(title.lower())
    return title


def workbook_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An `.xlsx` with one sheet per table: notes on top, then a bold frozen header with an autofilter."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    book.remove(book.active)
    taken: set[str] = set()
    bold, mark = Font(bold=True), PatternFill("solid", fgColor="FDECEA")
    for spec in sheets:
        sheet = book.create_sheet(sheet_title(spec.title, taken))
        for note in spec.notes:
            sheet.append([note])
        top = len(spec.notes) + 1
        sheet.append(list(spec.header))
        for cell in sheet[top]:
            cell.font = bold
        for index, row in enumerate(spec.rows):
            sheet.append([_plain_cell(v) for v in row])
            if index in spec.marked:
                for cell in sheet[top + 1 + index]:
                    cell.fill = mark
        sheet.freeze_panes = sheet.cell(row=top + 1, column=1)
        if spec.rows:
            sheet.auto_filter.ref = f"A{top}:{column_letter(len(spec.header) - 1)}{top + len(spec.rows)}"
        for index, heading in enumerate(spec.header):
            width = max(
                [_width(heading), *(_width(_plain_cell(r[index])) for r in spec.rows if index < len(r))]
            )
            sheet.column_dimensions[column_letter(index)].width = min(max(width + 2, 8), 60)
        wrap = Alignment(wrap_text=True, vertical="top")
        for row in sheet.iter_rows(min_row=top + 1):
            for cell in row:
                if isinstance(cell.value, str) and "\n" in cell.value:
                    cell.alignment = wrap
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _plain_cell(value: Any) -> Any:
    """Text openpyxl would otherwise store as a formula (a cell starting with `=`) stays text."""
    if isinstance(value, str) and value.startswith("="):
        return "'" + value
    return value


def _width(value: Any) -> int:
    """Display width of the longest line: a CJK character takes two columns."""
    import unicodedata

    lines = str(value if value is not None else "").splitlines() or [""]
    return max(
        len(line)
        if line.isascii()
        else sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)
        for line in lines
    )
