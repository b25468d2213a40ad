"""The firm correspondent's portal: the firm's hours by month and dispositif, their value."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum
from django.http import Http404

from partners.models import ExpertRate, Organisation

from ..models import FirmMonthHours
from ._common import ZERO
from .figures import FirmFigures, firm_year_figures, rate_for
from .reach import managed_firm_ids


@dataclass(frozen=True)
class MonthHours:
    month: dt.date
    dispositif_id: int
    dispositif: str
    hours: Decimal
    value: Decimal


@dataclass
class FirmPortal:
    firm: Organisation
    year: int
    rate: ExpertRate
    months: list[MonthHours]
    figures: FirmFigures

    @property
    def total_hours(self) -> Decimal:
        return sum((m.hours for m in self.months), ZERO)

    @property
    def total_value(self) -> Decimal:
        """The year's contribution in euros (the total hours at the firm's rate)."""
        return self.rate.value_of(self.total_hours)


def firm_portal(*, user, firm: Organisation, year: int) -> FirmPortal:
    """The firm's year across every dispositif it works in: hours by month and
    dispositif, their value at the firm's rate, and the pledge use. The firm must be one
    the user answers for (else 404). Three queries."""
    firms = managed_firm_ids(user)
    if firms is not None and firm.pk not in firms:
        raise Http404
    rate = rate_for(firm)
    rows = (
        FirmMonthHours.objects.filter(
            firm=firm, month__gte=dt.date(year, 1, 1), month__lt=dt.date(year + 1, 1, 1)
        )
        .values("month", "dispositif_id", "dispositif__name")
        .annotate(total=Sum("hours"))
        .order_by("month", "dispositif__name")
    )
    months = [
        MonthHours(
            month=row["month"],
            dispositif_id=row["dispositif_id"],
            dispositif=row["dispositif__name"],
            hours=row["total"],
            value=rate.value_of(row["total"]),
        )
        for row in rows
    ]
    figures = firm_year_figures(firm_ids=[firm.pk], year=year)[firm.pk]
    return FirmPortal(firm=firm, year=year, rate=rate, months=months, figures=figures)
