"""Money and dates read the same everywhere: French by default, English in English."""

import datetime as dt
from decimal import Decimal

from django.template import Context, Template
from django.utils import translation

from alize.formats import long_date, money, short_date, short_datetime

NBSP = "\u00a0"


def test_money_in_french():
    with translation.override("fr"):
        assert money(Decimal("10000")) == f"10{NBSP}000,00{NBSP}€"
        assert money(Decimal("1250000.5")) == f"1{NBSP}250{NBSP}000,50{NBSP}€"
        assert money(12) == f"12,00{NBSP}€"
        assert money(Decimal("-15.5")) == f"-15,50{NBSP}€"
        assert money(None) == ""


def test_money_in_english():
    with translation.override("en"):
        assert money(Decimal("10000")) == "€10,000.00"
        assert money(Decimal("-15.5")) == "-€15.50"


def test_dates_one_style_per_context():
    day = dt.date(2027, 1, 15)
    with translation.override("fr"):
        assert short_date(day) == "15/01/2027"
        assert long_date(day) == "15 janvier 2027"
        assert short_datetime(dt.datetime(2027, 1, 15, 14, 30)) == "15/01/2027 14:30"
    with translation.override("en"):
        assert short_date(day) == "01/15/2027"
        assert long_date(day) == "Jan. 15, 2027"
    assert short_date(None) == long_date(None) == short_datetime(None) == ""


def test_template_filters():
    template = Template(
        "{% load alize_format %}{{ amount|money }}|{{ day|short_date }}|{{ day|long_date }}"
    )
    with translation.override("fr"):
        rendered = template.render(
            Context({"amount": Decimal("12000"), "day": dt.date(2027, 1, 15)})
        )
    assert rendered == f"12{NBSP}000,00{NBSP}€|15/01/2027|15 janvier 2027"
