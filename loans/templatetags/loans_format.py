"""Template filters of the loans pages: ``{% load loans_format %}``.

``{{ ratio|percent }}`` shows a fraction (PAR30, utilisation: ``0.1234``) as a percentage
with two decimals in the active language: ``12,34 %`` in French, ``12.34%`` in English.
``{{ ratio|times }}`` shows a leverage ratio as a multiple: ``× 2,50``.
"""

from decimal import Decimal, InvalidOperation

from django import template
from django.utils.formats import number_format
from django.utils.translation import get_language

from alize.formats import NBSP

register = template.Library()


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


@register.filter
def percent(value, decimals=2):
    ratio = _decimal(value)
    if ratio is None:
        return ""
    digits = number_format(ratio * 100, decimal_pos=int(decimals), use_l10n=True)
    if (get_language() or "fr").startswith("en"):
        return f"{digits}%"
    return f"{digits}{NBSP}%"


@register.filter
def times(value):
    ratio = _decimal(value)
    if ratio is None:
        return ""
    return f"×{NBSP}{number_format(ratio, decimal_pos=2, use_l10n=True)}"
