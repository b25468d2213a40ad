"""Template filters for money and dates: ``{% load alize_format %}``.

``{{ amount|money }}`` → ``10 000,00 €`` (``€10,000.00`` in English);
``{{ rate|percent }}`` → ``12,5 %`` (``12.5%`` in English); ``—`` stays the
template's business (``{{ amount|money|default:"—" }}``). Dates, one style per context:
``|short_date`` in tables and lists, ``|long_date`` in sentences and fact sheets,
``|short_datetime`` for when something was recorded (timelines, history). See
``alize.formats``.
"""

from django import template

from alize import formats

register = template.Library()


@register.filter
def money(value, decimals=2):
    return formats.money(value, int(decimals))


@register.filter
def percent(value, decimals=1):
    return formats.percent(value, int(decimals))


@register.filter
def short_date(value):
    return formats.short_date(value)


@register.filter
def long_date(value):
    return formats.long_date(value)


@register.filter
def short_datetime(value):
    return formats.short_datetime(value)
