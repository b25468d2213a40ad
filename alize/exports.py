"""The one writer for CSV and XLSX exports: formulas neutralised, spreadsheet cells as text.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
run as a formula by a spreadsheet (CSV injection, OWASP): it is written with a leading ``'``.
XLSX cells are always text (``data_type`` ``s``), never formulas or numbers to re-parse.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.http import HttpResponse
from django.utils.translation import gettext as _

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_text(value) -> str:
    """A value as the text of one exported cell, with any formula neutralised.

    Numbers are written as they are (``-12.50`` is a number, not a formula); text starting
    with a formula character gets a leading ``'``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return _("oui") if value else _("non")
    if isinstance(value, int | Decimal | float):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def write_csv(stream, *, headers: Sequence, rows: Iterable[Sequence], delimiter: str = ";") -> None:
    """Write a CSV a French spreadsheet opens as is: UTF-8 with BOM, « ; », every cell quoted."""
    stream.write("\ufeff")
    writer = csv.writer(stream, delimiter=delimiter, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow([cell_text(header) for header in headers])
    for row in rows:
        writer.writerow([cell_text(value) for value in row])


def write_xlsx(
    stream, *, headers: Sequence, rows: Iterable[Sequence], sheet_title: str = "Export"
) -> None:
    """Write an XLSX workbook of one sheet whose every cell is text."""
    write_xlsx_sheets(stream, [(sheet_title, headers, rows)])


def write_xlsx_sheets(stream, sheets: Iterable[tuple[str, Sequence, Iterable[Sequence]]]) -> None:
    """Write an XLSX workbook of several sheets, each ``(title, headers, rows)``, whose every
    cell is text."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    for sheet_title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=sheet_title[:31])

        def text_cells(values, sheet=sheet):
            cells = []
            for value in values:
                cell = WriteOnlyCell(
                    sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", cell_text(value))
                )
                # Set after the value, which openpyxl types by its look ("=…", "#N/A"…).
                cell.data_type = "s"
                cells.append(cell)
            return cells

        sheet.append(text_cells(headers))
        for row in rows:
            sheet.append(text_cells(row))
    workbook.save(stream)


def csv_response(*, filename: str, headers: Sequence, rows: Iterable[Sequence]) -> HttpResponse:
    """An HTTP download of ``rows`` as CSV through :func:`write_csv`."""
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    text = io.StringIO()
    write_csv(text, headers=headers, rows=rows)
    response.write(text.getvalue())
    return response


def xlsx_response(
    *, filename: str, headers: Sequence, rows: Iterable[Sequence], sheet_title: str = "Export"
) -> HttpResponse:
    """An HTTP download of ``rows`` as XLSX through :func:`write_xlsx`."""
    response = HttpResponse(content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    buffer = io.BytesIO()
    write_xlsx(buffer, headers=headers, rows=rows, sheet_title=sheet_title)
    response.write(buffer.getvalue())
    return response
