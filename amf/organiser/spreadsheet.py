"""CSV (Excel-friendly) and XLSX files, with spreadsheet formula injection neutralised."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# In a CSV, a formula can also start after a separator inside a value: Excel in a locale
# whose list separator is ";" (common in South-East Asia) splits "Ann;=cmd|..." in two.
_FORMULA_AFTER_SEPARATOR = re.compile(r"([;,\t\r\n]\s*)([=+\-@])")


def safe_cell(value) -> str | int | float:
    """A cell value a spreadsheet will not run: text starting = + - @ gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value) -> str | int | float:
    """safe_cell, and no formula after a separator inside the value either."""
    cell = safe_cell(value)
    return _FORMULA_AFTER_SEPARATOR.sub(r"\1'\2", cell) if isinstance(cell, str) else cell


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """UTF-8 with a BOM, so Excel shows Vietnamese, Thai and Burmese names as written.

    Every field is quoted, so no separator inside a value, "," or ";", starts a new cell.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """An XLSX workbook of one sheet, header in bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([safe_cell(v) for v in row])
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
