"""The daily arrears job's work: overdue instalments, advances into and out of arrears,
each fund's portfolio at risk for the day, and each advance's provision."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from .. import ledger
from ..models import (
    LIVE_STATUSES,
    ZERO,
    Advance,
    AdvanceStatus,
    Fund,
    Instalment,
    PortfolioSnapshot,
)
from ._common import _move, _settled_status
from .provisions import provisions_refresh

PAR_DAYS = 30


@transaction.atomic
def arrears_refresh(*, dispositif, today: dt.date) -> dict:
    """Mark the overdue instalments of the dispositif's live advances (due before
    ``today`` and not fully paid) with their days past due, move advances into arrears (and
    out of it once caught up), and write each fund's portfolio at risk for ``today``.
    Idempotent: running it twice on a day changes nothing more. Returns counts."""
    advances = {
        a.pk: a
        for a in Advance.objects.select_for_update()
        .filter(dispositif=dispositif, status__in=LIVE_STATUSES)
        .order_by("pk")
    }
    instalments = Instalment.objects.filter(
        advance__in=list(advances), superseded_at__isnull=True
    ).order_by()
    worst: dict[int, int] = dict.fromkeys(advances, 0)
    changed = []
    for instalment in instalments:
        late = instalment.paid < instalment.amount and instalment.due_on < today
        days = (today - instalment.due_on).days if late else 0
        if late:
            worst[instalment.advance_id] = max(worst[instalment.advance_id], days)
        if (instalment.overdue, instalment.days_past_due) != (late, days):
            instalment.overdue, instalment.days_past_due = late, days
            changed.append(instalment)
    Instalment.objects.bulk_update(changed, ["overdue", "days_past_due"])
    moved = 0
    for pk, advance in advances.items():
        days = worst[pk]
        if days and advance.status != AdvanceStatus.IN_ARREARS:
            _move(
                advance,
                AdvanceStatus.IN_ARREARS,
                by=None,
                comment=_("Jours de retard : %(days)d") % {"days": days},
            )
            moved += 1
        elif not days and advance.status == AdvanceStatus.IN_ARREARS:
            _move(advance, _settled_status(advance), by=None, comment=_("Retard rattrapé"))
            moved += 1
        if (advance.days_past_due, advance.arrears_checked_on) != (days, today):
            advance.days_past_due, advance.arrears_checked_on = days, today
            advance.save(update_fields=["days_past_due", "arrears_checked_on"])
    balances = ledger.advance_balances(list(advances))
    funds = Fund.objects.filter(dispositif=dispositif).values_list("pk", flat=True)
    fund_out = ledger.fund_balances(funds)
    for fund_id in funds:
        at_risk = sum(
            (
                balances[pk].outstanding
                for pk, a in advances.items()
                if a.fund_id == fund_id and worst[pk] > PAR_DAYS
            ),
            ZERO,
        )
        PortfolioSnapshot.objects.update_or_create(
            dispositif_id=dispositif.pk,
            fund_id=fund_id,
            as_of=today,
            defaults={
                "outstanding": fund_out[fund_id].outstanding,
                "at_risk_30": at_risk,
                "advances_in_arrears": sum(
                    1 for pk, a in advances.items() if a.fund_id == fund_id and worst[pk]
                ),
            },
        )
    provisions = provisions_refresh(
        dispositif=dispositif, today=today, days_past_due=worst, locked=advances
    )
    return {
        "advances": len(advances),
        "overdue_instalments": sum(1 for i in instalments if i.overdue),
        "moved": moved,
        "provisions": provisions,
    }
