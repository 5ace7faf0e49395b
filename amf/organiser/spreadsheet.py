"""CSV (Excel-friendly) and XLSX files, with spreadsheet formula injection neutralised."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from flask import Response

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
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
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_cell(value) -> str | int | float:
    """safe_cell, and no formula after a separator inside the value either."""
    cell = safe_cell(value)
    return _FORMULA_AFTER_SEPARATOR.sub(r"\1'\2", cell) if isinstance(cell, str) else cell


_NEUTRALISED = re.compile(r"(^|[;,\t\r\n]\s*)'([=+\-@\t\r])")


def read_cell(text: str) -> str:
    """A value as written before csv_cell neutralised it, so an exported file reads back
    as the data it came from (a description's "- item" lines, a title starting with "+")."""
    return _NEUTRALISED.sub(r"\1\2", text)


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


def _xlsx_cell(value):
    """Dates and times stay real date cells (Excel holds no zone: naive values only)."""
    if isinstance(value, datetime):
        return value if value.tzinfo is None else safe_cell(value)
    if isinstance(value, date):
        return value
    return safe_cell(value)


DATE_FORMATS = {datetime: "yyyy-mm-dd hh:mm:ss", date: "yyyy-mm-dd"}


def xlsx_bytes(title: str, header: Sequence[str], rows: Iterable[Sequence]) -> bytes:
    """An XLSX workbook of one sheet, header in bold and frozen."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=False)
    sheet = workbook.active
    sheet.title = title[:31]
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(h) for h in header]
    for row in rows:
        sheet.append([_xlsx_cell(v) for v in row])
        for n, cell in enumerate(sheet[sheet.max_row]):
            number_format = DATE_FORMATS.get(type(cell.value))
            if number_format:
                cell.number_format = number_format
            width = len(number_format or str(cell.value or ""))
            widths[n] = max(widths[n], min(width, 50))
    for n, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(n)].width = width + 2
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def download(body: bytes, filename: str) -> Response:
    """The file as an attachment, its type (with one charset, for CSV) from its extension.

    Werkzeug adds "; charset=utf-8" to a text ``mimetype``, so the full type goes in
    ``content_type``, which it leaves as it is.
    """
    content_type = CONTENT_TYPES[filename.rsplit(".", 1)[-1]]
    return Response(
        body,
        content_type=content_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
