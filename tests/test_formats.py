"""Money and dates read the same everywhere: French by default, English in English."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.utils import translation

from alize.formats import long_date, money, short_date, short_datetime
from alize.tenancy import scope
from pme import services
from pme.selectors import project_history
from tests.factories import CompanyFactory, ProjectFactory

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


@pytest.mark.django_db
def test_project_history_shows_money_in_the_active_language(world):
    company = CompanyFactory(dispositif=world.a)
    with scope([world.a]):
        project = ProjectFactory(company=company, requested_advance=Decimal("10000"))
        services.project_update(project=project, requested_advance=Decimal("12500"))
        with translation.override("fr"):
            changes = [c for entry in project_history(project) for c in entry.changes]
            change = next(c for c in changes if c.old != "—" and "12" in c.new)
            assert (change.old, change.new) == (f"10{NBSP}000,00{NBSP}€", f"12{NBSP}500,00{NBSP}€")
        with translation.override("en"):
            changes = [c for entry in project_history(project) for c in entry.changes]
            assert any(c.new == "€12,500.00" for c in changes)


@pytest.mark.django_db
def test_advance_bounds_message_in_french_format(world):
    company = CompanyFactory(dispositif=world.a)
    with scope([world.a]), translation.override("fr"), pytest.raises(ValidationError) as refused:
        services.project_create(
            company=company,
            by=None,
            title="Export",
            project_type="export",
            requested_advance=Decimal("20000"),
        )
    assert refused.value.message_dict["requested_advance"] == [
        f"L'avance doit être comprise entre 10{NBSP}000,00{NBSP}€ et 15{NBSP}000,00{NBSP}€ "
        "dans ce dispositif."
    ]
