"""Property-based tests (Hypothesis) against the real database: random sequences of
contributions, disbursements, repayments, reversals, reschedules and write-offs, run
through the services (a refused operation is allowed and must change nothing). After every
operation the books hold:

- debits equal credits, in every journal transaction and overall;
- an advance's outstanding principal = disbursed − repaid − written off, and the ledger
  agrees with the repayments, reversals and write-offs recorded beside it;
- a schedule's live instalments plus what was paid on superseded ones add up to the
  principal, and what is left on them is the outstanding principal;
- no balance is negative (a contribution's cash, its money out in an advance, a fund);
- attribution: the contributions' financed parts add up to the disbursements, and each
  contribution's repaid + lost + outstanding = what it financed.

Each example runs in a savepoint rolled back at its end; the budget is bounded and
derandomised so the suite stays fast and repeatable.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alize.errors import ApplicationError
from loans import ledger, services
from loans.models import (
    Account,
    Advance,
    EntryKind,
    Fund,
    FundContribution,
    Instalment,
    LedgerLine,
    Repayment,
    RepaymentAllocation,
    WriteOff,
)
from partners.models import Organisation
from tests.clock import TODAY
from tests.factories import OrganisationFactory
from tests.loans.builders import approved_decision, setup_scope

D = Decimal
ZERO = D("0.00")
DECISIONS = 5

pytestmark = pytest.mark.django_db

cents = st.integers(min_value=1, max_value=20_000_00).map(lambda c: D(c) / 100)
pick = st.integers(0, DECISIONS - 1)
# ``pick`` chooses among the advances opened so far (or the repayments recorded); a
# repayment is a share of what is left (over 100 %: an overpayment, which is refused).
operation = st.one_of(
    st.tuples(st.just("contribute"), cents, st.sampled_from(["", "", "export"])),
    st.tuples(st.just("open"), st.integers(1, 12)),
    st.tuples(st.just("repay"), pick, st.integers(1, 110)),
    st.tuples(st.just("repay_rest"), pick),
    st.tuples(st.just("reverse"), st.integers(0, 20)),
    st.tuples(st.just("reschedule"), pick, st.integers(1, 12)),
    st.tuples(st.just("write_off"), pick),
)


@pytest.fixture
def decisions(world):
    """Approved decisions of dispositif A with advances between 10 000 and 15 000 €, one
    of them for an export project (earmarked money may finance only that one)."""
    amounts = ["10000.00", "12345.67", "15000.00", "11111.11", "13000.01"]
    kinds = ["development", "export", "development", "investment", "development"]
    return [
        approved_decision(world.a, D(amount), kind)
        for amount, kind in zip(amounts, kinds, strict=True)
    ]


class Books:
    """Runs operations through the services and remembers what it created."""

    def __init__(self, world, decisions, organisation):
        self.world, self.decisions, self.organisation = world, decisions, organisation
        self.fund = services.fund_create(dispositif=world.a, name="Fonds propriétés")
        self.advances: list[Advance] = []
        self.repayments: list[Repayment] = []
        self.keys = 0

    def run(self, op):
        name, *args = op
        try:
            with transaction.atomic():
                getattr(self, name)(*args)
        except (ApplicationError, ValidationError):
            pass  # refused: the savepoint is rolled back, nothing changed

    def contribute(self, amount, earmark):
        services.contribution_record(
            fund=self.fund,
            kind="caisse_des_depots",
            organisation=self.organisation,
            amount=amount,
            received_on=TODAY - dt.timedelta(days=len(self.advances) + 1),
            earmark=earmark,
            by=None,
        )

    def open(self, count):
        decision = self.decisions[len(self.advances) % len(self.decisions)]
        advance = services.advance_create(
            decision=decision, fund=self.fund, instalment_count=count, by=None
        )
        services.advance_contract(advance=advance, contracted_on=TODAY, by=None)
        services.advance_disburse(advance=advance, disbursed_on=TODAY, by=None)
        self.advances.append(advance)

    def _advance(self, index):
        if not self.advances:
            raise ApplicationError("no advance yet in this example")
        return self.advances[index % len(self.advances)]

    def _repay(self, advance, amount):
        self.keys += 1
        repayment, _ = services.repayment_record(
            advance=advance,
            amount=amount,
            received_on=TODAY,
            idempotency_key=f"k{self.keys}",
            by=None,
        )
        self.repayments.append(repayment)

    def repay(self, index, percent):
        advance = self._advance(index)
        left = services.outstanding(advance)
        self._repay(advance, max(D("0.01"), (left * percent / 100).quantize(D("0.01"))))

    def repay_rest(self, index):
        advance = self._advance(index)
        self._repay(advance, services.outstanding(advance))

    def reverse(self, index):
        if not self.repayments:
            raise ApplicationError("no repayment yet in this example")
        services.repayment_reverse(
            repayment=self.repayments[index % len(self.repayments)],
            reason="Erreur de saisie",
            by=None,
        )

    def reschedule(self, index, count):
        services.advance_reschedule(
            advance=self._advance(index),
            instalment_count=count,
            frequency="monthly",
            first_due_on=TODAY + dt.timedelta(days=30),
            reason="Difficultés de trésorerie",
            by=None,
        )

    def write_off(self, index):
        proposal = services.write_off_propose(
            advance=self._advance(index), reason="Liquidation judiciaire", by=self.world.animateur_a
        )
        services.write_off_approve(write_off=proposal, by=self.world.coordinator)


def check_books(fund: Fund) -> None:
    # The figures PostgreSQL keeps on the advances and instalments equal their sums.
    assert ledger.stored_figures_disagreements() == []
    lines = list(LedgerLine.objects.filter(fund=fund))
    # Debits equal credits, per transaction and overall.
    per_transaction = defaultdict(lambda: ZERO)
    for line in lines:
        per_transaction[line.transaction_id] += line.debit - line.credit
    assert all(value == 0 for value in per_transaction.values())
    assert sum(line.debit for line in lines) == sum(line.credit for line in lines)

    # No balance negative: cash by contribution, money out by contribution and advance.
    cash, out = defaultdict(lambda: ZERO), defaultdict(lambda: ZERO)
    for line in lines:
        if line.account == Account.CASH:
            cash[line.contribution_id] += line.debit - line.credit
        elif line.account == Account.LOANS:
            out[(line.contribution_id, line.advance_id)] += line.debit - line.credit
    assert min(cash.values(), default=ZERO) >= 0
    assert min(out.values(), default=ZERO) >= 0
    assert all(value >= 0 for value in ledger.fund_balances([fund.pk])[fund.pk].as_dict().values())

    # Advances: the ledger agrees with what was recorded beside it.
    advances = list(Advance.objects.filter(fund=fund))
    balances = ledger.advance_balances([a.pk for a in advances])
    disbursed_total = ZERO
    for advance in advances:
        balance = balances[advance.pk]
        disbursed = advance.amount if advance.disbursed_on else ZERO
        disbursed_total += disbursed
        repaid = (
            Repayment.objects.filter(advance=advance, reversal__isnull=True).aggregate(
                total=Sum("amount")
            )["total"]
            or ZERO
        )
        lost = (
            WriteOff.objects.filter(advance=advance, status="approved").aggregate(
                total=Sum("amount")
            )["total"]
            or ZERO
        )
        assert (balance.lent, balance.repaid, balance.lost) == (disbursed, repaid, lost)
        assert balance.outstanding == disbursed - repaid - lost
        allocated = (
            RepaymentAllocation.objects.filter(
                repayment__advance=advance, repayment__reversal__isnull=True
            ).aggregate(total=Sum("amount"))["total"]
            or ZERO
        )
        assert allocated == repaid
        if not advance.disbursed_on:
            continue
        # The schedule adds up to the principal; what is left on it is outstanding.
        instalments = list(Instalment.objects.filter(advance=advance))
        live = [i for i in instalments if i.superseded_at is None]
        superseded_paid = sum((i.paid for i in instalments if i.superseded_at), ZERO)
        assert sum(i.amount for i in live) + superseded_paid == advance.amount
        assert all(i.paid <= i.amount for i in instalments)
        if not lost:
            assert sum(i.amount - i.paid for i in live) == balance.outstanding

    # Attribution: financed parts add up to the disbursements; each contribution's
    # repaid + lost + outstanding = financed.
    contributions = ledger.contribution_balances(
        FundContribution.objects.filter(fund=fund).values_list("pk", flat=True)
    )
    assert sum((c.lent for c in contributions.values()), ZERO) == disbursed_total
    for contribution in contributions.values():
        assert (
            contribution.repaid + contribution.lost + contribution.outstanding == contribution.lent
        )
        # Cash = money put in − lent + repaid: a loss never comes back as cash.
        assert contribution.available + contribution.lent - contribution.repaid == (
            contribution.contributed
        )
    assert not LedgerLine.objects.filter(fund=fund, kind=EntryKind.REVERSAL, debit__lt=0).exists()


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=16))
def test_books_hold_after_any_sequence(world, decisions, operations):
    with setup_scope():
        organisation = Organisation.objects.first() or OrganisationFactory()
        with transaction.atomic():
            books = Books(world, decisions, organisation)
            # Enough money for a few advances, sometimes not for all of them.
            books.contribute(D("30000.00"), "")
            for op in [("open", 12), *operations]:
                books.run(op)
                check_books(books.fund)
            transaction.set_rollback(True)
