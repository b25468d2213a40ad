"""Reads of the loans browser pages (lists, detail pages, panels) that are about how a page
shows rows rather than about money: which rows a user reaches, in which order, with which
related rows loaded in the same query. Balances and money figures come from the ledger
through ``loans.selectors``; nothing here sums money into a balance.

Every read starts from ``for_user(user, action)``, so a row outside the user's reach is
never returned (the page answers 404 or leaves it out).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import (
    Count,
    DecimalField,
    F,
    Sum,
    Window,
)
from django.db.models.functions import RowNumber

from alize.actions import Action
from alize.sorting import french_sort_key
from committees.models import Decision, DecisionOutcome
from pme.models import Project

from . import ledger, selectors
from .models import (
    ZERO,
    Account,
    Advance,
    Cofinancing,
    EntryKind,
    Fund,
    LedgerLine,
    WriteOff,
    WriteOffStatus,
)

MONEY = DecimalField(max_digits=14, decimal_places=2)
RATIO = Decimal("0.0001")
ATTRIBUTION_ROWS = 20  # advances listed per contribution on a fund's page


# -- Funds ------------------------------------------------------------------------------


def fund_detail_queryset(user, action: str = Action.VIEW_ADVANCE):
    return Fund.objects.for_user(user, action).select_related("dispositif")


def fund_attribution(fund, *, limit: int = ATTRIBUTION_ROWS) -> dict[int, dict]:
    """Per contribution of ``fund``: ``count``, how many advances its money financed, and
    ``advances``, the latest ``limit`` of them, each with what came back, was lost and is
    still out of it (``loans.selectors.contribution_advances`` for every contribution at
    once, bounded).

    A contribution financed an advance when the disbursement wrote a line on the loans
    account for it (one per pair), so the pairs, their count and the latest of each are
    read from those lines; only the pairs shown are summed. Four queries, however many
    contributions and advances the fund has; the ledger's own folding (``loans.ledger``)
    turns the sums into balances."""
    financed = LedgerLine.objects.filter(
        fund=fund, account=Account.LOANS, kind=EntryKind.DISBURSEMENT
    ).order_by()
    counts = dict(
        financed.values("contribution_id")
        .annotate(n=Count("id"))
        .values_list("contribution_id", "n")
    )
    latest = (
        financed.annotate(
            rank=Window(
                RowNumber(), partition_by=F("contribution_id"), order_by=F("advance_id").desc()
            )
        )
        .filter(rank__lte=limit)
        .values_list("contribution_id", "advance_id")
    )
    pairs = set(latest)
    rows = (
        LedgerLine.objects.filter(fund=fund, advance__in={advance for _c, advance in pairs})
        .values("contribution_id", "advance_id", "account", "kind")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by()
    )
    balances = ledger._fold(
        {
            ((row["contribution_id"], row["advance_id"]), row["account"], row["kind"]): (
                row["d"] or ZERO,
                row["c"] or ZERO,
            )
            for row in rows
            if (row["contribution_id"], row["advance_id"]) in pairs
        }
    )
    advances = sorted(
        Advance.objects.filter(pk__in={advance for _c, advance in pairs}).select_related(
            "project__company"
        ),
        key=lambda a: (a.disbursed_on or dt.date.min, a.pk),
        reverse=True,
    )
    return {
        contribution_id: {
            "count": count,
            "advances": [
                {"advance": advance, **balances[(contribution_id, advance.pk)].as_dict()}
                for advance in advances
                if (contribution_id, advance.pk) in pairs
            ],
        }
        for contribution_id, count in counts.items()
    }


def funds_of_dispositif(user, dispositif_id: int):
    """The funds an advance of ``dispositif_id`` may be lent from."""
    return Fund.objects.for_user(user, Action.MANAGE_ADVANCE).filter(dispositif_id=dispositif_id)


# -- Advances ---------------------------------------------------------------------------


def advance_detail_queryset(user, action: str = Action.VIEW_ADVANCE):
    return Advance.objects.for_user(user, action).select_related(
        "project__company", "fund", "dispositif", "decision__item__committee", "created_by"
    )


def open_write_off(advance) -> WriteOff | None:
    """The write-off awaiting its second signature, if any."""
    return (
        WriteOff.objects.filter(advance=advance, status=WriteOffStatus.PROPOSED)
        .select_related("proposed_by")
        .first()
    )


def decisions_awaiting_advance(user):
    """Approved committee decisions granting an advance that has not been set up yet, in
    the dispositifs where the user manages advances; oldest decision first.

    "Not set up yet" is a NOT IN over the advances' decisions, which PostgreSQL hashes once
    (a hashed subplan); a NOT EXISTS was run as a nested-loop anti-join probing the advances
    once per approved decision (27 ms on the national bench data)."""
    set_up = Advance.objects.filter(decision__isnull=False).values("decision_id")
    return (
        Decision.objects.for_user(user, Action.MANAGE_ADVANCE)
        .filter(outcome=DecisionOutcome.APPROVED, advance_amount__isnull=False)
        .exclude(pk__in=set_up)
        .select_related("item__project__company", "item__committee", "dispositif")
        .order_by("item__committee__date", "pk")
    )


def decision_for_new_advance(user, pk: int) -> Decision | None:
    return decisions_awaiting_advance(user).filter(pk=pk).first()


# -- Arrears ----------------------------------------------------------------------------


def par_by_dispositif(risks) -> list[dict]:
    """PAR30 per dispositif from its funds' risks (``selectors.portfolio_now``): the
    principal at risk over 30 days of its funds ÷ their outstanding principal, in French
    order of the dispositifs' names."""
    per: dict[int, dict] = {}
    for risk in risks:
        row = per.setdefault(
            risk.fund.dispositif_id,
            {"dispositif": risk.fund.dispositif, **_risk_sums()},
        )
        _add_risk(row, risk)
    return sorted(
        (_with_par30(row) for row in per.values()),
        key=lambda row: french_sort_key(row["dispositif"].name),
    )


def par_total(risks) -> dict:
    """The same figures over every fund given (the network's total for the coordination)."""
    row = _risk_sums()
    for risk in risks:
        _add_risk(row, risk)
    return _with_par30(row)


def _risk_sums() -> dict:
    return {"outstanding": ZERO, "at_risk_30": ZERO, "advances_in_arrears": 0, "provision": ZERO}


def _add_risk(row: dict, risk) -> None:
    row["outstanding"] += risk.outstanding
    row["at_risk_30"] += risk.at_risk_30
    row["advances_in_arrears"] += risk.advances_in_arrears
    row["provision"] += risk.provision


def _with_par30(row: dict) -> dict:
    outstanding = row["outstanding"]
    row["par30"] = (row["at_risk_30"] / outstanding).quantize(RATIO) if outstanding else None
    row["net"] = outstanding - row["provision"]
    return row


# -- Projects: co-financing and the project page's panel ----------------------------------


def project_for_cofinancing(user, pk: int, action: str = Action.VIEW_ADVANCE) -> Project | None:
    """A project of a dispositif where the user may ``action`` on advances."""
    return (
        Project.objects.for_user(user, action)
        .select_related("company", "dispositif")
        .filter(pk=pk)
        .first()
    )


def project_cofinancings(project):
    return (
        Cofinancing.objects.filter(project=project)
        .select_related("recorded_by")
        .order_by("evidence_on", "id")
    )


def project_leverage(project) -> dict:
    """The project's co-financing ÷ its advance (``loans.selectors.leverage``)."""
    return selectors.leverage(
        Advance.objects.filter(project=project), Cofinancing.objects.filter(project=project)
    )
