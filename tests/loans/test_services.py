"""The loans services: the lifecycle and its refusals, the schedule to the cent, repayments
(idempotency, allocation, overpayment, reversal), reschedules, maker-checker write-offs,
attribution to contributions, utilisation and leverage."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from alize.errors import ApplicationError, ConflictError
from loans import ledger, selectors, services
from loans.models import (
    Account,
    AdvanceStatus,
    AdvanceTransition,
    Instalment,
    JournalTransaction,
    LedgerLine,
    Repayment,
    RepaymentAllocation,
)
from tests.loans.builders import (
    LONG_AGO,
    TODAY,
    advance_at,
    approved_decision,
    contribute,
    make_fund,
    setup_scope,
)

D = Decimal
pytestmark = pytest.mark.django_db


def lines_balanced():
    with setup_scope():
        debits = sum((line.debit for line in LedgerLine.objects.all()), D(0))
        credits = sum((line.credit for line in LedgerLine.objects.all()), D(0))
    return debits == credits


# -- Pure helpers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("principal", "count", "expected"),
    [
        ("10000.00", 3, ["3333.33", "3333.33", "3333.34"]),
        ("12000.00", 12, ["1000.00"] * 12),
        ("10000.01", 2, ["5000.00", "5000.01"]),
        ("15000.00", 7, ["2142.85"] * 6 + ["2142.90"]),
        ("0.05", 1, ["0.05"]),
    ],
)
def test_schedule_adds_up_to_the_principal_with_the_remainder_last(principal, count, expected):
    amounts = services.split_schedule(D(principal), count)
    assert amounts == [D(value) for value in expected]
    assert sum(amounts) == D(principal)


def test_months_are_added_with_the_day_clamped():
    assert services.add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert services.add_months(dt.date(2026, 11, 30), 3) == dt.date(2027, 2, 28)
    assert services.add_months(dt.date(2026, 3, 15), -3) == dt.date(2025, 12, 15)


def test_proportional_split_is_exact_and_its_remainder_predictable():
    thirds = {1: D("100.00"), 2: D("100.00"), 3: D("100.00")}
    shares = ledger.split_proportionally(D("100.00"), thirds)
    # 33.33 each, and the cent left over goes to the first (ties: FIFO order).
    assert shares == {1: D("33.34"), 2: D("33.33"), 3: D("33.33")}
    shares = ledger.split_proportionally(D("0.02"), {1: D("0.01"), 2: D("0.01"), 3: D("0.01")})
    assert shares == {1: D("0.01"), 2: D("0.01"), 3: D("0")}
    shares = ledger.split_proportionally(D("10.00"), {1: D("2.50"), 2: D("7.50")})
    assert shares == {1: D("2.50"), 2: D("7.50")}
    with pytest.raises(ValueError):
        ledger.split_proportionally(D("10.01"), {1: D("2.50"), 2: D("7.50")})


# -- Lifecycle -----------------------------------------------------------------------------


def test_lifecycle_approved_to_repaid_records_every_move(world, fund_a):
    by = world.animateur_a
    advance = advance_at("approved", fund_a, by=by, instalment_count=3)
    assert advance.status == AdvanceStatus.APPROVED
    with setup_scope():
        services.advance_contract(advance=advance, contracted_on=TODAY, by=by)
        services.advance_disburse(advance=advance, disbursed_on=TODAY, by=by)
        assert advance.status == AdvanceStatus.DISBURSED
        services.repayment_record(
            advance=advance, amount=D("4000.00"), received_on=TODAY, idempotency_key="k1", by=by
        )
        assert advance.status == AdvanceStatus.REPAYING
        services.repayment_record(
            advance=advance, amount=D("8000.00"), received_on=TODAY, idempotency_key="k2", by=by
        )
        assert advance.status == AdvanceStatus.REPAID
        moves = list(
            AdvanceTransition.objects.filter(advance=advance).values_list(
                "from_status", "to_status", "by"
            )
        )
        assert selectors.advance_balances(advance).outstanding == 0
    assert moves == [
        ("", "approved", by.pk),
        ("approved", "contracted", by.pk),
        ("contracted", "disbursed", by.pk),
        ("disbursed", "repaying", by.pk),
        ("repaying", "repaid", by.pk),
    ]


def test_illegal_moves_are_refused_with_a_clear_error(world, fund_a):
    advance = advance_at("approved", fund_a)
    with setup_scope():
        with pytest.raises(ApplicationError) as refused:
            services.advance_disburse(advance=advance, disbursed_on=TODAY, by=None)
        assert refused.value.code == "illegal_transition"
        assert "Accordée" in refused.value.message and "Décaissée" in refused.value.message
        with pytest.raises(ApplicationError):
            services.repayment_record(
                advance=advance, amount=D("1"), received_on=TODAY, idempotency_key="x", by=None
            )
        services.advance_contract(advance=advance, contracted_on=TODAY, by=None)
        with pytest.raises(ApplicationError):
            services.advance_contract(advance=advance, contracted_on=TODAY, by=None)
        with pytest.raises(ApplicationError):
            services.write_off_propose(advance=advance, reason="Liquidation judiciaire", by=None)
        assert not JournalTransaction.objects.filter(advance=advance).exists()


def test_one_advance_per_decision_and_only_for_an_approved_advance(world, fund_a, fund_b):
    decision = approved_decision(world.a)
    with setup_scope():
        with pytest.raises(ApplicationError) as other_fund:
            services.advance_create(decision=decision, fund=fund_b, instalment_count=12, by=None)
        assert other_fund.value.field == "fund"
        services.advance_create(decision=decision, fund=fund_a, instalment_count=12, by=None)
        with pytest.raises(ApplicationError) as twice:
            services.advance_create(decision=decision, fund=fund_a, instalment_count=12, by=None)
        assert twice.value.field == "decision"


@pytest.mark.parametrize("amount", ["9999.99", "15000.01"])
def test_bounds_are_refused_by_the_service(world, fund_a, amount):
    decision = approved_decision(world.a, D("15000.00"))
    with setup_scope(), pytest.raises(ApplicationError) as refused:
        services.advance_create(
            decision=decision, fund=fund_a, instalment_count=12, by=None, amount=D(amount)
        )
    assert refused.value.field == "amount" and refused.value.code == "out_of_bounds"
    assert (
        "10\xa0000,00\xa0€" in refused.value.message
        and "15\xa0000,00\xa0€" in refused.value.message
    )


@pytest.mark.parametrize("amount", ["10000.00", "15000.00"])
def test_bounds_themselves_are_accepted(world, fund_a, amount):
    decision = approved_decision(world.a, D("15000.00"))
    with setup_scope():
        advance = services.advance_create(
            decision=decision, fund=fund_a, instalment_count=12, by=None, amount=D(amount)
        )
    assert advance.amount == D(amount)


def test_amount_above_the_decision_is_refused(world, fund_a):
    decision = approved_decision(world.a, D("11000.00"))
    with setup_scope(), pytest.raises(ApplicationError) as refused:
        services.advance_create(
            decision=decision, fund=fund_a, instalment_count=12, by=None, amount=D("12000")
        )
    assert refused.value.field == "amount"


def test_terms_change_until_disbursement_only(world, fund_a):
    advance = advance_at("contracted", fund_a)
    with setup_scope():
        services.advance_update_terms(advance=advance, instalment_count=24, grace_months=6)
        assert (advance.instalment_count, advance.grace_months) == (24, 6)
        with pytest.raises(ApplicationError):
            services.advance_update_terms(advance=advance, amount=D("9999.99"))
        services.advance_disburse(advance=advance, disbursed_on=TODAY, by=None)
        with pytest.raises(ApplicationError):
            services.advance_update_terms(advance=advance, instalment_count=12)


# -- Disbursement and attribution ----------------------------------------------------------


def test_disbursement_refused_when_the_fund_is_too_low(world):
    fund = make_fund(world.a, contributions=(D("11999.99"),))
    advance = advance_at("contracted", fund)
    with setup_scope():
        with pytest.raises(ApplicationError) as refused:
            services.advance_disburse(advance=advance, disbursed_on=TODAY, by=None)
        assert refused.value.code == "insufficient_funds"
        assert "11\xa0999,99\xa0€" in refused.value.message
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.CONTRACTED
        assert not Instalment.objects.filter(advance=advance).exists()
        contribute(fund, "0.01")
        services.advance_disburse(advance=advance, disbursed_on=TODAY, by=None)
        assert selectors.fund_balances(fund).available == 0


def test_disbursement_is_attributed_first_in_first_out(world):
    fund = make_fund(world.a, contributions=(D("5000.00"), D("20000.00"), D("20000.00")))
    advance = advance_at("disbursed", fund, amount=D("12000.00"))
    with setup_scope():
        rows = selectors.fund_contributions(fund)
        assert [r["lent"] for r in rows] == [D("5000.00"), D("7000.00"), D("0")]
        assert [r["available"] for r in rows] == [D("0"), D("13000.00"), D("20000.00")]
        first = rows[0]["contribution"]
        financed = selectors.contribution_advances(first)
        assert [(r["advance"].pk, r["lent"]) for r in financed] == [(advance.pk, D("5000.00"))]


def test_earmarked_money_goes_first_to_its_kind_of_project_and_never_to_others(world):
    fund = make_fund(world.a, contributions=(D("15000.00"),))
    earmarked = contribute(fund, "8000.00", received_on=TODAY, earmark="export")
    export = advance_at("disbursed", fund, amount=D("10000.00"), project_type="export")
    with setup_scope():
        out = ledger.advance_outstanding_by_contribution(export.pk)
        assert out[earmarked.pk] == D("8000.00")
        assert sum(out.values()) == D("10000.00")
    # 13 000 left in the unearmarked contribution: enough for development, not 15 000.
    development = advance_at("contracted", fund, amount=D("15000.00"))
    with setup_scope(), pytest.raises(ApplicationError):
        services.advance_disburse(advance=development, disbursed_on=TODAY, by=None)


# -- Repayments ------------------------------------------------------------------------------


def test_repayment_is_allocated_to_the_oldest_unpaid_instalment_first(world, fund_a):
    advance = advance_at("disbursed", fund_a, instalment_count=3, amount=D("12000.00"))
    with setup_scope():
        repayment, created = services.repayment_record(
            advance=advance, amount=D("5500.00"), received_on=TODAY, idempotency_key="a", by=None
        )
        assert created
        allocations = list(
            RepaymentAllocation.objects.filter(repayment=repayment)
            .order_by("instalment__due_on")
            .values_list("instalment__number", "amount")
        )
        assert allocations == [(1, D("4000.00")), (2, D("1500.00"))]
        schedule = selectors.advance_schedule(advance)
        assert [i.remaining for i in schedule["live"]] == [D("0"), D("2500.00"), D("4000.00")]
        assert schedule["total"] == D("12000.00")


def test_same_key_records_once_and_returns_the_first_result(world, fund_a):
    advance = advance_at("disbursed", fund_a)
    with setup_scope():
        first, created = services.repayment_record(
            advance=advance, amount=D("1000"), received_on=TODAY, idempotency_key="K", by=None
        )
        again, created_again = services.repayment_record(
            advance=advance, amount=D("1000"), received_on=TODAY, idempotency_key="K", by=None
        )
        assert created and not created_again and again.pk == first.pk
        assert Repayment.objects.filter(advance=advance).count() == 1
        assert JournalTransaction.objects.filter(kind="repayment").count() == 1
        with pytest.raises(ConflictError) as conflict:
            services.repayment_record(
                advance=advance, amount=D("999"), received_on=TODAY, idempotency_key="K", by=None
            )
    assert conflict.value.status_code == 409
    assert conflict.value.code == "idempotency_key_reused"


def test_overpayment_is_refused_with_the_amount_left(world, fund_a):
    advance = advance_at("disbursed", fund_a)
    with setup_scope():
        services.repayment_record(
            advance=advance, amount=D("2000"), received_on=TODAY, idempotency_key="a", by=None
        )
        with pytest.raises(ApplicationError) as refused:
            services.repayment_record(
                advance=advance,
                amount=D("10000.01"),
                received_on=TODAY,
                idempotency_key="b",
                by=None,
            )
    assert refused.value.code == "overpayment" and refused.value.field == "amount"
    assert "10\xa0000,00\xa0€" in refused.value.message


def test_reversal_is_a_counter_entry_and_reopens_a_repaid_advance(world, fund_a):
    advance = advance_at("disbursed", fund_a, instalment_count=2)
    with setup_scope():
        repayment, _ = services.repayment_record(
            advance=advance, amount=D("12000"), received_on=TODAY, idempotency_key="all", by=None
        )
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.REPAID
        services.repayment_reverse(repayment=repayment, reason="Chèque sans provision", by=None)
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.REPAYING
        assert Repayment.objects.filter(pk=repayment.pk).exists()
        balances = selectors.advance_balances(advance)
        assert (balances.repaid, balances.outstanding) == (D("0"), D("12000.00"))
        assert selectors.advance_schedule(advance)["paid"] == 0
        kinds = list(
            JournalTransaction.objects.filter(repayment=repayment).values_list("kind", flat=True)
        )
        assert sorted(kinds) == ["repayment", "reversal"]
        with pytest.raises(ApplicationError):
            services.repayment_reverse(repayment=repayment, reason="Deuxième fois ?", by=None)
        with pytest.raises(ApplicationError) as short:
            services.repayment_reverse(repayment=repayment, reason="court", by=None)
        assert short.value.field == "reason"
    assert lines_balanced()


def test_reversal_refused_once_the_money_is_lent_again(world):
    fund = make_fund(world.a, contributions=(D("12000.00"),))
    first = advance_at("disbursed", fund)
    with setup_scope():
        repayment, _ = services.repayment_record(
            advance=first, amount=D("12000"), received_on=TODAY, idempotency_key="r", by=None
        )
    advance_at("disbursed", fund)
    with setup_scope(), pytest.raises(ApplicationError) as refused:
        services.repayment_reverse(repayment=repayment, reason="Erreur de saisie", by=None)
    assert "prêté à nouveau" in refused.value.message


# -- Reschedule --------------------------------------------------------------------------


def test_reschedule_supersedes_the_unpaid_part_and_keeps_it(world, fund_a):
    start = TODAY - dt.timedelta(days=200)
    advance = advance_at("disbursed", fund_a, instalment_count=4, disbursed_on=start)
    with setup_scope():
        services.repayment_record(
            advance=advance, amount=D("4500"), received_on=TODAY, idempotency_key="p", by=None
        )
        services.advance_reschedule(
            advance=advance,
            instalment_count=5,
            frequency="quarterly",
            first_due_on=TODAY + dt.timedelta(days=30),
            reason="Difficultés de trésorerie passagères",
            by=world.animateur_a,
        )
        assert advance.status == AdvanceStatus.RESCHEDULED
        schedule = selectors.advance_schedule(advance)
        # Instalment 1 was paid and stays; 2 (partly paid), 3 and 4 are superseded, kept.
        assert [(i.schedule_version, i.number) for i in schedule["superseded"]] == [
            (1, 2),
            (1, 3),
            (1, 4),
        ]
        new = [i for i in schedule["live"] if i.schedule_version == 2]
        assert [i.amount for i in new] == [D("1500.00")] * 5
        paid_on_superseded = sum(i.paid for i in schedule["superseded"])
        assert schedule["total"] + paid_on_superseded == advance.amount
        assert schedule["remaining"] == selectors.advance_balances(advance).outstanding


# -- Write-off ---------------------------------------------------------------------------


def test_write_off_needs_a_second_person(world, fund_a):
    advance = advance_at("disbursed", fund_a)
    with setup_scope():
        services.repayment_record(
            advance=advance, amount=D("2000"), received_on=TODAY, idempotency_key="w", by=None
        )
        proposal = services.write_off_propose(
            advance=advance, reason="Liquidation judiciaire prononcée", by=world.animateur_a
        )
        with pytest.raises(ApplicationError) as refused:
            services.write_off_approve(write_off=proposal, by=world.animateur_a)
        assert refused.value.code == "maker_checker"
        assert "ne peut pas l'approuver" in refused.value.message
        assert not JournalTransaction.objects.filter(kind="write_off").exists()
        services.write_off_approve(write_off=proposal, by=world.coordinator)
        advance.refresh_from_db()
        assert advance.status == AdvanceStatus.WRITTEN_OFF
        assert proposal.amount == D("10000.00")
        balances = selectors.advance_balances(advance)
        assert (balances.lost, balances.outstanding, balances.repaid) == (
            D("10000.00"),
            D("0"),
            D("2000.00"),
        )
        assert selectors.fund_balances(fund_a).lost == D("10000.00")


def test_write_off_rejected_posts_nothing(world, fund_a):
    advance = advance_at("disbursed", fund_a)
    with setup_scope():
        proposal = services.write_off_propose(
            advance=advance, reason="Entreprise en redressement", by=world.animateur_a
        )
        with pytest.raises(ApplicationError):
            services.write_off_propose(advance=advance, reason="Une seconde fois", by=None)
        services.write_off_reject(write_off=proposal, by=world.coordinator)
        assert advance.status == AdvanceStatus.DISBURSED
        assert not JournalTransaction.objects.filter(kind="write_off").exists()


# -- Balances, attribution, utilisation, leverage -----------------------------------------------


def test_fund_balances_are_sums_of_the_ledger(world):
    fund = make_fund(world.a, contributions=(D("30000.00"), D("10000.00")))
    one = advance_at("disbursed", fund, amount=D("12000.00"))
    two = advance_at("disbursed", fund, amount=D("15000.00"))
    with setup_scope():
        services.repayment_record(
            advance=one, amount=D("3000"), received_on=TODAY, idempotency_key="1", by=None
        )
        proposal = services.write_off_propose(
            advance=two, reason="Liquidation judiciaire", by=world.animateur_a
        )
        services.write_off_approve(write_off=proposal, by=world.coordinator)
        balances = selectors.fund_balances(fund)
        rows = selectors.fund_contributions(fund)
    assert balances.as_dict() == {
        "contributed": D("40000.00"),
        "available": D("16000.00"),
        "lent": D("27000.00"),
        "repaid": D("3000.00"),
        "lost": D("15000.00"),
        "outstanding": D("9000.00"),
        "provision": D("0.00"),
    }
    for row in rows:
        assert row["repaid"] + row["lost"] + row["outstanding"] == row["lent"]
        assert row["available"] + row["lent"] - row["repaid"] == row["contributed"]
    assert lines_balanced()


def test_utilisation_per_month(world):
    fund = make_fund(world.a, contributions=(D("24000.00"),))
    advance_at("disbursed", fund, amount=D("12000.00"))
    with setup_scope():
        months = selectors.fund_utilisation(fund, until=TODAY, months=2)
    assert months[-1]["ratio"] == D("0.5000")
    assert months[-1]["outstanding"] == D("12000.00")
    assert months[-1]["available"] == D("12000.00")
    assert months[0]["month"] < months[-1]["month"]


def test_leverage_per_project_and_dispositif(world, fund_a):
    advance = advance_at("disbursed", fund_a, amount=D("12000.00"))
    advance_at("approved", fund_a)
    with setup_scope():
        services.cofinancing_create(
            project=advance.project,
            organisation="Crédit Agricole Nord de France",
            kind="bank_loan",
            amount=D("30000"),
            evidence_on=TODAY,
            by=None,
        )
        from loans.models import Advance, Cofinancing

        project = selectors.leverage(
            Advance.objects.filter(project=advance.project),
            Cofinancing.objects.filter(project=advance.project),
        )
        network = selectors.leverage_by_dispositif(world.coordinator)
    assert project == {"advances": D("12000.00"), "cofinancing": D("30000.00"), "ratio": D("2.50")}
    assert network[-1]["ratio"] == D("2.50")


def test_cofinancing_validates_its_fields(world, fund_a):
    advance = advance_at("approved", fund_a)
    with setup_scope(), pytest.raises(ValidationError) as refused:
        services.cofinancing_create(
            project=advance.project,
            organisation="BPI",
            kind="loan",
            amount=D("-1"),
            evidence_on=TODAY,
            by=None,
        )
    assert {"kind", "amount"} <= set(refused.value.message_dict)


def test_contribution_needs_its_agreement_for_revitalisation(world):
    fund = make_fund(world.a, contributions=())
    with setup_scope():
        with pytest.raises(ValidationError):
            contribute(fund, "1000", kind="revitalisation")
        assert not LedgerLine.objects.filter(fund=fund).exists()
        contribution = contribute(fund, "1000", received_on=LONG_AGO)
        assert ledger.cash_by_contribution([contribution.pk]) == {contribution.pk: D("1000.00")}
        assert LedgerLine.objects.filter(fund=fund, account=Account.CAPITAL).count() == 1
