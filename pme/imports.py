"""Import of companies from a CSV or XLSX file: read, validate every row, then save all or nothing.

Reading (``read_company_file``) turns a file into canonical rows of strings; validating
(``company_import_preview``) checks every row as the company form would and reports each
error by line and column; ``company_import`` re-validates and saves every new row in one
transaction. A SIREN already registered in the dispositif is reported « déjà présente » and
skipped (never updated), so importing the same file twice adds nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import time
import unicodedata
import zipfile
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dispositifs.models import Dispositif
from partners.reference.selectors import commune_resolve

from .forms import compact_identifier, normalise_naf
from .models import Company

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

# Canonical column → the header names accepted for it (compared without accents, case,
# punctuation or spacing).
COLUMNS: dict[str, tuple[str, ...]] = {
    "siren": ("siren", "n siren", "numero siren"),
    "siret": ("siret", "siret du siege", "n siret", "numero siret"),
    "name": ("name", "raison sociale", "nom", "denomination", "entreprise", "nom entreprise"),
    "naf_code": ("naf code", "code naf", "naf", "code ape", "ape", "code naf ape"),
    "creation_date": ("creation date", "date de creation", "date creation", "creee le"),
    "headcount": ("headcount", "effectif", "effectifs", "nombre de salaries", "salaries"),
    "turnover": ("turnover", "chiffre d affaires", "ca", "chiffre d affaires eur"),
    "commune_code": (
        "commune code",
        "code commune",
        "code insee",
        "insee",
        "code insee commune",
        "commune code insee",
    ),
    "commune_name": ("commune name", "commune", "nom commune", "nom de la commune", "ville"),
    "contact_name": ("contact name", "contact", "nom du contact", "contact nom"),
    "contact_role": ("contact role", "fonction", "fonction du contact"),
    "contact_email": (
        "contact email",
        "email",
        "e mail",
        "courriel",
        "e mail du contact",
        "email du contact",
        "mail",
    ),
    "contact_phone": (
        "contact phone",
        "telephone",
        "tel",
        "telephone du contact",
        "portable",
    ),
}
REQUIRED_COLUMNS = ("siren", "name", "naf_code", "creation_date", "headcount", "commune_code")
# The header line of the downloadable template (French names; the importer accepts both).
TEMPLATE_HEADERS = {
    "siren": "siren",
    "siret": "siret",
    "name": "raison sociale",
    "naf_code": "code NAF",
    "creation_date": "date de création",
    "headcount": "effectif",
    "turnover": "chiffre d'affaires",
    "commune_code": "code commune",
    "commune_name": "commune",
    "contact_name": "contact",
    "contact_role": "fonction du contact",
    "contact_email": "e-mail du contact",
    "contact_phone": "téléphone du contact",
}


def normalise_header(text) -> str:
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split())


ALIASES = {normalise_header(alias): column for column, names in COLUMNS.items() for alias in names}


class ImportFileError(Exception):
    """The file as a whole cannot be read (format, encoding, missing columns…)."""


@dataclass
class ParsedFile:
    """The file's rows as canonical strings, with the header each column had in the file."""

    headers: dict[str, str]
    rows: list[tuple[int, dict[str, str]]]
    ignored_columns: list[str] = field(default_factory=list)


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


# ---------------------------------------------------------------------------------------
# Validation


def _decimal_text(value: str) -> str:
    """« 1 250 000,50 € » → « 1250000.50 »; anything else is left for the field to refuse."""
    compact = re.sub(r"[\s\u00a0\u202f€]", "", value or "")
    if re.fullmatch(r"-?\d+,\d+", compact):
        compact = compact.replace(",", ".")
    return compact


def _integer_text(value: str) -> str:
    compact = re.sub(r"[\s\u00a0\u202f]", "", value or "")
    try:
        number = Decimal(compact.replace(",", "."))
    except InvalidOperation:
        return compact
    return str(int(number)) if number == number.to_integral_value() else compact


class CompanyRowForm(forms.ModelForm):
    """One line of the file, validated like the company form (model validators included)."""

    # A postal code, a name or an INSEE code; resolved to the INSEE code in ``clean``.
    commune_code = forms.CharField(max_length=160)

    class Meta:
        model = Company
        fields = tuple(COLUMNS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for form_field in self.fields.values():
            # The reader has already trimmed each cell, keeping what guards a formula.
            if hasattr(form_field, "strip"):
                form_field.strip = False
        self.fields["creation_date"].input_formats = ["%Y-%m-%d", "%d/%m/%Y"]
        self.fields["creation_date"].error_messages["invalid"] = gettext_lazy(
            "Date attendue au format AAAA-MM-JJ ou JJ/MM/AAAA."
        )

    def clean(self):
        cleaned = super().clean()
        resolve_commune_column(self, cleaned)
        return cleaned


def resolve_commune_column(form: forms.Form, cleaned: dict) -> None:
    """The commune column → INSEE code and official name; an unknown value or a postal code
    shared by several communes (the candidates listed) is an error on that column. The
    commune name column, when given, picks among several candidates."""
    value = cleaned.get("commune_code")
    if not value:
        return
    try:
        commune = commune_resolve(value, name=cleaned.get("commune_name") or "")
    except ValidationError as error:
        form.add_error("commune_code", error)
        return
    cleaned["commune_code"] = commune.code
    cleaned["commune_name"] = commune.name


def _prepare(values: dict[str, str]) -> dict[str, str]:
    data = dict(values)
    data["siren"] = compact_identifier(data.get("siren", ""))
    data["siret"] = compact_identifier(data.get("siret", ""))
    data["naf_code"] = normalise_naf(data.get("naf_code", ""))
    data["headcount"] = _integer_text(data.get("headcount", ""))
    data["turnover"] = _decimal_text(data.get("turnover", ""))
    return data


@dataclass
class RowError:
    line: int
    column: str
    message: str

    def __str__(self):
        if self.column:
            return _("ligne %(line)s, colonne %(column)s : %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("ligne %(line)s : %(message)s") % {"line": self.line, "message": self.message}


class RowStatus:
    NEW = "new"
    EXISTING = "existing"
    INVALID = "invalid"


@dataclass
class PreviewRow:
    line: int
    values: dict[str, str]
    status: str
    errors: list[RowError] = field(default_factory=list)
    cleaned: dict | None = None
    existing_name: str = ""


@dataclass
class ImportPreview:
    """Every row of the file with its status (new, already present, invalid) and errors."""

    dispositif: Dispositif
    headers: dict[str, str]
    rows: list[PreviewRow]
    ignored_columns: list[str]

    @property
    def errors(self) -> list[RowError]:
        return [error for row in self.rows for error in row.errors]

    @property
    def is_valid(self) -> bool:
        return bool(self.rows) and not self.errors

    @property
    def new_rows(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.status == RowStatus.NEW]

    @property
    def existing_rows(self) -> list[PreviewRow]:
        return [row for row in self.rows if row.status == RowStatus.EXISTING]

    @property
    def columns(self) -> list[tuple[str, str]]:
        return [(column, self.headers[column]) for column in COLUMNS if column in self.headers]

    @property
    def table(self) -> list[tuple[PreviewRow, list[tuple[str, bool]]]]:
        """Each row with its cells in the order of ``columns`` (value, has an error)."""
        table = []
        for row in self.rows:
            wrong = {error.column for error in row.errors}
            cells = [
                (row.values.get(column, ""), header in wrong) for column, header in self.columns
            ]
            table.append((row, cells))
        return table


def company_import_preview(*, dispositif, parsed: ParsedFile) -> ImportPreview:
    """Validate every row for ``dispositif`` (in scope): field errors by line and column, a
    SIREN repeated in the file (error on its second line), SIRET not starting with the SIREN,
    and SIRENs already registered in the dispositif (skipped, not an error)."""
    headers = parsed.headers

    def column_label(name: str) -> str:
        return headers.get(name, name)

    prepared = [(line, values, _prepare(values)) for line, values in parsed.rows]
    sirens = {data["siren"] for _line, _values, data in prepared if data["siren"]}
    existing = dict(
        Company.objects.filter(dispositif=dispositif, siren__in=sirens).values_list("siren", "name")
    )
    seen: dict[str, int] = {}
    rows = []
    for line, values, data in prepared:
        form = CompanyRowForm(data=data)
        errors = []
        if not form.is_valid():
            for name, messages in form.errors.items():
                for message in messages:
                    errors.append(
                        RowError(line, column_label(name) if name in COLUMNS else "", message)
                    )
        cleaned = form.cleaned_data
        siren = cleaned.get("siren")
        siret = cleaned.get("siret")
        if siren and siret and not siret.startswith(siren) and "siret" not in form.errors:
            errors.append(
                RowError(
                    line,
                    column_label("siret"),
                    _("Le SIRET doit commencer par le SIREN de l'entreprise."),
                )
            )
        if siren and "siren" not in form.errors:
            if siren in seen:
                errors.append(
                    RowError(
                        line,
                        column_label("siren"),
                        _("SIREN %(siren)s déjà présent ligne %(line)s de ce fichier.")
                        % {"siren": siren, "line": seen[siren]},
                    )
                )
            else:
                seen[siren] = line
        status = RowStatus.INVALID if errors else RowStatus.NEW
        if not errors and siren in existing:
            status = RowStatus.EXISTING
        rows.append(
            PreviewRow(
                line=line,
                values=values,
                status=status,
                errors=errors,
                cleaned=None if errors else {name: cleaned[name] for name in COLUMNS},
                existing_name=existing.get(siren, "") if status == RowStatus.EXISTING else "",
            )
        )
    return ImportPreview(dispositif, headers, rows, parsed.ignored_columns)


@dataclass
class ImportResult:
    created: list[Company]
    skipped: list[PreviewRow]


SIREN_CONSTRAINT = "company_siren_unique_per_dispositif"


def _is_siren_conflict(error: IntegrityError) -> bool:
    diagnostics = getattr(error.__cause__, "diag", None)
    return getattr(diagnostics, "constraint_name", None) == SIREN_CONSTRAINT


@transaction.atomic
def company_import(*, dispositif, parsed: ParsedFile) -> ImportResult:
    """Save every new company of the file in one transaction, or nothing if any row is
    invalid. Rows whose SIREN is already registered in the dispositif are skipped.

    The rows are inserted in bulk and nothing is locked beforehand: the unique constraint on
    (dispositif, SIREN) settles a race with another import or a company created meanwhile,
    and the file is then validated again, so the SIREN saved by the other is skipped.
    """
    for attempt in range(2):
        preview = company_import_preview(dispositif=dispositif, parsed=parsed)
        if not preview.is_valid:
            raise ValidationError([str(error) for error in preview.errors] or _("Fichier vide."))
        companies = [Company(dispositif=dispositif, **row.cleaned) for row in preview.new_rows]
        try:
            with transaction.atomic():
                Company.objects.bulk_create(companies, batch_size=500)
        except IntegrityError as error:
            if not _is_siren_conflict(error):
                raise
            if attempt:
                raise ValidationError(
                    _(
                        "Des entreprises de ce fichier viennent d'être enregistrées par ailleurs :"
                        " déposez le fichier à nouveau."
                    )
                ) from error
            continue
        return ImportResult(created=companies, skipped=preview.existing_rows)
