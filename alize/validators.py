"""Validators shared by several apps: French company identifiers, plausible dates and
amounts.

Date bounds (every date a person types goes through one of them, in the model field, so
that forms, the API and services refuse it alike with a field error):
- ``validate_plausible_date``: from 1 January 1900 to ten years ahead (committees, tour de
  table seats, launch dates, follow-ups);
- ``validate_past_date``: from 1 January 1900 to today (a referral date);
- ``validate_creation_date``: from 1 January 1800 to today (a company may be old, not unborn).

Amounts are read by ``parse_amount`` at every door (the API's money field, the browser's
money inputs).
"""

import datetime as dt
import re
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils import timezone
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
