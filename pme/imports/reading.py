"""Reading a company file: a CSV or XLSX upload turned into canonical rows of strings, within
bounds on size, lines, columns, cells and time."""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile

from django.utils.translation import gettext as _

from .base import ALIASES, REQUIRED_COLUMNS, ImportFileError, ParsedFile, normalise_header

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
# Bounds on what is read, empty lines and cells included, whatever the file declares.
MAX_LINES = 5000
MAX_COLUMNS = 60
MAX_CELLS = 150_000
MAX_READ_SECONDS = 5.0
# An XLSX is a zip: the total size of its members once decompressed.
MAX_UNZIPPED_BYTES = 50 * 1024 * 1024
# Leading characters that make a spreadsheet cell a formula (OWASP's CSV injection list).
FORMULA_TRIGGERS = ("=", "+", "-", "@")


def _cell_text(column: str, value) -> str:
    """A cell as text; spreadsheet numbers and dates are turned back into what was typed."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = _strip_cell(str(value))
    if isinstance(value, int):
        # A spreadsheet drops the leading zeros of identifiers stored as numbers.
        width = {"siren": 9, "siret": 14, "commune_code": 5}.get(column)
        if width and len(text) < width:
            text = text.zfill(width)
    return text


def _strip_cell(text: str) -> str:
    """Surrounding blanks go, except a leading tab or line break before a formula character:
    removing it would turn an inert typed value into a live formula."""
    stripped = text.strip()
    if stripped.startswith(FORMULA_TRIGGERS):
        leading = text[: len(text) - len(text.lstrip())]
        if set(leading) & set("\t\r\n"):
            return leading.lstrip(" ") + stripped
    return stripped


def _map_headers(raw_headers: list) -> tuple[dict[int, str], dict[str, str], list[str]]:
    positions: dict[int, str] = {}
    headers: dict[str, str] = {}
    ignored: list[str] = []
    for index, raw in enumerate(raw_headers):
        label = str(raw or "").strip()
        if not label:
            continue
        column = ALIASES.get(normalise_header(label))
        if column is None:
            ignored.append(label)
            continue
        if column in headers:
            raise ImportFileError(
                _("Les colonnes « %(first)s » et « %(second)s » désignent la même donnée.")
                % {"first": headers[column], "second": label}
            )
        positions[index] = column
        headers[column] = label
    missing = [column for column in REQUIRED_COLUMNS if column not in headers]
    if missing:
        raise ImportFileError(
            _("Colonnes obligatoires absentes : %(columns)s. Téléchargez le modèle de fichier.")
            % {"columns": ", ".join(missing)}
        )
    return positions, headers, ignored


def _too_many_lines() -> ImportFileError:
    return ImportFileError(
        _("Le fichier dépasse %(max)s lignes, lignes vides comprises : découpez-le.")
        % {"max": MAX_LINES}
    )


def _too_many_columns() -> ImportFileError:
    return ImportFileError(
        _("Le fichier dépasse %(max)s colonnes : retirez les colonnes inutiles.")
        % {"max": MAX_COLUMNS}
    )


def _rows(table) -> ParsedFile:
    """Canonical rows from an iterator over the file's lines (first line = headers).

    Every line counts against the bounds, empty ones included, and reading stops at the
    first one exceeded: lines, columns, cells, or time.
    """
    deadline = time.monotonic() + MAX_READ_SECONDS
    iterator = iter(table)
    header_line = next(iterator, None)
    if header_line is None:
        raise ImportFileError(_("Le fichier est vide."))
    header_line = list(header_line)
    if len(header_line) > MAX_COLUMNS:
        raise _too_many_columns()
    positions, headers, ignored = _map_headers(header_line)
    cells = len(header_line)
    rows = []
    for line, values in enumerate(iterator, start=2):
        if line > MAX_LINES:
            raise _too_many_lines()
        values = list(values)
        if len(values) > MAX_COLUMNS:
            raise _too_many_columns()
        cells += max(len(values), len(header_line))
        if cells > MAX_CELLS:
            raise ImportFileError(
                _("Le fichier dépasse %(max)s cellules, vides comprises : découpez-le.")
                % {"max": MAX_CELLS}
            )
        if time.monotonic() > deadline:
            raise ImportFileError(_("La lecture du fichier est trop longue : découpez-le."))
        row = {
            column: _cell_text(column, values[index] if index < len(values) else None)
            for index, column in positions.items()
        }
        if not any(row.values()):
            continue
        rows.append((line, row))
        if len(rows) > MAX_ROWS:
            raise ImportFileError(
                _("Le fichier dépasse %(max)s lignes : découpez-le.") % {"max": MAX_ROWS}
            )
    if not rows:
        raise ImportFileError(_("Le fichier ne contient aucune ligne d'entreprise."))
    return ParsedFile(headers, rows, ignored)


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    try:
        delimiter = csv.Sniffer().sniff(header, delimiters=";,").delimiter
    except csv.Error:
        delimiter = ""
    if delimiter not in (";", ",") or header.count(delimiter) == 0:
        delimiter = ";" if header.count(";") >= header.count(",") else ","
    return delimiter


def _read_csv(data: bytes) -> ParsedFile:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            _("Le fichier CSV doit être encodé en UTF-8 (« CSV UTF-8 » dans votre tableur).")
        )
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    try:
        return _rows(reader)
    except csv.Error as error:
        raise ImportFileError(_("Fichier CSV illisible : %(error)s") % {"error": error})


def _sheet_rows(workbook, sheet):
    """The sheet's rows as lists of values, read straight from its XML.

    openpyxl's own iterator fills every gap between row numbers with empty rows, so one row
    numbered 1 000 000 000 yields a billion of them: here a row number beyond ``MAX_LINES``
    or a cell beyond ``MAX_COLUMNS`` stops the reading as soon as it is met.
    """
    from openpyxl.worksheet._reader import WorkSheetParser

    expected = 1
    with sheet._get_source() as source:
        parser = WorkSheetParser(
            source,
            sheet._shared_strings,
            data_only=True,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for number, cells in parser.parse():
            if number > MAX_LINES:
                raise _too_many_lines()
            if number < expected:
                continue
            width = max((cell["column"] for cell in cells), default=0)
            if width > MAX_COLUMNS:
                raise _too_many_columns()
            while expected < number:
                expected += 1
                yield []
            values = [None] * width
            for cell in cells:
                values[cell["column"] - 1] = cell["value"]
            expected += 1
            yield values


def _read_xlsx(data: bytes) -> ParsedFile:
    from openpyxl import load_workbook

    unreadable = _("Fichier XLSX illisible : enregistrez-le à nouveau depuis votre tableur.")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unzipped = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ImportFileError(unreadable)
    if unzipped > MAX_UNZIPPED_BYTES:
        raise ImportFileError(_("Le fichier XLSX décompressé dépasse 50 Mo."))
    workbook = None
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        if not workbook.worksheets:
            raise ImportFileError(_("Le classeur ne contient aucune feuille."))
        sheet = workbook.worksheets[0]
        # The dimension the sheet declares (when it does) is checked before any row is read.
        if (sheet.max_row or 0) > MAX_LINES or (sheet.max_column or 0) > MAX_COLUMNS:
            raise ImportFileError(
                _(
                    "La feuille déclare une dimension de %(rows)s lignes et %(columns)s colonnes"
                    " : au plus %(max_rows)s lignes et %(max_columns)s colonnes sont acceptées."
                )
                % {
                    "rows": sheet.max_row,
                    "columns": sheet.max_column,
                    "max_rows": MAX_LINES,
                    "max_columns": MAX_COLUMNS,
                }
            )
        return _rows(_sheet_rows(workbook, sheet))
    except ImportFileError:
        raise
    except Exception as error:
        # A damaged workbook fails anywhere in openpyxl, zipfile or the XML parser, with
        # many exception types (ParseError, KeyError, zlib.error, EOFError, TypeError…).
        raise ImportFileError(unreadable) from error
    finally:
        if workbook is not None:
            workbook.close()


def read_company_file(uploaded) -> ParsedFile:
    """Read an uploaded CSV (UTF-8, « ; » or « , ») or XLSX file into canonical rows."""
    if uploaded.size is not None and uploaded.size > MAX_FILE_BYTES:
        raise ImportFileError(_("Le fichier dépasse 5 Mo."))
    data = uploaded.read()
    name = (uploaded.name or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return _read_xlsx(data)
    if name.endswith(".xls"):
        raise ImportFileError(_("Format .xls non pris en charge : enregistrez en .xlsx ou .csv."))
    return _read_csv(data)
