"""Validating a company file: every row checked as the company form would, with each error
reported by line and column (the preview)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alize.forms import ModelForm
from dispositifs.models import Dispositif
from partners.reference.selectors import commune_resolve

from ..forms import compact_identifier, normalise_naf
from ..models import Company
from .base import COLUMNS, ParsedFile


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


class CompanyRowForm(ModelForm):
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
