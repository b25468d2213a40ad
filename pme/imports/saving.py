"""Saving a company file: every new row in one transaction, or nothing."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from ..models import Company
from .base import ParsedFile
from .validation import PreviewRow, company_import_preview


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
