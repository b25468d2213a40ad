"""Figures PostgreSQL keeps as rows are written (migration loans 0014): each advance's
outstanding principal and provision, each instalment's paid part. They must equal the
ledger's and the allocations' sums after every kind of write, whatever path wrote it, and
nothing may change the rows they follow behind them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, transaction

from loans import ledger, services
from loans.models import Advance, Instalment, RepaymentAllocation, RepaymentReversal
from tests.loans.builders import advance_at, make_fund, setup_scope
from tests.loans.test_provisions import JOB_DAY, arrears, repay, run_job  # noqa: F401

D = Decimal
pytestmark = pytest.mark.django_db


def kept(advance) -> tuple[D, D]:
    with setup_scope():
        row = Advance.objects.values_list("outstanding", "provision").get(pk=advance.pk)
    return row


def paid(advance) -> list[D]:
    with setup_scope():
        return list(
            Instalment.objects.filter(advance=advance, superseded_at__isnull=True)
            .order_by("due_on")
            .values_list("paid", flat=True)
        )


def agree() -> list:
    with setup_scope():
        return ledger.stored_figures_disagreements()


def test_a_disbursement_and_repayments_are_kept_on_the_advance_and_its_instalments(world):
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    assert kept(advance) == (D("12000.00"), D("0.00"))
    repay(advance, "1500.00", "kept-1", on=dt.date(2026, 3, 1))
    assert kept(advance) == (D("10500.00"), D("0.00"))
    # 1 000 € per month: the first instalment paid, the second half paid.
    assert paid(advance)[:3] == [D("1000.00"), D("500.00"), D("0.00")]
    assert agree() == []


def test_a_reversal_takes_the_payment_off_the_advance_and_its_instalments(world):
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    repay(advance, "1000.00", "kept-2a", on=dt.date(2026, 2, 5))
    repay(advance, "700.00", "kept-2b", on=dt.date(2026, 3, 5))
    with setup_scope():
        second = advance.repayments.get(idempotency_key="kept-2b")
        services.repayment_reverse(repayment=second, reason="Rejet bancaire AM04", by=None)
    assert kept(advance) == (D("11000.00"), D("0.00"))
    assert paid(advance)[:2] == [D("1000.00"), D("0.00")]
    assert agree() == []


def test_provisions_and_a_write_off_are_kept(world, arrears):  # noqa: F811
    fund, advances = arrears
    run_job(world)
    assert kept(advances["late_35"]) == (D("12345.67"), D("1234.57"))
    assert kept(advances["late_95"]) == (D("10000.05"), D("5000.03"))
    assert kept(advances["late_200"]) == (D("12500.00"), D("12500.00"))
    with setup_scope():
        proposal = services.write_off_propose(
            advance=advances["late_95"], reason="Liquidation judiciaire", by=world.animateur_a
        )
        services.write_off_approve(write_off=proposal, by=world.coordinator, on=JOB_DAY)
    assert kept(advances["late_95"]) == (D("0.00"), D("0.00"))
    assert agree() == []


def test_a_reschedule_keeps_what_was_paid_on_the_superseded_instalments(world):
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    repay(advance, "1250.00", "kept-3", on=dt.date(2026, 2, 5))
    with setup_scope():
        services.advance_reschedule(
            advance=Advance.objects.get(pk=advance.pk),
            instalment_count=6,
            frequency="monthly",
            first_due_on=dt.date(2026, 9, 5),
            reason="Difficultés de trésorerie passagères",
            by=None,
        )
        superseded = Instalment.objects.filter(advance=advance, superseded_at__isnull=False)
        assert sum(i.paid for i in superseded) == D("250.00")
    # The instalment paid in full stays on the schedule; the new ones start unpaid.
    assert paid(advance) == [D("1000.00")] + [D("0.00")] * 6
    assert kept(advance) == (D("10750.00"), D("0.00"))
    assert agree() == []


def test_saving_an_instance_read_before_a_payment_does_not_put_back_its_figures(world):
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    with setup_scope():
        stale = Advance.objects.get(pk=advance.pk)
        instalment = Instalment.objects.filter(advance=advance).order_by("due_on").first()
    repay(advance, "400.00", "kept-4", on=dt.date(2026, 2, 5))
    with setup_scope():
        stale.days_past_due = 3
        stale.save()
        instalment.days_past_due = 3
        instalment.save()
    assert kept(advance) == (D("11600.00"), D("0.00"))
    assert paid(advance)[0] == D("400.00")
    assert agree() == []


@pytest.mark.parametrize("model", [RepaymentAllocation, RepaymentReversal])
def test_allocations_and_reversals_are_written_once(world, model):
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    repay(advance, "400.00", "kept-5", on=dt.date(2026, 2, 5))
    with setup_scope():
        repayment = advance.repayments.get()
        services.repayment_reverse(repayment=repayment, reason="Erreur de saisie", by=None)
        rows = model.objects.filter(pk__in=model.objects.values("pk"))
        for change in (
            lambda: (
                rows.update(amount=D("1.00"))
                if model is RepaymentAllocation
                else rows.update(reason="autre")
            ),
            rows.delete,
        ):
            with pytest.raises(DatabaseError, match="written once"), transaction.atomic():
                change()
    assert agree() == []


def test_a_disagreement_is_reported(world):
    """The check itself: a figure changed behind the triggers is found."""
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    with setup_scope():
        Advance.objects.filter(pk=advance.pk).update(outstanding=D("1.00"))
        assert ledger.stored_figures_disagreements() == [
            ("advance", advance.pk, D("1.00"), D("0.00"), D("12000.00"), D("0.00"))
        ]


def unpaid_since(advance):
    with setup_scope():
        return Advance.objects.values_list("unpaid_since", flat=True).get(pk=advance.pk)


def test_the_oldest_unpaid_due_date_follows_payments_reversals_and_reschedules(world):
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    with setup_scope():
        dues = list(
            Instalment.objects.filter(advance=advance)
            .order_by("due_on")
            .values_list("due_on", flat=True)
        )
    assert unpaid_since(advance) == dues[0]
    repay(advance, "1000.00", "since-1", on=dt.date(2026, 2, 5))  # the first, in full
    assert unpaid_since(advance) == dues[1]
    repay(advance, "1999.99", "since-2", on=dt.date(2026, 3, 5))  # the second, the third bar 1 ct
    assert unpaid_since(advance) == dues[2]
    with setup_scope():
        services.repayment_reverse(
            repayment=advance.repayments.get(idempotency_key="since-2"),
            reason="Rejet bancaire AM04",
            by=None,
        )
    assert unpaid_since(advance) == dues[1]
    with setup_scope():
        services.advance_reschedule(
            advance=Advance.objects.get(pk=advance.pk),
            instalment_count=4,
            frequency="monthly",
            first_due_on=dt.date(2026, 9, 5),
            reason="Difficultés de trésorerie passagères",
            by=None,
        )
    assert unpaid_since(advance) == dt.date(2026, 9, 5)
    repay(advance, "11000.00", "since-3", on=dt.date(2026, 6, 1))  # everything left, early
    assert kept(advance) == (D("0.00"), D("0.00"))
    assert unpaid_since(advance) is None
    assert agree() == []


def test_an_unpaid_since_changed_behind_the_trigger_is_reported(world):
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    first = unpaid_since(advance)
    with setup_scope():
        Advance.objects.filter(pk=advance.pk).update(unpaid_since=dt.date(2030, 1, 1))
        assert ledger.stored_figures_disagreements() == [
            ("unpaid_since", advance.pk, dt.date(2030, 1, 1), None, first, None)
        ]


def test_an_instalment_deleted_behind_the_services_is_followed(world):
    """Instalments are never deleted by the platform; should one be (by hand), its
    advance's oldest unpaid due date still follows."""
    fund = make_fund(world.a)
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    with setup_scope():
        first, second = Instalment.objects.filter(advance=advance).order_by("due_on")[:2]
        assert unpaid_since(advance) == first.due_on
        Instalment.objects.filter(pk=first.pk).delete()
    assert unpaid_since(advance) == second.due_on
    assert agree() == []
