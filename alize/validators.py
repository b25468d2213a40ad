"""Validators shared by several apps: French company identifiers, plausible dates, amounts
and free text.

Date bounds (every date a person types goes through one of them, in the model field, so
that forms, the API and services refuse it alike with a field error):
- ``validate_plausible_date``: from 1 January 1900 to ten years ahead (committees, tour de
  table seats, launch dates, follow-ups);
- ``validate_past_date``: from 1 January 1900 to today (a referral date);
- ``validate_creation_date``: from 1 January 1800 to today (a company may be old, not unborn).

Amounts are read by ``parse_amount`` at every door (the API's money field, the browser's
money inputs), and free text refuses control characters through ``NoControlCharacters``,
set on every text column of the project's models (``guard_text_columns``) and on every
text field of the API's serializers and of the browser's forms.
"""

import datetime as dt
import re
from collections.abc import Iterable
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret

EARLIEST_DATE = dt.date(1900, 1, 1)
EARLIEST_CREATION_DATE = dt.date(1800, 1, 1)
YEARS_AHEAD = 10


def validate_siren(value: str) -> None:
    """A SIREN: 9 digits with a valid Luhn checksum."""
    try:
        siren.validate(value)
    except StdnumError as error:
        raise ValidationError(
            _("« %(value)s » n'est pas un SIREN valide (9 chiffres, clé de contrôle)."),
            code="invalid_siren",
            params={"value": value},
        ) from error


def validate_siret(value: str) -> None:
    """A SIRET: 14 digits with a valid checksum (La Poste's special rule included)."""
    try:
        siret.validate(value)
    except StdnumError as error:
        raise ValidationError(
            _("« %(value)s » n'est pas un SIRET valide (14 chiffres, clé de contrôle)."),
            code="invalid_siret",
            params={"value": value},
        ) from error


def latest_plausible_date(today: dt.date | None = None) -> dt.date:
    """Ten years after ``today`` (28 February when today is 29 February)."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:
        return today.replace(year=today.year + YEARS_AHEAD, day=28)


def _check_bounds(value, earliest: dt.date, latest: dt.date, too_late, code: str) -> None:
    if value is None:
        return
    if value < earliest:
        raise ValidationError(
            _("La date doit être postérieure au %(min)s."),
            code="date_too_early",
            params={"min": date_format(earliest, "SHORT_DATE_FORMAT")},
        )
    if value > latest:
        raise ValidationError(
            too_late, code=code, params={"max": date_format(latest, "SHORT_DATE_FORMAT")}
        )


def validate_plausible_date(value: dt.date) -> None:
    """From 1 January 1900 to ten years ahead."""
    _check_bounds(
        value,
        EARLIEST_DATE,
        latest_plausible_date(),
        _("La date ne peut pas dépasser le %(max)s (dix ans à venir)."),
        "date_too_late",
    )


def validate_past_date(value: dt.date) -> None:
    """From 1 January 1900 to today."""
    _check_bounds(
        value,
        EARLIEST_DATE,
        timezone.localdate(),
        _("La date ne peut pas être dans le futur (au plus tard le %(max)s)."),
        "date_in_future",
    )


def validate_creation_date(value: dt.date) -> None:
    """From 1 January 1800 to today."""
    _check_bounds(
        value,
        EARLIEST_CREATION_DATE,
        timezone.localdate(),
        _("La date ne peut pas être dans le futur (au plus tard le %(max)s)."),
        "date_in_future",
    )


# An amount as the API takes it and as the forms hand it over once people's typing is
# undone: ASCII digits, an optional minus sign and decimal point, nothing else.
PLAIN_AMOUNT = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")
AMOUNT_PLACES = 2


def parse_amount(text: str, *, places: int = AMOUNT_PLACES) -> Decimal:
    """« 12500.50 » → ``Decimal("12500.50")``: ASCII digits, an optional minus sign, a
    decimal point and at most ``places`` decimals. Anything else (an exponent, other
    digits, spaces, a sign +, a third decimal) raises ``ValidationError`` with the code
    ``invalid`` or ``max_decimal_places``, never a number nobody meant."""
    if not isinstance(text, str) or not PLAIN_AMOUNT.fullmatch(text):
        raise ValidationError(
            _("Un montant s'écrit en chiffres avec un point décimal, par exemple 12500.50."),
            code="invalid",
        )
    if len(text.partition(".")[2]) > places:
        raise ValidationError(
            _("Un montant a au plus deux décimales (les centimes)."), code="max_decimal_places"
        )
    return Decimal(text)


# C0 and C1 control characters and DEL, except tab, line feed and carriage return.
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@deconstructible
class NoControlCharacters:
    """Refuses text holding a control character (invisible, and able to break exports,
    mails and terminals); tab, line feed and carriage return are kept. ``label`` names
    the field in the message."""

    code = "control_character"

    def __init__(self, label=""):
        self.label = label

    def __call__(self, value) -> None:
        if not isinstance(value, str):
            return
        found = CONTROL_CHARACTER.search(value)
        if found is None:
            return
        params = {"field": self.label, "character": f"U+{ord(found.group()):04X}"}
        message = (
            _(
                "« %(field)s » contient un caractère de contrôle invisible (%(character)s) : "
                "retirez-le."
            )
            if self.label
            else _(
                "Ce texte contient un caractère de contrôle invisible (%(character)s) : retirez-le."
            )
        )
        raise ValidationError(message, code=self.code, params=params)

    def __eq__(self, other) -> bool:
        return isinstance(other, NoControlCharacters) and str(other.label) == str(self.label)

    def __hash__(self) -> int:
        return hash((type(self), str(self.label)))


def guards_text(validators: Iterable) -> bool:
    """True when ``validators`` already hold the control-character check."""
    return any(isinstance(validator, NoControlCharacters) for validator in validators)


def guard_text_columns(model_classes: Iterable[type[models.Model]]) -> None:
    """Put ``NoControlCharacters`` on every ``CharField`` and ``TextField`` of
    ``model_classes``, so that ``full_clean`` (every service), model forms and model
    serializers refuse it. Added to the field's validator list, as Django adds its own
    length check, so migrations do not see it."""
    for model in model_classes:
        for field in model._meta.get_fields():
            if isinstance(field, models.CharField | models.TextField) and not guards_text(
                field.validators
            ):
                field.validators.append(NoControlCharacters(label=field.verbose_name))
