"""Validators shared by several apps (French company identifiers)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.fr import siren, siret


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
