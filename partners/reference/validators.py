"""Field validators backed by the reference lists."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .selectors import naf_label


def validate_naf_code(value: str) -> None:
    """Refuse a code that is not a sub-class of NAF rev. 2 (e.g. 33.12Z)."""
    if value and not naf_label(value):
        raise ValidationError(
            _("Code NAF inconnu de la nomenclature NAF rév. 2 : %(code)s."),
            code="unknown_naf",
            params={"code": value},
        )
