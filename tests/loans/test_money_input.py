"""Amounts typed in the loans forms are read exactly or refused, never guessed: grouping
spaces, the euro sign and the language's decimal mark are accepted; exponents, underscores,
a third decimal, zero and negative amounts are refused with a message on the field, and a
refused amount records nothing. A repayment form sent again with another amount (the back
button) is refused in the user's words and offers a fresh form; a contribution form sent
twice records one contribution, and so does a co-financing form."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from loans.forms import ContributionForm, RepaymentForm, money_field
from loans.models import Cofinancing, FundContribution, LedgerLine, Repayment
from tests.loans.builders import TODAY
from tests.loans.test_views import fund_of, named_advance, page_text

D = Decimal


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("12 500,50", D("12500.50")),
        ("12\u202f500,50\u00a0€", D("12500.50")),
        ("12500.5", D("12500.50")),
        ("12500", D("12500")),
    ],
)
def test_french_amounts_are_read_exactly(typed, expected):
    with translation.override("fr"):
        assert money_field("Montant").clean(typed) == expected


@pytest.mark.parametrize(
    "typed", ["1e4", "1E2", "1_000", "12 500,505", "0,001", "-5", "0", "12.500", "NaN", "0x10"]
)
def test_amounts_that_are_not_plain_euros_and_cents_are_refused(typed):
    with translation.override("fr"):
        form = RepaymentForm(
            {"received_on": TODAY.isoformat(), "amount": typed, "idempotency_key": "k"}
        )
        assert not form.is_valid()
        assert list(form.errors) == ["amount"]
        message = form.errors["amount"][0]
        assert "0.01" not in message  # the French message writes amounts the French way


def test_refused_amounts_record_nothing_through_the_web(world, client):
    advance = named_advance(world.a)
    fund = fund_of(world.a)
    client.force_login(world.animateur_a)
    before = (FundContribution.unscoped_objects.count(), LedgerLine.unscoped_objects.count())
    for typed in ("1e4", "12 500,505", "-5"):
        response = client.post(
            reverse("loans:repayment-record", args=[advance.pk]),
            {
                "repayment-received_on": TODAY.isoformat(),
                "repayment-amount": typed,
                "repayment-idempotency_key": f"web-{typed}",
            },
        )
        assert response.status_code == 400
        assert list(response.context["forms"]["repayment"].errors) == ["amount"]
        response = client.post(
            reverse("loans:fund-contribution", args=[fund.pk]),
            {
                "kind": "other",
                "organisation": fund_contributor(fund),
                "amount": typed,
                "received_on": TODAY.isoformat(),
                "submission_key": f"web-{typed}",
            },
        )
        assert response.status_code == 400
        assert list(response.context["contribution_form"].errors) == ["amount"]
    assert not Repayment.unscoped_objects.filter(advance=advance).exists()
    after = (FundContribution.unscoped_objects.count(), LedgerLine.unscoped_objects.count())
    assert after == before


def fund_contributor(fund) -> int:
    return FundContribution.unscoped_objects.filter(fund=fund).first().organisation_id


def test_a_form_sent_again_with_another_amount_is_refused_and_a_fresh_form_offered(world, client):
    advance = named_advance(world.a)
    client.force_login(world.animateur_a)
    url = reverse("loans:repayment-record", args=[advance.pk])
    data = {
        "repayment-received_on": TODAY.isoformat(),
        "repayment-amount": "500,00",
        "repayment-idempotency_key": "web-back-button",
    }
    assert client.post(url, data).status_code == 302
    # Back button, another amount, same hidden key: nothing more is recorded, the page
    # says so in the user's words (the date as a French date) and the form re-shown
    # carries a new key, so the corrected amount can be sent deliberately.
    response = client.post(url, {**data, "repayment-amount": "600,00"})
    assert response.status_code == 400
    text = page_text(response)
    assert "clé" not in text.lower()
    assert "500,00\u00a0€" in text and "10/06/2026" in text
    form = response.context["forms"]["repayment"]
    fresh = form["idempotency_key"].value()
    assert fresh != "web-back-button" and fresh.startswith("web-")
    assert form["amount"].value() == "600,00"
    recorded = Repayment.unscoped_objects.filter(advance=advance)
    assert list(recorded.values_list("amount", flat=True)) == [D("500.00")]
    # Sent again from that fresh form, it is a second repayment, recorded once.
    again = {**data, "repayment-amount": "600,00", "repayment-idempotency_key": fresh}
    assert client.post(url, again).status_code == 302
    assert client.post(url, again).status_code == 302
    amounts = Repayment.unscoped_objects.filter(advance=advance).values_list("amount", flat=True)
    assert sorted(amounts) == [D("500.00"), D("600.00")]


def test_a_contribution_form_sent_twice_records_one_contribution(world, client):
    fund = fund_of(world.a)
    client.force_login(world.animateur_a)
    page = client.get(reverse("loans:fund-detail", args=[fund.pk]))
    key = page.context["contribution_form"].initial["submission_key"]
    assert key.startswith("web-") and f'value="{key}"' in page.content.decode()
    before = (FundContribution.unscoped_objects.count(), LedgerLine.unscoped_objects.count())
    data = {
        "kind": "other",
        "organisation": fund_contributor(fund),
        "amount": "25 000,00",
        "received_on": TODAY.isoformat(),
        "submission_key": key,
    }
    url = reverse("loans:fund-contribution", args=[fund.pk])
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert "déjà enregistré" in again.content.decode()
    after = (FundContribution.unscoped_objects.count(), LedgerLine.unscoped_objects.count())
    assert after == (before[0] + 1, before[1] + 2)
    # A fresh form (a new key) is another contribution.
    fresh = client.get(reverse("loans:fund-detail", args=[fund.pk]))
    other = fresh.context["contribution_form"].initial["submission_key"]
    assert other != key
    assert client.post(url, {**data, "submission_key": other}).status_code == 302
    assert FundContribution.unscoped_objects.count() == before[0] + 2


def test_the_earmark_choice_says_none_rather_than_choose():
    """« Réservé aux projets de type » is optional: its empty choice means no earmark."""
    with translation.override("fr"):
        choices = list(ContributionForm().fields["earmark"].choices)
        assert choices[0] == ("", "Aucune réservation")


def test_a_cofinancing_form_sent_twice_records_one_cofinancing(world, client):
    advance = named_advance(world.a, amount=D("12000.00"))
    client.force_login(world.animateur_a)
    url = reverse("loans:cofinancing", args=[advance.project_id])
    key = client.get(url).context["form"].initial["submission_key"]
    assert key.startswith("web-")
    data = {
        "organisation": "Crédit Agricole Nord de France",
        "kind": "bank_loan",
        "amount": "30 000,00",
        "evidence_on": TODAY.isoformat(),
        "submission_key": key,
    }
    assert client.post(url, data).status_code == 302
    again = client.post(url, data, follow=True)
    assert "déjà enregistré" in again.content.decode()
    assert again.context["leverage"]["ratio"] == D("2.50")  # not 5.00
    assert Cofinancing.unscoped_objects.filter(project=advance.project).count() == 1
