"""How money, numbers and dates read, in the active language (French reference, English
complete): the one formatting library, whose functions are also the template filters.

Money: always two decimals, grouped, with the euro sign where the language puts it:
``10 000,00 €`` in French, ``€10,000.00`` in English. Percentages likewise: ``12,5 %`` in
French (a no-break space before the sign), ``12.5%`` in English, from a value already in
percent (``percent``) or from a share of a whole (``share_percent``: ``0.125`` → ``12,5 %``);
a multiple reads ``× 2,50`` (``times``), a plain number ``1 234,5`` (``number``); figures
are rounded to the decimals shown (half to even), never cut. Dates, one style per context,
never month-first and times on 24 hours in either language (the English formats are in
``alize/format_modules/en/formats.py``):
- ``short_date`` (``15/01/2027``, ``2027-01-15`` in English) in tables, lists and compact
  lines;
- ``long_date`` (``15 janvier 2027``, ``15 January 2027``) in sentences and fact sheets;
- ``short_datetime`` (``15/01/2027 14:30``, ``2027-01-15 14:30``) for when something was
  recorded (timelines, audit history), in the local time zone;
- ``short_month`` (``juil. 2027``, ``Jul 2027``) for a month in a narrow column.
"""

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

from django.utils import timezone
from django.utils.formats import date_format, get_format, number_format
from django.utils.translation import get_language

NBSP = "\u00a0"


_SEPARATORS: dict[str, dict[int, str] | None] = {}


def _separators(language: str) -> dict[int, str] | None:
    """``str.translate`` table from Python's ``1,234.5`` to the language's grouping and
    decimal separators, or None where the language does not group by threes."""
    if language not in _SEPARATORS:
        grouping = get_format("NUMBER_GROUPING", language, use_l10n=True)
        _SEPARATORS[language] = (
            str.maketrans(
                {
                    ",": get_format("THOUSAND_SEPARATOR", language, use_l10n=True),
                    ".": get_format("DECIMAL_SEPARATOR", language, use_l10n=True),
                }
            )
            if grouping == 3
            else None
        )
    return _SEPARATORS[language]


def money(value, decimals: int = 2) -> str:
    """``value`` euros in the active language's format; ``""`` for ``None`` or non-numbers."""
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return ""
    language = get_language() or "fr"
    separators = _separators(language)
    if separators is not None and amount.is_finite() and amount.as_tuple().exponent == -decimals:
        # Already at the decimals shown: Python's grouping, then the language's separators
        # (what ``number_format`` writes, without its per-call lookups; tested equal).
        digits = f"{abs(amount):,f}".translate(separators)
    else:
        digits = number_format(
            abs(amount), decimal_pos=int(decimals), use_l10n=True, force_grouping=True
        )
    sign = "-" if amount < 0 else ""
    if language.startswith("en"):
        return f"{sign}€{digits}"
    return f"{sign}{digits}{NBSP}€"


def _decimal(value) -> Decimal | None:
    """``value`` as a finite ``Decimal``; ``None`` for ``None``, ``""`` and non-numbers."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return amount if amount.is_finite() else None


def _digits(amount: Decimal, decimals: int) -> str:
    """``amount`` rounded to ``decimals`` (a template passes it as text) and grouped, in the
    active language's format."""
    decimals = int(decimals)
    rounded = amount.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return number_format(rounded, decimal_pos=decimals, use_l10n=True, force_grouping=True)


def number(value, decimals: int | None = None) -> str:
    """A plain number in the active language, grouped: ``1 234,5`` (``1,234.5`` in
    English), rounded to ``decimals`` when given; ``""`` for ``None`` or non-numbers."""
    amount = _decimal(value)
    if amount is None:
        return ""
    if decimals is None:
        return number_format(amount, use_l10n=True, force_grouping=True)
    return _digits(amount, decimals)


def percent(value, decimals: int = 1) -> str:
    """``value`` **already in percent** (``12.5`` → ``12,5 %``, ``12.5%`` in English),
    rounded to ``decimals``; ``""`` for ``None`` or non-numbers. For a share of a whole
    (``0.125``), use ``share_percent``."""
    amount = _decimal(value)
    if amount is None:
        return ""
    digits = _digits(amount, decimals)
    if (get_language() or "fr").startswith("en"):
        return f"{digits}%"
    return f"{digits}{NBSP}%"


def share_percent(value, decimals: int = 1) -> str:
    """A share of a whole (``0.125``; ``1`` is all of it: PAR30, fund utilisation, a pledge
    used) as a percentage: ``12,5 %`` (``12.5%`` in English); ``""`` for ``None``."""
    share = _decimal(value)
    return "" if share is None else percent(share * 100, decimals)


def times(value, decimals: int = 2) -> str:
    """A ratio read as a multiple (the leverage of an advance): ``× 2,50``; ``""`` for
    ``None`` or non-numbers."""
    ratio = _decimal(value)
    return "" if ratio is None else f"×{NBSP}{_digits(ratio, decimals)}"


def figure(value) -> str:
    """An indicator's ``Figure`` (``alize.indicators.reading``) as its unit reads: money,
    a percentage, a multiple or a number at the indicator's decimals; ``—`` when there is
    no value (nothing to divide by, no row, or suppressed)."""
    if value is None or getattr(value, "value", None) is None:
        return "—"
    item = value.indicator
    if item.unit == "euros":
        return money(value.value, item.places or 2)
    if item.unit == "percent":
        return percent(value.value, item.places)
    if item.unit == "ratio":
        return times(value.value, item.places)
    return number(value.value, item.places)


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


# How each language abbreviates its months (CLDR's abbreviated month names): Django's « M »
# cuts the French ones to three letters, « Jui » for both juin and juillet.
SHORT_MONTHS = {
    "fr": (
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ),
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
}


def short_month(value) -> str:
    """A month and its year in a narrow column: ``juil. 2027`` (``Jul 2027`` in English)."""
    if not value:
        return ""
    language = (get_language() or "fr").split("-")[0]
    names = SHORT_MONTHS.get(language, SHORT_MONTHS["fr"])
    return f"{names[value.month - 1]}{NBSP}{value.year}"
