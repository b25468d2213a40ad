"""Property-based test (Hypothesis) of bank statements against the real database: random
sequences of statements (new payments, sometimes repeating earlier ones: overlaps),
imports of an earlier statement again, and returned debits, each followed by confirming
every proposal. After every step:

- the ledger balances (debits = credits, overall and per journal transaction);
- each bank transaction is recorded at most once: one live line per transaction id, one
  repayment per ``bank:<fund>:<id>`` key, and every recorded line's repayment is its own;
- the fund's cash moved by exactly the recorded credits less the reversed ones.

Each example runs in a savepoint rolled back at its end; the budget is small and
derandomised (about 25 examples) so the test stays under half a minute."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alize.errors import ApplicationError
from loans import bank_files, ledger, services
from loans.models import BankStatementLine, LineState, Repayment, RepaymentReversal
from tests.loans.builders import setup_scope
from tests.loans.statements_builders import (
    BOOKED_ON,
    FUND_IBAN,
    cash_of,
    ledger_balances,
    named_advance,
    statement_fund,
)

D = Decimal
ADVANCES = 3
pytestmark = pytest.mark.django_db

payment = st.tuples(
    st.integers(0, ADVANCES - 1),  # which advance
    st.integers(1, 1500_00).map(lambda cents: D(cents) / 100),  # amount
    st.sampled_from(["reference", "end_to_end", "name"]),  # how it is found
)
operation = st.one_of(
    st.tuples(st.just("statement"), st.lists(payment, min_size=1, max_size=4), st.booleans()),
    st.tuples(st.just("again"), st.integers(0, 10)),
    st.tuples(st.just("give_back"), st.integers(0, 30), st.sampled_from(["AM04", "MD06", ""])),
)


@pytest.fixture
def setting(world, fund_a):
    fund = statement_fund(fund_a)
    advances = [
        named_advance(fund, name)
        for name in ("Aciéries du Hainaut", "Biscuiterie Drômoise", "Câblerie Savoyarde")
    ]
    return fund, advances


class Bank:
    """Writes statements of the fund's account and sends them through the services."""

    def __init__(self, world, fund, advances):
        self.user, self.fund, self.advances = world.animateur_a, fund, advances
        self.sent: list[bytes] = []
        self.paid: list[bank_files.CamtEntry] = []
        self.number = 0
        self.day = BOOKED_ON

    def _next(self, prefix):
        self.number += 1
        return f"{prefix}-{self.number:05d}"

    def send(self, entries):
        content = bank_files.camt053_document(account_iban=FUND_IBAN, entries=entries)
        self.sent.append(content)
        self.load(content)

    def load(self, content):
        statement, _created = services.statement_import(
            fund=self.fund, content=content, source_format="camt053", by=self.user
        )
        for line in statement.lines.filter(state=LineState.SUGGESTED).order_by(
            "direction", "position"
        ):
            # A refusal (an overpayment…) leaves the line proposed and changes nothing.
            with contextlib.suppress(ApplicationError, ValidationError):
                services.statement_line_confirm(line=line, by=self.user)

    def statement(self, payments, overlap):
        self.day = min(self.day + dt.timedelta(days=1), BOOKED_ON + dt.timedelta(days=12))
        entries = [self.paid[-1]] if overlap and self.paid else []
        for index, amount, how in payments:
            advance = self.advances[index]
            e2e = self._next("E2E")
            entry = bank_files.CamtEntry(
                self.day,
                amount,
                reference=self._next("TX"),
                end_to_end_id=e2e,
                name=advance.project.company.name.upper() if how == "name" else "PAYEUR",
                text=advance.reference if how != "name" else "VIREMENT",
            )
            entries.append(entry)
            self.paid.append(entry)
        self.send(entries)

    def again(self, index):
        if self.sent:
            self.load(self.sent[index % len(self.sent)])

    def give_back(self, index, reason):
        if not self.paid:
            return
        paid = self.paid[index % len(self.paid)]
        self.send(
            [
                bank_files.CamtEntry(
                    self.day,
                    -paid.amount,
                    direction="DBIT",
                    reference=self._next("RT"),
                    end_to_end_id=paid.end_to_end_id,
                    return_reason=reason,
                    reversal=not reason,
                )
            ]
        )


def check(fund, cash_at_start):
    assert ledger_balances()
    # Returns reverse payments: what PostgreSQL keeps paid per instalment follows them.
    assert ledger.stored_figures_disagreements() == []
    lines = BankStatementLine.objects.filter(fund=fund)
    live = Counter(
        lines.exclude(state=LineState.DUPLICATE).values_list("transaction_id", flat=True)
    )
    assert all(count == 1 for count in live.values())
    keys = Counter(
        Repayment.objects.filter(advance__fund=fund).values_list("idempotency_key", flat=True)
    )
    assert all(count == 1 for count in keys.values())
    recorded = lines.filter(state=LineState.RECORDED)
    assert recorded.filter(repayment__isnull=True).count() == 0
    assert set(keys) == {services.statements.transaction_key(line) for line in recorded}
    reversed_total = RepaymentReversal.objects.filter(repayment__advance__fund=fund).aggregate(
        total=Sum("repayment__amount")
    )["total"] or D(0)
    credited = recorded.aggregate(total=Sum("amount"))["total"] or D(0)
    assert cash_of(fund) == cash_at_start + credited - reversed_total


@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(operation, min_size=1, max_size=8))
def test_each_bank_transaction_is_recorded_once_and_the_books_hold(world, setting, operations):
    fund, advances = setting
    with setup_scope(), transaction.atomic():
        cash_at_start = cash_of(fund)
        bank = Bank(world, fund, advances)
        for name, *args in operations:
            getattr(bank, name)(*args)
            check(fund, cash_at_start)
        transaction.set_rollback(True)
