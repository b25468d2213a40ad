"""The same idempotency key posted twice at once, on two real database connections: the
first request is paused after writing its ledger entry, before its commit; the second runs
meanwhile and waits on its locks. Exactly one repayment and one ledger transaction exist
afterwards, and both callers get the first result."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from loans import ledger
from loans.models import JournalTransaction, LedgerLine, Repayment
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
