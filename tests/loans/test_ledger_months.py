"""The ledger's monthly sums PostgreSQL keeps (``LedgerMonth``, migration loans 0015): they
follow every insert into the ledger, give the same balances as the lines, and nothing else
may write them."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from loans import ledger, selectors, services
from loans.models import Account, EntryKind, LedgerMonth
from tests.loans.builders import advance_at, contribute, make_fund, setup_scope
from tests.loans.test_provisions import repay

D = Decimal
pytestmark = pytest.mark.django_db


def months(fund) -> dict:
    with setup_scope():
        return {
            (row.contribution_id, row.account, row.kind, row.month): (row.debit, row.credit)
            for row in LedgerMonth.objects.filter(fund=fund)
        }


def test_each_posting_adds_to_its_month_and_the_balances_are_the_lines(world):
    fund = make_fund(world.a, contributions=(D("8000.00"), D("30000.00")))
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    repay(advance, "1500.00", "month-1", on=dt.date(2026, 3, 1))
    repay(advance, "250.50", "month-2", on=dt.date(2026, 3, 20))
    repay(advance, "100.00", "month-3", on=dt.date(2026, 4, 2))
    with setup_scope():
        first, second = fund.contributions.order_by("received_on", "id")
        services.repayment_reverse(
            repayment=advance.repayments.get(idempotency_key="month-3"),
            reason="Rejet bancaire AM04",
            by=None,
        )
    rows = months(fund)
    march = dt.date(2026, 3, 1)
    # 12 000 € lent: 8 000 € from the first contribution (FIFO), 4 000 € from the second;
    # March's two repayments (1 750.50 €) go back in proportion, one row per month and key.
    lent_first, lent_second = D("8000.00"), D("4000.00")
    assert rows[(first.pk, Account.LOANS, EntryKind.DISBURSEMENT, dt.date(2026, 1, 1))] == (
        lent_first,
        D("0.00"),
    )
    assert rows[(second.pk, Account.LOANS, EntryKind.DISBURSEMENT, dt.date(2026, 1, 1))] == (
        lent_second,
        D("0.00"),
    )
    march_credits = [
        rows[(c.pk, Account.LOANS, EntryKind.REPAYMENT, march)][1] for c in (first, second)
    ]
    assert sum(march_credits) == D("1750.50")
    reversed_back = [
        debit
        for (_c, account, kind, _month), (debit, _credit) in rows.items()
        if (account, kind) == (Account.LOANS, EntryKind.REVERSAL)
    ]
    assert sum(reversed_back) == D("100.00")
    assert len({key[0] for key in rows}) == 2
    with setup_scope():
        assert ledger.fund_balances([fund.pk]) == ledger.balances_by("fund", fund=fund)
        assert ledger.contribution_balances([first.pk, second.pk]) == ledger.balances_by(
            "contribution", fund=fund
        )
        balances = selectors.fund_balances(fund)
        assert ledger.stored_figures_disagreements() == []
    assert balances.contributed == D("38000.00")
    assert balances.outstanding == D("12000.00") - D("1750.50")
    assert balances.available == D("38000.00") - balances.outstanding


def test_the_monthly_utilisation_reads_the_months(world):
    fund = make_fund(world.a, contributions=(D("20000.00"),))
    advance = advance_at("disbursed", fund, disbursed_on=dt.date(2026, 1, 5))
    repay(advance, "2000.00", "util-1", on=dt.date(2026, 2, 10))
    contribute(fund, "5000.00", received_on=dt.date(2026, 3, 15))
    with setup_scope():
        points = selectors.fund_utilisation(fund, until=dt.date(2026, 3, 31), months=3)
    assert [(p["month"], p["outstanding"], p["available"]) for p in points] == [
        (dt.date(2026, 1, 1), D("12000.00"), D("8000.00")),
        (dt.date(2026, 2, 1), D("10000.00"), D("10000.00")),
        (dt.date(2026, 3, 1), D("10000.00"), D("15000.00")),
    ]
    assert [p["ratio"] for p in points] == [D("0.6000"), D("0.5000"), D("0.4000")]


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO loans_ledgermonth (dispositif_id, fund_id, contribution_id, account, kind,"
        " month, debit, credit) SELECT dispositif_id, fund_id, contribution_id, account, kind,"
        " month, 1, 0 FROM loans_ledgermonth LIMIT 1",
        "UPDATE loans_ledgermonth SET debit = debit + 1",
        "DELETE FROM loans_ledgermonth",
    ],
    ids=["insert", "update", "delete"],
)
def test_only_the_ledger_writes_the_months(world, statement):
    make_fund(world.a)
    with setup_scope():
        assert LedgerMonth.objects.exists()
        with (
            pytest.raises(DatabaseError, match="kept by the database"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
        assert ledger.stored_figures_disagreements() == []


@pytest.mark.django_db(transaction=True)
def test_a_month_changed_behind_the_trigger_is_reported(world):
    """The check itself: only the tables' owner can get past the guard, and then the
    disagreement is found (and rolled back)."""
    from alize.row_security import as_owner

    fund = make_fund(world.a, contributions=(D("100000.00"),))
    with setup_scope():
        contribution = fund.contributions.get()
    with as_owner(), pytest.raises(RuntimeError, match="rolled back"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE loans_ledgermonth DISABLE TRIGGER USER")
            cursor.execute(
                "UPDATE loans_ledgermonth SET credit = credit + 1"
                " WHERE contribution_id = %s AND account = 'capital'",
                [contribution.pk],
            )
        assert ledger.stored_figures_disagreements() == [
            ("month", contribution.pk, D("0.00"), D("100001.00"), D("0.00"), D("100000.00"))
        ]
        raise RuntimeError("rolled back")
    with setup_scope():
        assert ledger.stored_figures_disagreements() == []
