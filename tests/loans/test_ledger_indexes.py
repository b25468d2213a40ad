"""Balances are sums of the ledger, kept fast by covering indexes (the advances' list reads
the figure PostgreSQL keeps on each advance instead): the queries the
selectors send (with the tenancy filter a scoped query adds) are answerable from the
indexes alone. Sequential scans are switched off so the tiny test tables show the plan
PostgreSQL takes on a large ledger, and the rows are committed and vacuumed: the pages are
all-visible, as a running ledger's are, so an index-only scan reads no table page (on
pages just written it costs as much as a plain index scan, and the planner may take
either)."""

from decimal import Decimal

import pytest
from django.db import connection, transaction

from alize.tenancy import scope
from loans.models import Advance, LedgerLine
from loans.selectors import advance_rows
from tests.loans.builders import advance_at, make_fund

pytestmark = pytest.mark.django_db(transaction=True)


def plan(queryset) -> str:
    # On the driver's connection, in autocommit: VACUUM runs outside any transaction.
    connection.ensure_connection()
    connection.connection.execute("VACUUM ANALYZE loans_ledgerline")
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
        return queryset.explain()


@pytest.fixture
def books(world):
    fund = make_fund(world.a, contributions=(Decimal("50000.00"), Decimal("20000.00")))
    advance_at("disbursed", fund)
    # Another fund of the same dispositif: its lines are not the ones summed.
    make_fund(world.a, name="Autre fonds", contributions=[Decimal("1000.00")] * 40)
    return fund


def test_fund_balances_are_an_index_only_sum(world, books):
    with scope([world.a]):
        sums = (
            LedgerLine.objects.filter(fund__in=[books.pk])
            .values("fund", "account", "kind")
            .order_by()
        )
        text = plan(sums)
    assert "Index Only Scan using ledger_fund_account" in text, text


def test_advance_outstanding_in_the_list_is_read_from_the_advance(world, books):
    """PostgreSQL keeps each advance's outstanding principal (migration loans 0014): the
    list reads no ledger line."""
    with scope([world.a]):
        text = plan(advance_rows(Advance.objects.filter(dispositif=world.a)))
    assert "loans_ledgerline" not in text, text


def test_contribution_balances_are_an_index_only_sum(world, books):
    with scope([world.a]):
        ids = list(books.contributions.values_list("pk", flat=True))
        sums = (
            LedgerLine.objects.filter(contribution__in=ids)
            .values("contribution", "account", "kind")
            .order_by()
        )
        text = plan(sums)
    assert "Index Only Scan using ledger_contribution_account" in text, text
