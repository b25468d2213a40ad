"""Rates and a firm's year: hours asked, pledged and delivered, missions declined."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection
from django.db.models import Q

from alize.tenancy import scope
from partners.models import NATIONAL_HOURLY_RATE, ExpertRate, Organisation, RateUnit


def _national_rate(rates: dict) -> ExpertRate:
    return rates.get(None) or ExpertRate(unit=RateUnit.HOURLY, amount=NATIONAL_HOURLY_RATE)


def rate_for(firm: Organisation | int) -> ExpertRate:
    """The firm's rate, else the national default (the stored one, edited in the admin;
    ``NATIONAL_HOURLY_RATE`` should that row be missing)."""
    firm_id = getattr(firm, "pk", firm)
    rates = {
        r.organisation_id: r
        for r in ExpertRate.objects.filter(
            Q(organisation_id=firm_id) | Q(organisation__isnull=True)
        )
    }
    return rates.get(firm_id) or _national_rate(rates)


def rates_for(firm_ids) -> dict[int, ExpertRate]:
    """Rates of many firms in one query (the national default for those without)."""
    firm_ids = set(firm_ids)
    rates = {
        r.organisation_id: r
        for r in ExpertRate.objects.filter(
            Q(organisation_id__in=firm_ids) | Q(organisation__isnull=True)
        )
    }
    return {firm_id: rates.get(firm_id) or _national_rate(rates) for firm_id in firm_ids}


@dataclass(frozen=True)
class FirmFigures:
    """A firm's year: hours asked, pledged, delivered; missions proposed and declined."""

    firm_id: int
    name: str
    asked: Decimal
    pledged: Decimal
    delivered: Decimal
    missions: int
    declined: int

    @property
    def headroom(self) -> Decimal:
        return self.pledged - self.delivered

    @property
    def under_pledge(self) -> bool:
        return self.delivered < self.pledged

    @property
    def over_pledge(self) -> bool:
        """Delivered more than pledged, or asked more than pledged: the firm is worn."""
        return self.delivered > self.pledged or self.asked > self.pledged

    @property
    def pledge_use(self) -> Decimal | None:
        """Delivered hours as a share of the pledge (1 = the pledge), None without one."""
        if not self.pledged:
            return None
        return (self.delivered / self.pledged).quantize(Decimal("0.001"))


_FIGURES_SQL = """
WITH firm AS (SELECT unnest(%(firms)s::bigint[]) AS id),
asked AS (
    SELECT firm_id, SUM(planned_hours) AS asked, COUNT(*) AS missions,
           COUNT(*) FILTER (WHERE status = 'declined') AS declined
    FROM missions_skillmission
    WHERE firm_id = ANY(%(firms)s) AND starts_on >= %(start)s AND starts_on < %(end)s
    GROUP BY firm_id
),
pledged AS (
    SELECT organisation_id AS firm_id, SUM(pledged_hours_per_year) AS pledged
    FROM dispositifs_membership
    WHERE organisation_id = ANY(%(firms)s)
      AND (joined_on IS NULL OR joined_on < %(end)s)
      AND (left_on IS NULL OR left_on >= %(start)s)
    GROUP BY organisation_id
),
delivered AS (
    SELECT firm_id, SUM(hours) AS delivered
    FROM missions_firmmonthhours
    WHERE firm_id = ANY(%(firms)s) AND month >= %(start)s AND month < %(end)s
    GROUP BY firm_id
)
SELECT o.id, o.name, COALESCE(a.asked, 0), COALESCE(p.pledged, 0),
       COALESCE(d.delivered, 0), COALESCE(a.missions, 0), COALESCE(a.declined, 0)
FROM firm f
JOIN partners_organisation o ON o.id = f.id
LEFT JOIN asked a ON a.firm_id = o.id
LEFT JOIN pledged p ON p.firm_id = o.id
LEFT JOIN delivered d ON d.firm_id = o.id
ORDER BY o.name, o.id
"""


def firm_year_figures(*, firm_ids, year: int) -> dict[int, FirmFigures]:
    """The national figures of these firms for ``year``, in one SQL statement.

    A firm's contribution is national (its hours in a dispositif where it lends across
    territories count too), so the totals are summed over every dispositif; only the
    totals leave the database, never another dispositif's rows."""
    firm_ids = sorted(set(firm_ids))
    if not firm_ids:
        return {}
    params = {"firms": firm_ids, "start": dt.date(year, 1, 1), "end": dt.date(year + 1, 1, 1)}
    reason = "a firm's figures are national totals"
    with scope(every_dispositif=True, reason=reason), connection.cursor() as cursor:
        cursor.execute(_FIGURES_SQL, params)
        rows = cursor.fetchall()
    return {
        row[0]: FirmFigures(
            firm_id=row[0],
            name=row[1],
            asked=Decimal(row[2]),
            pledged=Decimal(row[3]),
            delivered=Decimal(row[4]),
            missions=row[5],
            declined=row[6],
        )
        for row in rows
    }
