"""Dates people type on the loans forms and API stay plausible: money received, evidence
and a reversal are dated from 1900 to today (never in the future: the ledger would carry
an entry dated later than now), and a new schedule starts within ten years — a first
instalment in year 9999 is refused on its field, never a server error. Reasons are bounded
too."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alize.errors import ApplicationError
from loans import services
from loans.models import (
    Cofinancing,
    FundContribution,
    Instalment,
    JournalTransaction,
    RepaymentReversal,
)
from tests.factories import OrganisationFactory
from tests.loans.builders import TODAY, advance_at, setup_scope
from tests.loans.test_views import named_advance

D = Decimal
pytestmark = pytest.mark.django_db
YEAR_ONE = dt.date(1, 1, 1)
FAR = dt.date(9999, 12, 31)


def field_of(error) -> str:
    if isinstance(error, ApplicationError):
        return error.field
    return next(iter(error.message_dict))


def test_a_contribution_from_year_one_is_refused(world, fund_a):
    with setup_scope(), pytest.raises((ValidationError, ApplicationError)) as refused:
        services.contribution_record(
            fund=fund_a,
            kind="other",
            organisation=OrganisationFactory(kind="funder"),
            amount=D("1000.00"),
            received_on=YEAR_ONE,
            by=None,
        )
    assert field_of(refused.value) == "received_on"
    with setup_scope():
        assert FundContribution.objects.filter(fund=fund_a).count() == 1  # the builder's


def test_cofinancing_evidence_from_year_one_is_refused(world, fund_a):
    advance = advance_at("disbursed", fund_a)
    with setup_scope(), pytest.raises((ValidationError, ApplicationError)) as refused:
        services.cofinancing_create(
            project=advance.project,
            organisation="Banque",
            kind="bank_loan",
            amount=D("1000.00"),
            evidence_on=YEAR_ONE,
            by=None,
        )
    assert field_of(refused.value) == "evidence_on"
    with setup_scope():
        assert not Cofinancing.objects.exists()


def test_a_reversal_dated_in_the_future_is_refused_and_posts_nothing(world, fund_a):
    advance = advance_at("disbursed", fund_a)
    with setup_scope():
        repayment, _ = services.repayment_record(
            advance=advance, amount=D("100.00"), received_on=TODAY, idempotency_key="r", by=None
        )
        entries = JournalTransaction.objects.count()
        with pytest.raises((ValidationError, ApplicationError)) as refused:
            services.repayment_reverse(
                repayment=repayment,
                reason="Saisie en double sur le relevé",
                reversed_on=FAR,
                by=world.animateur_a,
            )
        assert field_of(refused.value) == "reversed_on"
        assert not RepaymentReversal.objects.exists()
        assert JournalTransaction.objects.count() == entries


def test_a_schedule_starting_in_year_9999_is_refused_on_its_field(world, client):
    advance = named_advance(world.a)
    with setup_scope():
        before = Instalment.objects.filter(advance=advance).count()
    client.force_login(world.animateur_a)
    for first_due_on in ("9999-12-31", "31/12/2099"):
        response = client.post(
            reverse("loans:advance-reschedule", args=[advance.pk]),
            {
                "reschedule-first_due_on": first_due_on,
                "reschedule-instalment_count": "3",
                "reschedule-frequency": "monthly",
                "reschedule-reason": "Difficultés de trésorerie passagères",
            },
        )
        assert response.status_code == 400, first_due_on
        assert list(response.context["forms"]["reschedule"].errors) == ["first_due_on"]
    with setup_scope():
        assert Instalment.objects.filter(advance=advance).count() == before
    advance.refresh_from_db()
    assert advance.schedule_version == 1


def test_a_reason_of_a_hundred_thousand_characters_is_refused(world, fund_a):
    """Reasons are free text, not unbounded: a write-off proposed through the API (whose
    bodies may weigh megabytes) with a 100 000-character reason is refused on its field."""
    advance = advance_at("disbursed", fund_a)
    with setup_scope():
        with pytest.raises(ApplicationError) as refused:
            services.write_off_propose(advance=advance, reason="x" * 100_000, by=None)
        assert refused.value.field == "reason"
        assert not advance.write_offs.exists()
