"""How money and dates read, in the active language (French reference, English complete).

Money: always two decimals, grouped, with the euro sign where the language puts it:
``10 000,00 €`` in French, ``€10,000.00`` in English. Percentages likewise: ``12,5 %`` in
French (a no-break space before the sign), ``12.5%`` in English. Dates, one style per context:
- ``short_date`` (``15/01/2027``, ``01/15/2027``) in tables, lists and compact lines;
- ``long_date`` (``15 janvier 2027``, ``Jan. 15, 2027``) in sentences and fact sheets;
- ``short_datetime`` (``15/01/2027 14:30``) for when something was recorded (timelines,
  audit history), in the local time zone.
"""

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import get_language

NBSP = "\u00a0"


def money(value, decimals: int = 2) -> str:
    """``value`` euros in the active language's format; ``""`` for ``None`` or non-numbers."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    digits = number_format(abs(amount), decimal_pos=decimals, use_l10n=True, force_grouping=True)
    sign = "-" if amount < 0 else ""
    if (get_language() or "fr").startswith("en"):
        return f"{sign}€{digits}"
    return f"{sign}{digits}{NBSP}€"


def percent(value, decimals: int = 1) -> str:
    """``value`` (already in percent) in the active language's format; ``""`` for ``None``
    or non-numbers."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    digits = number_format(amount, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    if (get_language() or "fr").startswith("en"):
        return f"{digits}%"
    return f"{digits}{NBSP}%"


def short_date(value) -> str:
    """A date (or date-time, taken in local time) as in tables: ``15/01/2027``."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(value, "SHORT_DATE_FORMAT")


def long_date(value) -> str:
    """A date as written in a sentence: ``15 janvier 2027``."""
    if not value:
        return ""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    return date_format(value, "DATE_FORMAT")


def short_datetime(value) -> str:
    """When something was recorded, in local time: ``15/01/2027 14:30``."""
    if not value:
        return ""
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return date_format(value, "SHORT_DATETIME_FORMAT")
