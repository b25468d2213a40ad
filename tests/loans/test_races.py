"""The same idempotency key posted twice at once, on two real database connections: the
first request is paused after its write, before its commit; the second runs meanwhile and
waits on its locks. Exactly one repayment (contribution, co-financing) and one ledger
transaction exist afterwards, and both callers get the first result — or the second a 409
when its payload differs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from alize.tenancy import scope
from loans import ledger
from loans.models import Cofinancing, FundContribution, JournalTransaction, LedgerLine, Repayment
from loans.services import cofinancing as cofinancing_services
from tests.clock import TODAY
from tests.factories import project_at
from tests.loans.builders import advance_at, make_fund
from tests.test_races import client_of, race

pytestmark = pytest.mark.django_db(transaction=True)


def poster(user, advance, key, amount="1500.00"):
    api = client_of(user)
    payload = {
        "advance": advance.pk,
        "amount": amount,
        "received_on": "2026-06-10",
    }
    return lambda: api.post(
        reverse("api:repayment-list"), payload, format="json", HTTP_IDEMPOTENCY_KEY=key
    )


def test_same_key_at_once_records_one_repayment_and_one_entry(world, monkeypatch):
    advance = advance_at("disbursed", make_fund(world.a))
    first, second = race(
        monkeypatch,
        ledger,
        "post",
        poster(world.animateur_a, advance, "virement-42"),
        poster(world.coordinator, advance, "virement-42"),
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json() == second.json()
    assert Repayment.unscoped_objects.count() == 1
    entries = JournalTransaction.unscoped_objects.filter(kind="repayment")
    assert entries.count() == 1
    assert LedgerLine.unscoped_objects.filter(transaction__in=entries).count() == 2


def test_same_key_at_once_for_two_advances_answers_409_to_the_second(world, monkeypatch):
    fund = make_fund(world.a)
    one, two = advance_at("disbursed", fund), advance_at("disbursed", fund)
    first, second = race(
        monkeypatch,
        ledger,
        "post",
        poster(world.animateur_a, one, "cheque-7"),
        poster(world.animateur_a, two, "cheque-7"),
    )
    assert first.status_code == 201
    assert second.status_code == 409, second.content
    assert second.json()["code"] == "idempotency_key_reused"
    assert list(Repayment.unscoped_objects.values_list("advance_id", "amount")) == [
        (one.pk, Decimal("1500.00"))
    ]
    assert JournalTransaction.unscoped_objects.filter(kind="repayment").count() == 1


def contribution_poster(user, fund, key, amount="20000.00"):
    api = client_of(user)
    payload = {
        "kind": "other",
        "organisation": fund.contributions.first().organisation_id,
        "amount": amount,
        "received_on": TODAY.isoformat(),
    }
    url = reverse("api:fund-contributions", args=[fund.pk])
    return lambda: api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_contribution_key_at_once_records_one_contribution(world, monkeypatch):
    fund = make_fund(world.a)
    with scope([world.a]):
        poster_one = contribution_poster(world.animateur_a, fund, "apport-9")
        poster_two = contribution_poster(world.coordinator, fund, "apport-9")
    first, second = race(monkeypatch, ledger, "post", poster_one, poster_two)
    assert (first.status_code, second.status_code) == (201, 201), second.content
    assert first.json() == second.json()
    assert FundContribution.unscoped_objects.filter(submission_key="apport-9").count() == 1
    assert JournalTransaction.unscoped_objects.filter(kind="contribution").count() == 2


def cofinancing_poster(user, project, key, kind):
    api = client_of(user)
    payload = {
        "project": project.pk,
        "organisation": "Bpifrance",
        "kind": kind,
        "amount": "15000.00",
        "evidence_on": TODAY.isoformat(),
    }
    url = reverse("api:cofinancing-list")
    return lambda: api.post(url, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_same_cofinancing_key_at_once_with_another_payload_answers_409(world, monkeypatch):
    project = project_at("approved", dispositif=world.a)
    first, second = race(
        monkeypatch,
        cofinancing_services,
        "validate_and_save",
        cofinancing_poster(world.animateur_a, project, "cofi-1", "grant"),
        cofinancing_poster(world.animateur_a, project, "cofi-1", "equity"),
    )
    assert first.status_code == 201, first.content
    assert second.status_code == 409, second.content
    assert second.json()["code"] == "idempotency_key_reused"
    assert second.json()["extra"]["cofinancing"] == first.json()["id"]
    assert list(Cofinancing.unscoped_objects.values_list("kind", flat=True)) == ["grant"]
