"""Validators of the SEPA identifiers the loans app stores: an account's IBAN and BIC
(checked by ``schwifty``: structure, country format and check digits) and a creditor's
SEPA identifier (AT-02: ISO 7064 mod 97-10 check digits, ``stdnum.eu.at_02``).

The columns hold the compact upper-case form (``compact_identifier``): the services
normalise what a person typed before ``full_clean``, so the model validators see what
is stored."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException
from stdnum.eu import at_02
from stdnum.exceptions import ValidationError as StdnumError

_SEPARATORS = re.compile(r"[\s\-.]+")


def compact_identifier(value: str | None) -> str:
    """An identifier as stored: without spaces, dashes or dots, in upper case."""
    return _SEPARATORS.sub("", value or "").upper()


def validate_iban(value: str) -> None:
    """An IBAN of the SEPA zone: country format and check digits."""
    try:
        iban = IBAN(value)
    except SchwiftyException as error:
        raise ValidationError(
            _("« %(value)s » n'est pas un IBAN valide (format du pays, clé de contrôle)."),
            code="invalid_iban",
            params={"value": value},
        ) from error
    if not iban.in_sepa_zone:
        raise ValidationError(
            _("« %(value)s » est un compte hors de la zone SEPA : il ne se prélève pas."),
            code="iban_outside_sepa",
            params={"value": value},
        )


def validate_bic(value: str) -> None:
    """A BIC: 8 or 11 characters (bank, country, location, branch)."""
    try:
        BIC(value)
    except SchwiftyException as error:
        raise ValidationError(
            _("« %(value)s » n'est pas un BIC valide (8 ou 11 caractères)."),
            code="invalid_bic",
            params={"value": value},
        ) from error


def validate_creditor_identifier(value: str) -> None:
    """A SEPA creditor identifier (ICS): country, two check digits (ISO 7064 mod 97-10),
    business code, national identifier; e.g. ``FR72ZZZ123456``."""
    valid = bool(re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}", value or ""))
    if valid:
        try:
            at_02.validate(value)
        except StdnumError:
            valid = False
    if not valid:
        raise ValidationError(
            _(
                "« %(value)s » n'est pas un identifiant créancier SEPA valide (pays, clé "
                "de contrôle, code activité, identifiant national)."
            ),
            code="invalid_creditor_identifier",
            params={"value": value},
        )
