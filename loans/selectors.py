"""Read side of the loans app: funds and their balances, contributions and where their
money went, advances, schedules, the ledger, arrears and portfolio at risk, leverage, the
SEPA mandates and collection files.

Selectors run inside the caller's tenancy scope; those taking a ``user`` narrow it with the
access policy (``for_user``). Every balance is a sum of the ledger (``loans.ledger``);
nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import DecimalField, F, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from alize.actions import Action

from . import ledger
from .models import (
    DEFAULT_PROVISION_RATES,
    LIVE_STATUSES,
    ZERO,
    Account,
    Advance,
    AdvanceStatus,
    AdvanceTransition,
    Cofinancing,
    DirectDebitCollection,
    DirectDebitMandate,
    Fund,
    FundContribution,
    Instalment,
    LedgerLine,
    LedgerMonth,
    PortfolioSnapshot,
    Repayment,
    WriteOff,
    WriteOffStatus,
)
from .services import PAR_DAYS, add_months, provision_rate_tables

RATIO = Decimal("0.0001")


# -- Who sees what -----------------------------------------------------------------------


def fund_list(user):
    """Funds the user may read (``VIEW_ADVANCE``)."""
    return Fund.objects.for_user(user, Action.VIEW_ADVANCE).select_related("dispositif")


def fund_manage_list(user):
    """Funds the user may change and lend from (``MANAGE_ADVANCE``)."""
    return Fund.objects.for_user(user, Action.MANAGE_ADVANCE).select_related("dispositif")


def advance_list(user):
    """Advances the user may read, with their project, company, fund and dispositif."""
    return Advance.objects.for_user(user, Action.VIEW_ADVANCE).select_related(
        "dispositif", "fund", "project__company"
    )


def cofinancing_list(user):
    return Cofinancing.objects.for_user(user, Action.VIEW_ADVANCE).select_related(
        "dispositif", "project"
    )


def repayment_list(user):
    return Repayment.objects.for_user(user, Action.VIEW_ADVANCE).select_related(
        "dispositif", "advance", "reversal", "recorded_by"
    )


# -- Funds -----------------------------------------------------------------------------------


def fund_balances(fund: Fund) -> ledger.Balances:
    """A fund's contributed, available, lent, repaid, lost and outstanding money."""
    return ledger.fund_balances([fund.pk])[fund.pk]


def fund_balances_of(funds) -> dict[int, ledger.Balances]:
    """The balances of several funds (a page of a list) in one query."""
    return ledger.fund_balances(fund.pk for fund in funds)


def fund_contributions(fund: Fund) -> list[dict]:
    """The fund's contributions (first in, first out), each with its balances: cash still
    available, financed (lent), repaid, lost and outstanding."""
    contributions = list(
        FundContribution.objects.filter(fund=fund)
        .select_related("organisation", "agreement_firm")
        .order_by("received_on", "id")
    )
    balances = ledger.contribution_balances([c.pk for c in contributions])
    return [{"contribution": c, **balances[c.pk].as_dict()} for c in contributions]


def contribution_advances(contribution: FundContribution) -> list[dict]:
    """Which advances a contribution's money financed, and what came back, was lost and is
    still out, per advance (the funder's statement)."""
    found = ledger.balances_by("advance", contribution=contribution, advance__isnull=False)
    advances = Advance.objects.filter(pk__in=list(found)).select_related("project__company")
    return [
        {"advance": advance, **found[advance.pk].as_dict()}
        for advance in sorted(advances, key=lambda a: (a.disbursed_on or dt.date.min, a.pk))
    ]


def fund_utilisation(fund: Fund, *, until: dt.date, months: int = 12) -> list[dict]:
    """Money lent ÷ money available, at the end of each of the last ``months`` months up to
    ``until``: ``outstanding`` (principal out) ÷ (outstanding + cash available). Idle money
    shows as a low ratio. Read from the ledger's monthly sums PostgreSQL keeps (one query
    over a few hundred rows)."""
    monthly = (
        LedgerMonth.objects.filter(fund=fund, account__in=[Account.CASH, Account.LOANS])
        .values("month", "account")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by("month")
    )
    moves: dict = defaultdict(lambda: {Account.CASH: ZERO, Account.LOANS: ZERO})
    for row in monthly:
        moves[row["month"]][row["account"]] += (row["d"] or ZERO) - (row["c"] or ZERO)
    first = until.replace(day=1)
    wanted = [add_months(first, -k) for k in range(months - 1, -1, -1)]
    cash = lent = ZERO
    result, pending = [], sorted(moves.items())
    for month in wanted:
        while pending and pending[0][0] <= month:
            _, move = pending.pop(0)
            cash += move[Account.CASH]
            lent += move[Account.LOANS]
        total = cash + lent
        result.append(
            {
                "month": month,
                "outstanding": lent,
                "available": cash,
                "ratio": (lent / total).quantize(RATIO) if total else None,
            }
        )
    return result


# -- Advances -----------------------------------------------------------------------------


ADVANCE_ROW_COLUMNS = (
    "id",
    "dispositif_id",
    "fund_id",
    "project_id",
    "decision_id",
    "amount",
    "interest_rate",
    "grace_months",
    "instalment_count",
    "frequency",
    "status",
    "status_changed_at",
    "contracted_on",
    "disbursed_on",
    "schedule_version",
    "days_past_due",
    "outstanding",
    "created_at",
)


def advance_rows(queryset):
    """Plain rows of an advances list: the advance's columns (its outstanding principal as
    PostgreSQL keeps it from the ledger), its dispositif's slug and name, fund name, project
    title and company name, in one query."""
    return queryset.values(
        *ADVANCE_ROW_COLUMNS,
        dispositif_slug=F("dispositif__slug"),
        dispositif_name=F("dispositif__name"),
        fund_name=F("fund__name"),
        project_title=F("project__title"),
        company_name=F("project__company__name"),
    )


def advance_balances(advance: Advance) -> ledger.Balances:
    """Disbursed (``lent``), repaid, written off (``lost``) and outstanding, from the ledger."""
    return ledger.advance_balances([advance.pk])[advance.pk]


def advance_schedule(advance: Advance) -> dict:
    """The schedule: ``live`` instalments (oldest due first) and ``superseded`` ones (kept
    by reschedules), each with ``paid`` and ``remaining``; and the totals."""
    instalments = list(
        Instalment.objects.filter(advance=advance).order_by("due_on", "schedule_version", "number")
    )
    for instalment in instalments:
        instalment.remaining = instalment.amount - instalment.paid
    live = [i for i in instalments if i.superseded_at is None]
    return {
        "live": live,
        "superseded": [i for i in instalments if i.superseded_at is not None],
        "total": sum((i.amount for i in live), ZERO),
        "paid": sum((i.paid for i in live), ZERO),
        "remaining": sum((i.remaining for i in live), ZERO),
    }


def advance_ledger_lines(advance: Advance):
    """Every ledger line of an advance, in posting order, with its transaction and
    contribution."""
    return (
        LedgerLine.objects.filter(advance=advance)
        .select_related("transaction", "contribution__organisation")
        .order_by("occurred_on", "transaction_id", "id")
    )


def advance_repayments(advance: Advance):
    return (
        Repayment.objects.filter(advance=advance)
        .select_related("reversal", "recorded_by")
        .order_by("received_on", "id")
    )


def advance_timeline(advance: Advance):
    return (
        AdvanceTransition.objects.filter(advance=advance).select_related("by").order_by("at", "id")
    )


def advance_mandates(advance: Advance):
    """The advance's SEPA mandates, the one in force first, then the revoked ones, latest
    first, each with who recorded it."""
    return (
        DirectDebitMandate.objects.filter(advance=advance)
        .select_related("created_by")
        .order_by(F("revoked_on").desc(nulls_first=True), "-id")
    )


def collection_list(user, fund: Fund | None = None):
    """The collection files of the funds where the user records repayments (the files carry
    the SMEs' accounts), without their XML; one fund's when ``fund`` is given."""
    files = DirectDebitCollection.objects.for_user(user, Action.RECORD_REPAYMENT)
    if fund is not None:
        files = files.filter(fund=fund)
    return files.select_related("created_by").defer("xml").order_by("-collection_date", "-id")


def advance_write_offs(advance: Advance):
    return WriteOff.objects.filter(advance=advance).select_related("proposed_by", "decided_by")


def project_advances(project, user) -> list[dict]:
    """The advances of a project the user may read, with their outstanding principal (for
    the project page's panel)."""
    return list(advance_rows(advance_list(user).filter(project=project).order_by("created_at")))


def write_offs_to_approve(user):
    """Write-offs proposed by someone else, that the user may approve."""
    return (
        WriteOff.objects.for_user(user, Action.APPROVE_WRITE_OFF)
        .filter(status=WriteOffStatus.PROPOSED)
        .exclude(proposed_by=user)
        .select_related("advance__project__company", "proposed_by")
        .order_by("proposed_at")
    )


# -- Arrears -------------------------------------------------------------------------------


def advances_to_chase(user, *, limit: int = 20) -> list[dict]:
    """Advances in arrears the user manages (``RECORD_REPAYMENT``), the longest overdue
    first, with the overdue amount (unpaid instalments past due) and outstanding principal,
    as of the last arrears run — for the animateur's home page."""
    overdue = (
        Instalment.objects.filter(advance=OuterRef("pk"), superseded_at__isnull=True, overdue=True)
        .order_by()
        .values("advance")
        .annotate(due=Sum(F("amount") - F("paid")))
        .values("due")
    )
    rows = advance_rows(
        Advance.objects.for_user(user, Action.RECORD_REPAYMENT)
        .filter(status=AdvanceStatus.IN_ARREARS)
        .order_by("-days_past_due", "id")
    ).annotate(
        overdue_amount=Coalesce(
            Subquery(overdue, output_field=DecimalField(max_digits=14, decimal_places=2)),
            Value(ZERO),
            output_field=DecimalField(max_digits=14, decimal_places=2),
        )
    )
    return list(rows[:limit])


def portfolio_at_risk(advances) -> dict:
    """PAR30 of a set of advances (a queryset): outstanding principal of the live advances
    with an instalment over 30 days overdue (as of the last arrears run) ÷ the total
    outstanding principal. ``par30`` is a fraction rounded to 4 places (None when nothing
    is out); amounts are exact."""
    live = advances.filter(status__in=LIVE_STATUSES).values_list("pk", "days_past_due")
    days = dict(live)
    balances = ledger.advance_balances(list(days))
    total = sum((b.outstanding for b in balances.values()), ZERO)
    at_risk = sum((balances[pk].outstanding for pk, d in days.items() if d > PAR_DAYS), ZERO)
    return {
        "outstanding": total,
        "at_risk_30": at_risk,
        "par30": (at_risk / total).quantize(RATIO) if total else None,
    }


class LateAdvance(NamedTuple):
    """An advance in arrears as of today: its oldest unpaid due date first, so that sorting
    puts the longest overdue first (then by id)."""

    late_since: dt.date
    advance_id: int
    overdue_amount: Decimal
    outstanding: Decimal


@dataclass
class FundRisk:
    """A fund's portfolio at risk as of today: outstanding principal, the part of it in
    advances over 30 days late, the advances late at all, and the provision (allowance)
    the daily job set aside for its live advances, with the net outstanding."""

    fund: Fund
    outstanding: Decimal = ZERO
    at_risk_30: Decimal = ZERO
    advances_in_arrears: int = 0
    # Its advances in arrears among those read (``portfolio_now``'s ``late_rows``): oldest
    # unpaid due date, id, overdue, outstanding.
    late: list[LateAdvance] = field(default_factory=list)
    provision: Decimal = ZERO

    @property
    def fund_id(self) -> int:
        return self.fund.pk

    @property
    def net(self) -> Decimal:
        return self.outstanding - self.provision

    @property
    def par30(self) -> Decimal | None:
        return (self.at_risk_30 / self.outstanding).quantize(RATIO) if self.outstanding else None


# One statement over the live advances (the scoped queryset's SQL), reading the figures
# PostgreSQL keeps on them (migrations loans 0014 and 0016: outstanding principal, allowance,
# oldest unpaid due date): per fund, the outstanding principal, its allowance, the part of it
# in advances over 30 days late and how many are late at all; then the longest overdue
# advances, each with what its unpaid instalments due before today lack (the partial index
# of unpaid live instalments serves it). Rows "fund" carry a fund's sums, rows "late" one
# advance in arrears.
_PORTFOLIO_SQL = """
WITH live AS ({live})
SELECT 'fund', live.fund_id, NULL::bigint, NULL::date, NULL::numeric,
       SUM(live.outstanding), SUM(live.provision),
       SUM(live.outstanding) FILTER (WHERE live.unpaid_since < %s),
       COUNT(*) FILTER (WHERE live.unpaid_since < %s)
FROM live
GROUP BY live.fund_id
UNION ALL
(SELECT 'late', live.fund_id, live.id, live.unpaid_since,
        (SELECT SUM(i.amount - i.paid)
           FROM {instalment} i
          WHERE i.advance_id = live.id AND i.superseded_at IS NULL AND i.paid < i.amount
            AND i.due_on < %s),
        live.outstanding, NULL, NULL, NULL
   FROM live
  WHERE live.unpaid_since < %s
  ORDER BY live.unpaid_since, live.id
  LIMIT %s)
"""


def portfolio_now(user, today: dt.date, *, late_rows: int | None = None) -> list[FundRisk]:
    """Every fund the user reads with its portfolio at risk as of ``today``: the same
    figures as the schedules' unpaid instalments and the ledger's balances, read from what
    PostgreSQL keeps on the advances (outstanding principal, provision, oldest unpaid due
    date), in two queries whatever the number of funds, advances and instalments (the
    funds, then one statement of sums per fund and a row per advance in arrears). Only the
    ``late_rows`` longest overdue advances are read as rows (all with None); the counts
    cover them all."""
    funds = list(fund_list(user).order_by("dispositif__name", "name", "pk"))
    risks = {fund.pk: FundRisk(fund) for fund in funds}
    if not risks:
        return []
    live = (
        Advance.objects.for_user(user, Action.VIEW_ADVANCE)
        .filter(status__in=LIVE_STATUSES, fund_id__in=list(risks))
        .order_by()
        .values("id", "fund_id", "outstanding", "provision", "unpaid_since")
    )
    live_sql, live_params = live.query.sql_with_params()
    sql = _PORTFOLIO_SQL.format(live=live_sql, instalment=Instalment._meta.db_table)
    # "Over 30 days late": the oldest unpaid due date more than PAR_DAYS days before today.
    cutoff = today - dt.timedelta(days=PAR_DAYS)
    with connection.cursor() as cursor:
        cursor.execute(sql, [*live_params, cutoff, today, today, today, late_rows])
        rows = cursor.fetchall()
    for kind, fund_id, pk, late, overdue_amount, outstanding, provision, at_risk, count in rows:
        risk = risks[fund_id]
        if kind == "fund":
            risk.outstanding = outstanding or ZERO
            risk.provision = provision or ZERO
            risk.at_risk_30 = at_risk or ZERO
            risk.advances_in_arrears = count
        else:
            risk.late.append(LateAdvance(late, pk, overdue_amount or ZERO, outstanding or ZERO))
    return list(risks.values())


def fund_provision_rates(fund: Fund) -> tuple[tuple[tuple[int, Decimal], ...], bool]:
    """A fund's provisioning table ((from days past due, rate %), by days) and whether it
    is the default one (the fund has not set its own)."""
    table = provision_rate_tables([fund.pk])[fund.pk]
    return table, table is DEFAULT_PROVISION_RATES


def latest_snapshots(funds) -> list[PortfolioSnapshot]:
    """The latest portfolio-at-risk snapshot of each fund (written by the daily job)."""
    return list(
        PortfolioSnapshot.objects.filter(fund__in=funds)
        .order_by("fund_id", "-as_of")
        .distinct("fund_id")
        .select_related("fund")
    )


# -- Co-financing and leverage ---------------------------------------------------------------

LENT_STATUSES = LIVE_STATUSES | {AdvanceStatus.REPAID, AdvanceStatus.WRITTEN_OFF}


def leverage(advances, cofinancings) -> dict:
    """Leverage ratio: co-financing of the projects that received an advance ÷ the
    advances disbursed to them. ``advances`` and ``cofinancings`` are querysets already
    narrowed to a project, a dispositif or the whole network."""
    lent = advances.filter(status__in=LENT_STATUSES)
    advanced = lent.aggregate(total=Sum("amount"))["total"] or ZERO
    cofinanced = (
        cofinancings.filter(project__in=lent.values("project")).aggregate(total=Sum("amount"))[
            "total"
        ]
        or ZERO
    )
    return {
        "advances": advanced,
        "cofinancing": cofinanced,
        "ratio": (cofinanced / advanced).quantize(Decimal("0.01")) if advanced else None,
    }


def leverage_by_dispositif(user) -> list[dict]:
    """Leverage per dispositif the user may read, and the national figure last."""
    advances = Advance.objects.for_user(user, Action.VIEW_ADVANCE).filter(status__in=LENT_STATUSES)
    cofinancings = Cofinancing.objects.for_user(user, Action.VIEW_ADVANCE)
    per = defaultdict(lambda: {"advances": ZERO, "cofinancing": ZERO})
    for row in advances.values("dispositif_id", "dispositif__name").annotate(total=Sum("amount")):
        per[(row["dispositif_id"], row["dispositif__name"])]["advances"] = row["total"]
    lent_projects = advances.values("project")
    for row in (
        cofinancings.filter(project__in=lent_projects)
        .values("dispositif_id", "dispositif__name")
        .annotate(total=Sum("amount"))
    ):
        per[(row["dispositif_id"], row["dispositif__name"])]["cofinancing"] = row["total"]
    result = []
    for (pk, name), figures in sorted(per.items(), key=lambda item: item[0][1]):
        result.append({"dispositif_id": pk, "name": name, **figures, "ratio": _ratio(figures)})
    total = {
        "advances": sum((r["advances"] for r in result), ZERO),
        "cofinancing": sum((r["cofinancing"] for r in result), ZERO),
    }
    result.append({"dispositif_id": None, "name": "", **total, "ratio": _ratio(total)})
    return result


def _ratio(figures: dict) -> Decimal | None:
    if not figures["advances"]:
        return None
    return (figures["cofinancing"] / figures["advances"]).quantize(Decimal("0.01"))
