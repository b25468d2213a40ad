"""Template filters for money, numbers, percentages and dates, built into every template
(the ``builtins`` of the settings; ``{% load alize_format %}`` works too).

``{{ amount|money }}`` → ``10 000,00 €`` (``€10,000.00`` in English); ``{{ n|number }}`` →
``1 234``; ``{{ rate|percent }}`` → ``12,5 %`` (``12.5%`` in English) for a value already in
percent; ``{{ share|share_percent:2 }}`` → ``12,34 %`` for a share of a whole (``0.1234``);
``{{ ratio|times }}`` → ``× 2,50`` for a multiple; ``{{ figure|figure }}`` an indicator's
figure as its unit reads; ``—`` stays the template's business
(``{{ amount|money|default:"—" }}``). Dates, one style per context: ``|short_date`` in
tables and lists, ``|long_date`` in sentences and fact sheets, ``|short_datetime`` for when
something was recorded (timelines, history), ``|short_month`` for a month in a narrow
column. See ``alize.formats``.
"""

from django import template

from alize import formats

register = template.Library()

# The filters are the functions of ``alize.formats`` themselves: one definition of each.
for name in (
    "money",
    "number",
    "percent",
    "share_percent",
    "times",
    "figure",
    "short_date",
    "long_date",
    "short_datetime",
    "short_month",
):
    register.filter(name, getattr(formats, name))
