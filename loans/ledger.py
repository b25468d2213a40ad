"""The double-entry ledger of the funds: posting balanced transactions, splitting an amount
between contributions to the cent, and the balances, which are sums of ledger lines.

Accounts (``Account``) and the lines each movement writes, per contribution concerned:

=================== ========================= =========================
movement            debit                     credit
=================== ========================= =========================
contribution        cash                      capital
disbursement        loans (the advance)       cash
repayment           cash                      loans (the advance)
reversal            loans (the advance)       cash
write-off           losses (the advance)      loans (the advance)
provision charge    provisions (the advance)  allowance (the advance)
release, use        allowance (the advance)   provisions (the advance)
=================== ========================= =========================

The allowance is the part of an advance's outstanding principal provisioned against its
loss; the daily arrears job brings it to the fund's rate for the advance's days past due
(``loans.services.provisions``), and a write-off uses what is left of it, so that the
write-off's net expense (losses − the allowance used) is the part not yet provisioned
(docs/decisions/0017-provisions-in-the-ledger.md).

Every line names the contribution whose money it moves, so a contribution's financed,
repaid, lost and outstanding parts, and the cash still available from it, are sums of its
lines like the fund's. Covering indexes on ``LedgerLine`` keep those sums index-only; a
fund's and a contribution's balances today read the same sums by month, which PostgreSQL
keeps as lines are written (``LedgerMonth``, migration loans 0015).
Posting happens inside the services' transactions; nothing here checks access.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from .models import ZERO, Account, EntryKind, JournalTransaction, LedgerLine, LedgerMonth

CENTS = Decimal("100")


@dataclass(frozen=True)
class Line:
    """One line to post: an account debited or credited with a contribution's money."""

    account: str
    contribution_id: int
    debit: Decimal = ZERO
    credit: Decimal = ZERO
    advance_id: int | None = None


def post(
    *,
    fund,
    kind: str,
    occurred_on,
    lines: list[Line],
    by=None,
    description: str = "",
    advance=None,
    contribution=None,
    repayment=None,
    write_off=None,
) -> JournalTransaction:
    """Write one balanced journal transaction and its lines. Raises ``ValueError`` on an
    unbalanced or empty set of lines, or a line that is not strictly one-sided (these are
    programming errors: the services compute the lines)."""
    lines = [line for line in lines if line.debit or line.credit]
    if not lines:
        raise ValueError("A journal transaction needs lines.")
    debits = sum((line.debit for line in lines), ZERO)
    credits = sum((line.credit for line in lines), ZERO)
    if debits != credits:
        raise ValueError(f"Unbalanced journal transaction: {debits} != {credits}.")
    for line in lines:
        if (line.debit > 0) == (line.credit > 0) or line.debit < 0 or line.credit < 0:
            raise ValueError(f"A ledger line is either a debit or a credit: {line}.")
    entry = JournalTransaction.objects.create(
        dispositif_id=fund.dispositif_id,
        fund=fund,
        kind=kind,
        occurred_on=occurred_on,
        advance=advance,
        contribution=contribution,
        repayment=repayment,
        write_off=write_off,
        description=description[:300],
        recorded_by=by,
    )
    LedgerLine.objects.bulk_create(
        LedgerLine(
            dispositif_id=fund.dispositif_id,
            transaction=entry,
            kind=kind,
            occurred_on=occurred_on,
            account=line.account,
            debit=line.debit,
            credit=line.credit,
            fund_id=fund.pk,
            contribution_id=line.contribution_id,
            advance_id=line.advance_id,
        )
        for line in lines
    )
    return entry


def pair(
    debit_account: str, credit_account: str, shares: dict[int, Decimal], advance_id=None
) -> list[Line]:
    """The two lines per contribution of a movement from ``credit_account`` to
    ``debit_account`` (shares by contribution id; zero shares are left out)."""
    lines = []
    for contribution_id, amount in shares.items():
        if amount:
            lines.append(Line(debit_account, contribution_id, debit=amount, advance_id=advance_id))
            lines.append(
                Line(credit_account, contribution_id, credit=amount, advance_id=advance_id)
            )
    return lines


def split_proportionally(amount: Decimal, weights: dict[int, Decimal]) -> dict[int, Decimal]:
    """``amount`` split between the keys of ``weights`` in proportion, exact to the cent.

    Each key first gets its share rounded down to the cent; the cents left over (fewer than
    the number of keys) go one each to the keys whose share lost the largest fraction, ties
    going to the key that comes first in ``weights`` (the contributions' FIFO order). With
    ``amount`` at most the sum of the weights, no key ever gets more than its weight, and
    the shares always add up to ``amount``.
    """
    total = sum(weights.values(), ZERO)
    if amount < 0 or amount > total:
        raise ValueError(f"Cannot split {amount} over weights summing to {total}.")
    if not amount:
        return dict.fromkeys(weights, ZERO)
    amount_c = int(amount * CENTS)
    total_c = int(total * CENTS)
    floors, remainders = {}, []
    for position, (key, weight) in enumerate(weights.items()):
        numerator = amount_c * int(weight * CENTS)
        floors[key] = numerator // total_c
        remainders.append((-(numerator % total_c), position, key))
    left = amount_c - sum(floors.values())
    for _, _, key in sorted(remainders)[:left]:
        floors[key] += 1
    return {key: Decimal(cents) / CENTS for key, cents in floors.items()}


# -- Balances: sums of ledger lines ---------------------------------------------------


def _sums(queryset, group: str) -> dict:
    """``{(group value, account, kind): (debit, credit)}`` of the lines of ``queryset``."""
    rows = queryset.values(group, "account", "kind").annotate(d=Sum("debit"), c=Sum("credit"))
    return {
        (row[group], row["account"], row["kind"]): (row["d"] or ZERO, row["c"] or ZERO)
        for row in rows.order_by()
    }


@dataclass
class Balances:
    """What the ledger says about a fund, a contribution or an advance.

    ``contributed``: money put in; ``available``: cash not lent; ``lent`` (financed):
    principal disbursed; ``repaid``: repayments net of reversals; ``lost``: written off;
    ``outstanding``: lent − repaid − lost; ``provision``: the allowance set aside against
    the loss of the outstanding principal; ``net``: outstanding − provision."""

    contributed: Decimal = ZERO
    available: Decimal = ZERO
    lent: Decimal = ZERO
    repaid: Decimal = ZERO
    lost: Decimal = ZERO
    outstanding: Decimal = ZERO
    provision: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return self.outstanding - self.provision

    def as_dict(self) -> dict:
        return {
            "contributed": self.contributed,
            "available": self.available,
            "lent": self.lent,
            "repaid": self.repaid,
            "lost": self.lost,
            "outstanding": self.outstanding,
            "provision": self.provision,
        }


def _fold(sums: dict) -> dict:
    result: dict = defaultdict(Balances)
    for (key, account, kind), (debit, credit) in sums.items():
        balance = result[key]
        if account == Account.CAPITAL:
            balance.contributed += credit - debit
        elif account == Account.CASH:
            balance.available += debit - credit
        elif account == Account.LOANS:
            balance.outstanding += debit - credit
            if kind == EntryKind.DISBURSEMENT:
                balance.lent += debit
            elif kind == EntryKind.REPAYMENT:
                balance.repaid += credit
            elif kind == EntryKind.REVERSAL:
                balance.repaid -= debit
        elif account == Account.LOSSES:
            balance.lost += debit - credit
        elif account == Account.ALLOWANCE:
            balance.provision += credit - debit
    return result


def balances_by(group: str, **filters) -> dict:
    """Balances of the ledger lines matching ``filters``, by ``group`` (``"fund"``,
    ``"contribution"`` or ``"advance"``); keys without lines are absent."""
    return dict(_fold(_sums(LedgerLine.objects.filter(**filters), group)))


def fund_balances(fund_ids) -> dict[int, Balances]:
    """The balances of funds, from the monthly sums PostgreSQL keeps (``LedgerMonth``):
    the same figures as ``balances_by("fund")``, read from a few hundred rows per fund."""
    ids = list(fund_ids)
    found = dict(_fold(_sums(LedgerMonth.objects.filter(fund__in=ids), "fund")))
    return {pk: found.get(pk, Balances()) for pk in ids}


def contribution_balances(contribution_ids) -> dict[int, Balances]:
    """The balances of contributions, from the monthly sums (see ``fund_balances``)."""
    ids = list(contribution_ids)
    found = dict(_fold(_sums(LedgerMonth.objects.filter(contribution__in=ids), "contribution")))
    return {pk: found.get(pk, Balances()) for pk in ids}


def advance_balances(advance_ids) -> dict[int, Balances]:
    ids = list(advance_ids)
    found = balances_by("advance", advance__in=ids)
    return {pk: found.get(pk, Balances()) for pk in ids}


def advance_outstanding_by_contribution(advance_id: int) -> dict[int, Decimal]:
    """The principal of one advance still out, by contribution (FIFO order of the
    contributions: received on, then id); contributions with nothing out are left out."""
    rows = (
        LedgerLine.objects.filter(advance_id=advance_id, account=Account.LOANS)
        .values("contribution_id", "contribution__received_on")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by("contribution__received_on", "contribution_id")
    )
    result = {}
    for row in rows:
        left = (row["d"] or ZERO) - (row["c"] or ZERO)
        if left:
            result[row["contribution_id"]] = left
    return result


def cash_by_contribution(contribution_ids) -> dict[int, Decimal]:
    """Cash still available from each contribution (money in, not lent)."""
    rows = (
        LedgerLine.objects.filter(contribution__in=list(contribution_ids), account=Account.CASH)
        .values("contribution_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by()
    )
    found = {row["contribution_id"]: (row["d"] or ZERO) - (row["c"] or ZERO) for row in rows}
    return {pk: found.get(pk, ZERO) for pk in contribution_ids}


def provision_positions(advance_ids) -> dict[int, dict[int, tuple[Decimal, Decimal]]]:
    """For each advance, ``{contribution id: (outstanding principal, allowance)}`` in the
    contributions' FIFO order (received on, then id), in one query for all the advances;
    contributions with neither are left out, and so are advances with none."""
    rows = (
        LedgerLine.objects.filter(
            advance__in=list(advance_ids), account__in=[Account.LOANS, Account.ALLOWANCE]
        )
        .values("advance_id", "contribution_id", "contribution__received_on", "account")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by("advance_id", "contribution__received_on", "contribution_id")
    )
    result: dict[int, dict[int, list[Decimal]]] = {}
    for row in rows:
        position = result.setdefault(row["advance_id"], {}).setdefault(
            row["contribution_id"], [ZERO, ZERO]
        )
        debit, credit = row["d"] or ZERO, row["c"] or ZERO
        if row["account"] == Account.LOANS:
            position[0] += debit - credit
        else:
            position[1] += credit - debit
    return {
        advance: {c: (out, allowance) for c, (out, allowance) in by.items() if out or allowance}
        for advance, by in result.items()
    }


# -- Figures kept by PostgreSQL -------------------------------------------------------

_DISAGREEMENTS_SQL = """
SELECT 'advance', a.id, a.outstanding, a.provision,
       COALESCE(s.outstanding, 0), COALESCE(s.provision, 0)
FROM loans_advance a
LEFT JOIN (
    SELECT advance_id,
           SUM(debit - credit) FILTER (WHERE account = 'loans') AS outstanding,
           SUM(credit - debit) FILTER (WHERE account = 'allowance') AS provision
    FROM loans_ledgerline
    WHERE advance_id IS NOT NULL AND account IN ('loans', 'allowance')
    GROUP BY advance_id
) s ON s.advance_id = a.id
WHERE a.outstanding <> COALESCE(s.outstanding, 0) OR a.provision <> COALESCE(s.provision, 0)
UNION ALL
SELECT 'instalment', i.id, i.paid, NULL, COALESCE(s.paid, 0), NULL
FROM loans_instalment i
LEFT JOIN (
    SELECT al.instalment_id, SUM(al.amount) AS paid
    FROM loans_repaymentallocation al
    WHERE NOT EXISTS (
        SELECT 1 FROM loans_repaymentreversal rv WHERE rv.repayment_id = al.repayment_id
    )
    GROUP BY al.instalment_id
) s ON s.instalment_id = i.id
WHERE i.paid <> COALESCE(s.paid, 0)
UNION ALL
SELECT 'month', contribution_id, COALESCE(m.debit, 0), COALESCE(m.credit, 0),
       COALESCE(s.debit, 0), COALESCE(s.credit, 0)
FROM loans_ledgermonth m
FULL JOIN (
    SELECT contribution_id, account, kind, date_trunc('month', occurred_on)::date AS month,
           SUM(debit) AS debit, SUM(credit) AS credit
    FROM loans_ledgerline
    GROUP BY 1, 2, 3, 4
) s USING (contribution_id, account, kind, month)
WHERE m.debit IS DISTINCT FROM s.debit OR m.credit IS DISTINCT FROM s.credit
ORDER BY 1, 2
"""


_UNPAID_SINCE_DISAGREEMENTS_SQL = """
SELECT 'unpaid_since', a.id, a.unpaid_since, NULL, s.first, NULL
FROM loans_advance a
LEFT JOIN (
    SELECT advance_id, MIN(due_on) AS first
    FROM loans_instalment
    WHERE superseded_at IS NULL AND paid < amount
    GROUP BY advance_id
) s ON s.advance_id = a.id
WHERE a.unpaid_since IS DISTINCT FROM s.first
ORDER BY 2
"""


def stored_figures_disagreements() -> list[tuple]:
    """The advances, instalments and ledger months (of the dispositifs in scope) whose
    figures kept by PostgreSQL (``Advance.outstanding``/``provision``/``unpaid_since``,
    ``Instalment.paid``, ``LedgerMonth.debit``/``credit``) differ from the sums they stand
    for, as ``(kind, id, stored…, summed…)`` (a month by its contribution's id); empty when
    all agree."""
    with connection.cursor() as cursor:
        cursor.execute(_DISAGREEMENTS_SQL)
        found = [tuple(row) for row in cursor.fetchall()]
        cursor.execute(_UNPAID_SINCE_DISAGREEMENTS_SQL)
        return found + [tuple(row) for row in cursor.fetchall()]
