"""Money and dates read the same everywhere: French by default, English in English."""

import datetime as dt
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation
from django.utils.formats import get_format, number_format
from hypothesis import given, settings
from hypothesis import strategies as st

from alize.formats import (
    long_date,
    money,
    number,
    percent,
    share_percent,
    short_date,
    short_datetime,
    short_month,
    times,
)
from alize.tenancy import scope
from pme import services
from pme.selectors import project_history
from tests.factories import CompanyFactory, ProjectFactory


@pytest.fixture(autouse=True)
def french_after_each_test():
    """A request in English leaves English active in the test's thread: back to French."""
    yield
    translation.activate("fr")


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


@settings(max_examples=300, deadline=None)
@given(
    amount=st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False),
    decimals=st.sampled_from([0, 2]),
    language=st.sampled_from(["fr", "en"]),
)
def test_money_reads_as_number_format_writes_it(amount, decimals, language):
    """``money`` groups an amount already at the decimals shown itself (the fast path of
    every table); it must write what Django's ``number_format`` writes."""
    with translation.override(language):
        digits = number_format(
            abs(amount), decimal_pos=decimals, use_l10n=True, force_grouping=True
        )
        assert digits in money(amount, decimals)
        exact = amount.quantize(Decimal(1).scaleb(-decimals))
        expected = number_format(
            abs(exact), decimal_pos=decimals, use_l10n=True, force_grouping=True
        )
        assert expected in money(exact, decimals)
        assert money(exact, decimals).replace("-", "").replace("€", "").strip(NBSP) == expected


def test_dates_one_style_per_context():
    day = dt.date(2027, 1, 15)
    with translation.override("fr"):
        assert short_date(day) == "15/01/2027"
        assert long_date(day) == "15 janvier 2027"
        assert short_datetime(dt.datetime(2027, 1, 15, 14, 30)) == "15/01/2027 14:30"
    with translation.override("en"):
        # Never month-first: ISO in tables, day month-name year in sentences.
        assert short_date(day) == "2027-01-15"
        assert long_date(day) == "15 January 2027"
        assert long_date(dt.date(2026, 12, 7)) == "7 December 2026"
        assert short_datetime(dt.datetime(2027, 1, 15, 14, 30)) == "2027-01-15 14:30"
    assert short_date(None) == long_date(None) == short_datetime(None) == ""


@pytest.mark.parametrize("language", ["fr", "en"])
def test_times_read_on_24_hours_in_every_language(language):
    moment = dt.datetime(2027, 1, 15, 14, 5)
    template = Template("{{ moment|time }}|{{ moment|date:'TIME_FORMAT' }}|{{ moment.time }}")
    with translation.override(language):
        assert template.render(Context({"moment": moment})) == "14:05|14:05|14:05"
        assert get_format("TIME_FORMAT") == "H:i"
        assert "P" not in get_format("DATETIME_FORMAT")


def test_a_day_typed_in_english_is_read_day_first():
    """« 07/12/2026 » is the 7th of December in either language, never July the 12th."""
    field = forms.DateField()
    for language in ("fr", "en"):
        with translation.override(language):
            assert field.clean("07/12/2026") == dt.date(2026, 12, 7)
            assert field.clean("2026-12-07") == dt.date(2026, 12, 7)


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "fr",
            "janv. févr. mars avr. mai juin juil. août sept. oct. nov. déc.",
        ),
        ("en", "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec"),
    ],
)
def test_short_months_are_each_languages_abbreviations(language, expected):
    """« juin » and « juil. », not « Jui » twice; English « Jun », « Jul »."""
    with translation.override(language):
        months = [short_month(dt.date(2026, month, 1)) for month in range(1, 13)]
    assert " ".join(m.split(NBSP)[0] for m in months) == expected
    assert months[6] == f"{expected.split()[6]}{NBSP}2026"
    assert short_month(None) == ""


def test_numbers_are_grouped_in_the_language():
    with translation.override("fr"):
        assert number(1234) == f"1{NBSP}234"
        assert number(Decimal("1500.5")) == f"1{NBSP}500,5"
        assert number(Decimal("2.345"), 2) == "2,34"
    with translation.override("en"):
        assert number(Decimal("1500.5")) == "1,500.5"
    assert number(None) == ""


def test_percent_takes_a_value_already_in_percent():
    with translation.override("fr"):
        assert percent(Decimal("50")) == f"50,0{NBSP}%"
        assert percent(Decimal("12.34"), 2) == f"12,34{NBSP}%"
        assert percent(Decimal("1250"), 0) == f"1{NBSP}250{NBSP}%"
    with translation.override("en"):
        assert percent(Decimal("50")) == "50.0%"
    assert percent(None) == percent("") == percent("n/a") == ""


def test_share_percent_takes_a_share_of_a_whole():
    with translation.override("fr"):
        assert share_percent(Decimal("0.3624"), 2) == f"36,24{NBSP}%"
        assert share_percent(Decimal("0.85"), 0) == f"85{NBSP}%"
        assert share_percent(Decimal("1"), 0) == f"100{NBSP}%"
        assert share_percent(Decimal("0.125")) == f"12,5{NBSP}%"
    with translation.override("en"):
        assert share_percent(Decimal("0.3624"), 2) == "36.24%"
        assert share_percent(Decimal("0.85"), 0) == "85%"
    assert share_percent(None) == share_percent("") == ""


def test_percentages_are_rounded_never_cut():
    with translation.override("fr"):
        assert share_percent(Decimal("0.2567"), 0) == f"26{NBSP}%"
        assert share_percent(Decimal("0.999"), 1) == f"99,9{NBSP}%"
        assert share_percent(Decimal("0.9996"), 1) == f"100,0{NBSP}%"
        assert percent(Decimal("12.345"), 2) == f"12,34{NBSP}%"  # half to even
        assert percent(Decimal("12.355"), 2) == f"12,36{NBSP}%"


def test_times_reads_a_multiple():
    with translation.override("fr"):
        assert times(Decimal("2.5")) == f"×{NBSP}2,50"
    with translation.override("en"):
        assert times(Decimal("2.5")) == f"×{NBSP}2.50"
    assert times(None) == ""


def test_template_filters():
    template = Template(
        "{% load alize_format %}{{ amount|money }}|{{ day|short_date }}|{{ day|long_date }}"
    )
    with translation.override("fr"):
        rendered = template.render(
            Context({"amount": Decimal("12000"), "day": dt.date(2027, 1, 15)})
        )
    assert rendered == f"12{NBSP}000,00{NBSP}€|15/01/2027|15 janvier 2027"
    with translation.override("en"):
        rendered = template.render(
            Context({"amount": Decimal("12000"), "day": dt.date(2027, 1, 15)})
        )
    assert rendered == "€12,000.00|2027-01-15|15 January 2027"


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("fr", f"50,0{NBSP}%|36,24{NBSP}%|85{NBSP}%|×{NBSP}2,50"),
        ("en", f"50.0%|36.24%|85%|×{NBSP}2.50"),
    ],
)
def test_percent_filters_in_every_template(language, expected):
    """The core filters are built in: no ``{% load %}`` needed."""
    template = Template(
        "{{ rate|percent }}|{{ par30|share_percent:2 }}|{{ use|share_percent:0 }}|{{ lever|times }}"
    )
    context = {"rate": 50, "par30": "0.3624", "use": Decimal("0.85"), "lever": Decimal("2.5")}
    with translation.override(language):
        assert template.render(Context(context)) == expected


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


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "june", "july"), [("fr", "juin", "juil."), ("en", "Jun", "Jul")]
)
def test_the_closing_page_names_june_and_july_apart(world, client, language, june, july):
    """The month-closing table heads its columns with the last twelve months (June 2026
    back to July 2025 on the tests' clock): « Jui » twice was the bug."""
    client.force_login(world.animateur_a)
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    page = client.get(reverse("missions:closing")).content.decode()
    assert f'<th scope="col">{june}{NBSP}2026</th>' in page
    assert f'<th scope="col">{july}{NBSP}2025</th>' in page
    assert "Jui" not in page
