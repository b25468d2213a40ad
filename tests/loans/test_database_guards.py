"""What PostgreSQL itself refuses, whatever code writes: an advance outside its
dispositif's bounds (trigger), any change to the ledger (append-only triggers, and the
models too), and an unbalanced journal transaction (deferred trigger, at commit)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import DatabaseError, IntegrityError, connection, transaction

from loans.models import AppendOnlyError, JournalTransaction, LedgerLine
from tests.loans.builders import advance_at, setup_scope

D = Decimal
pytestmark = pytest.mark.django_db


def raw(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def insert_advance_like(advance, amount):
    """A raw INSERT copying an existing advance's row with another amount and decision (the
    foreign keys are checked at commit, so only the bounds trigger can refuse it here)."""
    raw(
        """
        INSERT INTO loans_advance (dispositif_id, fund_id, project_id, decision_id, amount,
            interest_rate, grace_months, instalment_count, frequency, status,
            status_changed_at, schedule_version, days_past_due, created_at)
        SELECT dispositif_id, fund_id, project_id, %s, %s, 0, 0, 12, 'monthly', 'approved',
            now(), 0, 0, now()
        FROM loans_advance WHERE id = %s
        """,
        [advance.decision_id + 100000, amount, advance.pk],
    )


@pytest.mark.parametrize("amount", ["9999.99", "15000.01"])
def test_raw_insert_outside_the_bounds_is_refused(world, fund_a, amount):
    advance = advance_at("approved", fund_a)
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        insert_advance_like(advance, amount)
    assert "advance_amount_within_bounds" in str(refused.value.__cause__.diag.constraint_name)


@pytest.mark.parametrize("amount", ["9999.99", "15000.01"])
def test_raw_update_outside_the_bounds_is_refused(world, fund_a, amount):
    advance = advance_at("approved", fund_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("UPDATE loans_advance SET amount = %s WHERE id = %s", [amount, advance.pk])
    with transaction.atomic():
        raw("UPDATE loans_advance SET amount = %s WHERE id = %s", ["15000.00", advance.pk])
        raw("UPDATE loans_advance SET amount = %s WHERE id = %s", ["10000.00", advance.pk])


def test_bounds_follow_the_dispositif(world, fund_a):
    advance = advance_at("approved", fund_a)
    raw(
        "UPDATE dispositifs_dispositif SET advance_min = 5000, advance_max = 8000 WHERE id = %s",
        [world.a.pk],
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        raw("UPDATE loans_advance SET amount = 9000 WHERE id = %s", [advance.pk])
    # A write that leaves the amount alone is not refused by bounds changed since.
    with transaction.atomic():
        raw("UPDATE loans_advance SET grace_months = 3 WHERE id = %s", [advance.pk])
        raw("UPDATE loans_advance SET amount = 7500 WHERE id = %s", [advance.pk])


@pytest.mark.parametrize("table", ["loans_ledgerline", "loans_journaltransaction"])
def test_database_refuses_to_change_or_delete_the_ledger(world, fund_a, table):
    column = "debit" if table == "loans_ledgerline" else "description"
    value = "1" if table == "loans_ledgerline" else "'changed'"
    with pytest.raises(DatabaseError) as updated, transaction.atomic():
        raw(f"UPDATE {table} SET {column} = {value}")  # noqa: S608 - fixed test SQL
    assert "append-only" in str(updated.value)
    with pytest.raises(DatabaseError) as deleted, transaction.atomic():
        raw(f"DELETE FROM {table}")  # noqa: S608 - fixed test SQL
    assert "append-only" in str(deleted.value)
    with setup_scope():
        assert LedgerLine.objects.count() == 2


def test_models_refuse_to_change_or_delete_the_ledger(world, fund_a):
    with setup_scope():
        line = LedgerLine.objects.first()
        entry = JournalTransaction.objects.first()
        line.debit = D("1")
        for attempt in (
            line.save,
            line.delete,
            entry.delete,
            lambda: LedgerLine.objects.update(debit=1),
            lambda: LedgerLine.objects.all().delete(),
            lambda: LedgerLine.unscoped_objects.update(debit=1),
            lambda: JournalTransaction.unscoped_objects.all().delete(),
        ):
            with pytest.raises(AppendOnlyError):
                attempt()


def test_an_unbalanced_transaction_is_refused_at_commit(world, fund_a):
    with setup_scope():
        line = LedgerLine.objects.first()
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        raw(
            """
            INSERT INTO loans_ledgerline (dispositif_id, transaction_id, kind, occurred_on,
                account, debit, credit, fund_id, contribution_id)
            VALUES (%s, %s, 'contribution', current_date, 'cash', 5, 0, %s, %s)
            """,
            [line.dispositif_id, line.transaction_id, line.fund_id, line.contribution_id],
        )
        raw("SET CONSTRAINTS ALL IMMEDIATE")
    assert "unbalanced" in str(refused.value)
