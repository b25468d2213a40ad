"""The one writer for CSV and XLSX exports: formulas neutralised, spreadsheet cells as text.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return would be
run as a formula by a spreadsheet (CSV injection, OWASP): it is written with a leading ``'``.
XLSX cells are always text (``data_type`` ``s``), never formulas or numbers to re-parse.

Three formats (``?format=`` of every export, :func:`export_response`): ``csv`` for a French
spreadsheet (UTF-8 with BOM, « ; », decimal comma: « 15000,00 » opens as a number),
``csv-raw`` for scripts (UTF-8 without BOM, « , », decimal point, ``true``/``false``) and
``xlsx``. Both CSVs write dates in ISO 8601 (``2026-06-08``), which spreadsheets read too.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.http import HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class CsvFlavour:
    """How one kind of CSV is written: separator, byte order mark, decimal mark, and
    whether yes/no is written for people (« oui ») or for scripts (``true``)."""

    delimiter: str
    bom: bool
    decimal_mark: str
    quoting: Literal[0, 1, 2, 3] = csv.QUOTE_ALL
    words: bool = True


# For a French spreadsheet (Excel, LibreOffice): it opens as is, numbers as numbers.
FRENCH = CsvFlavour(delimiter=";", bom=True, decimal_mark=",")
# For scripts: the most common CSV dialect, numbers as programming languages read them.
RAW = CsvFlavour(delimiter=",", bom=False, decimal_mark=".", quoting=csv.QUOTE_MINIMAL, words=False)
# The open data files (docs/open-data.md): a French spreadsheet's file with decimal points,
# as published since their first release.
OPEN_DATA = CsvFlavour(delimiter=";", bom=True, decimal_mark=".")

# ``?format=`` → the link's label, in the order the links are offered.
FORMATS = {
    "csv": gettext_lazy("CSV"),
    "csv-raw": gettext_lazy("CSV (données brutes)"),
    "xlsx": gettext_lazy("XLSX"),
}


def cell_text(value, *, decimal_mark: str = ".", words: bool = True) -> str:
    """A value as the text of one exported cell, with any formula neutralised.

    Numbers are written as they are, with ``decimal_mark`` (``-12.50`` is a number, not a
    formula); text starting with a formula character gets a leading ``'``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        if not words:
            return "true" if value else "false"
        return _("oui") if value else _("non")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        text = f"{value:f}" if isinstance(value, Decimal) else repr(value)
        return text.replace(".", decimal_mark)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_TRIGGERS):
        return "'" + text
    return text


def write_csv(
    stream, *, headers: Sequence, rows: Iterable[Sequence], flavour: CsvFlavour = FRENCH
) -> None:
    """Write a CSV of ``flavour``: by default one a French spreadsheet opens as is (UTF-8
    with BOM, « ; », every cell quoted, decimal comma); ``RAW`` for scripts."""
    if flavour.bom:
        stream.write("\ufeff")
    writer = csv.writer(
        stream, delimiter=flavour.delimiter, quoting=flavour.quoting, lineterminator="\r\n"
    )

    def text(value):
        return cell_text(value, decimal_mark=flavour.decimal_mark, words=flavour.words)

    writer.writerow([text(header) for header in headers])
    for row in rows:
        writer.writerow([text(value) for value in row])


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


def csv_response(
    *,
    filename: str,
    headers: Sequence,
    rows: Iterable[Sequence],
    flavour: CsvFlavour = FRENCH,
) -> HttpResponse:
    """An HTTP download of ``rows`` as CSV through :func:`write_csv`."""
    response = HttpResponse(content_type=CSV_CONTENT_TYPE)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    text = io.StringIO()
    write_csv(text, headers=headers, rows=rows, flavour=flavour)
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


def export_response(
    export_format: str | None,
    *,
    filename: str,
    headers: Sequence,
    rows: Iterable[Sequence],
    sheet_title: str = "Export",
) -> HttpResponse | None:
    """The download of ``rows`` in one of :data:`FORMATS` (``None`` for any other format),
    named ``filename`` plus its extension (``-brut.csv`` for the raw CSV). Every page that
    exports a table answers its ``?format=`` through this."""
    if export_format == "csv":
        return csv_response(filename=f"{filename}.csv", headers=headers, rows=rows)
    if export_format == "csv-raw":
        return csv_response(
            filename=f"{filename}-brut.csv", headers=headers, rows=rows, flavour=RAW
        )
    if export_format == "xlsx":
        return xlsx_response(
            filename=f"{filename}.xlsx", headers=headers, rows=rows, sheet_title=sheet_title
        )
    return None


def export_links(query) -> list[tuple[str, str]]:
    """``(label, "?…&format=…")`` for each format, keeping the page's filters (``query``,
    the request's ``GET``) but not its page number: the links of
    ``includes/export_links.html``."""
    query = query.copy()
    query.pop("page", None)
    links = []
    for export_format, label in FORMATS.items():
        query["format"] = export_format
        links.append((str(label), f"?{query.urlencode()}"))
    return links
