"""The skill missions' indicators (docs/glossary.md, « Indicateurs »): expert-hours given and
their value, the firms involved, hours asked and pledged — per dispositif and, for the partner
firms' own view, per firm."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from django.db.models import Min, Sum
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext_lazy as _

from alize.indicators import Cell, Indicator, Kind, Source, Unit, register_source
from alize.indicators.cells import flow_cells, period_bounds
from dispositifs.models import Membership, MembershipKind
from partners.models import HOURS_PER_DAY, RateUnit

from .models import FirmMonthHours, HourLog, SkillMission
from .selectors import rates_for

APP = "missions"
CENT = Decimal("0.01")


def _period_value(year: int, month: int) -> str:
    return f"{year}-{month:02d}" if month else str(year)


def _missions_drill(filter_name: str):
    def drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
        return "missions:list", {filter_name: _period_value(year, month)}

    return drill


INDICATORS = [
    Indicator(
        "expert_hours",
        APP,
        _("Heures d'expertise"),
        Unit.HOURS,
        Kind.FLOW,
        _(
            "Heures données par les experts des entreprises partenaires aux PME, datées de la "
            "période (saisies et régularisations comprises, mois clos ou non)."
        ),
        per_firm=True,
        headline=True,
        per_project=True,
        places=1,
        drill=_missions_drill("hours_in"),
        order=10,
    ),
    Indicator(
        "expert_hours_value",
        APP,
        _("Valeur des heures d'expertise"),
        Unit.EUROS,
        Kind.FLOW,
        _(
            "Heures d'expertise de la période valorisées au taux de l'entreprise partenaire "
            "(horaire, ou journalier ÷ 7), à défaut au taux national ; le taux en vigueur "
            "aujourd'hui s'applique à toutes les périodes."
        ),
        per_firm=True,
        headline=True,
        places=2,
        drill=_missions_drill("hours_in"),
        order=20,
    ),
    Indicator(
        "firms_involved",
        APP,
        _("Entreprises partenaires mobilisées"),
        Unit.COUNT,
        Kind.DISTINCT,
        _(
            "Entreprises partenaires distinctes dont un expert a donné au moins une heure dans "
            "la période. Une entreprise présente dans plusieurs dispositifs compte une fois "
            "pour le réseau."
        ),
        about_smes=False,
        drill=_missions_drill("hours_in"),
        order=30,
    ),
    Indicator(
        "hours_asked",
        APP,
        _("Heures demandées"),
        Unit.HOURS,
        Kind.FLOW,
        _(
            "Heures prévues des missions de compétences qui commencent dans la période, "
            "quel que soit leur statut depuis (déclinées comprises)."
        ),
        per_firm=True,
        places=1,
        drill=_missions_drill("starts_in"),
        order=40,
    ),
    Indicator(
        "hours_pledged",
        APP,
        _("Heures promises"),
        Unit.HOURS,
        Kind.FLOW,
        _(
            "Heures par an promises par les entreprises partenaires au tour de table, pour "
            "chaque adhésion en cours pendant l'année (arrivée avant la fin de l'année, départ "
            "après son début). Annuel seulement."
        ),
        monthly=False,
        per_firm=True,
        about_smes=False,
        places=1,
        order=50,
    ),
]


def hours_value(rates, firm_id: int, hours: Decimal) -> Decimal:
    """The value of a firm's hours at its rate (``rates_for``), not rounded: a figure adds
    these up and rounds its total to the cent."""
    rate = rates[firm_id]
    if rate.unit == RateUnit.DAILY:
        return Decimal(hours) * rate.amount / HOURS_PER_DAY
    return Decimal(hours) * rate.amount


def _to_cents(cells: list[Cell]) -> list[Cell]:
    return [
        Cell(
            c.key, c.year, c.month, c.value.quantize(CENT), c.smes, c.top.quantize(CENT), c.firm_id
        )
        for c in cells
    ]


def compute(dispositif_id: int, years: Sequence[int]) -> list[Cell]:
    if not years:
        return []
    hours = list(
        HourLog.objects.filter(
            dispositif_id=dispositif_id,
            date__gte=period_bounds(min(years))[0],
            date__lt=period_bounds(max(years))[1],
        )
        .annotate(month_of=TruncMonth("date"))
        .values_list("mission__project__company_id", "mission__firm_id", "month_of")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    rows = [(company, month, total, firm) for company, firm, month, total in hours if total]
    cells = flow_cells("expert_hours", rows, years, per_firm=True)
    rates = rates_for({firm for _c, _m, _t, firm in rows})
    valued = [(c, m, hours_value(rates, firm, total), firm) for c, m, total, firm in rows]
    cells += _to_cents(flow_cells("expert_hours_value", valued, years, per_firm=True))

    given = _given(FirmMonthHours.objects.filter(dispositif_id=dispositif_id), years)
    cells += [
        Cell("firms_involved", year, month, Decimal(len(firms)))
        for (year, month), firms in sorted(given.items())
        if firms
    ]

    missions = SkillMission.objects.filter(
        dispositif_id=dispositif_id, starts_on__year__in=list(years)
    )
    asked = missions.values_list("project__company_id", "starts_on", "planned_hours", "firm_id")
    cells += flow_cells("hours_asked", list(asked), years, per_firm=True)

    cells += flow_cells(
        "hours_pledged",
        _pledges(dispositif_id, years),
        years,
        monthly=False,
        per_firm=True,
        about_smes=False,
    )
    return cells


def expert_hours_of_projects(project_ids, start: dt.date, end: dt.date) -> dict[int, tuple]:
    """Expert-hours given to each project from ``start`` to ``end`` and their value, as
    ``expert_hours`` and ``expert_hours_value`` count them (hours dated in the period, at the
    firm's rate of today): ``{project id: (hours, value unrounded)}``; projects without hours
    are absent. Reads the active scope."""
    rows = (
        HourLog.objects.filter(
            mission__project_id__in=sorted(project_ids), date__range=(start, end)
        )
        .values_list("mission__project_id", "mission__firm_id")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    rows = [(project, firm, total) for project, firm, total in rows if total]
    rates = rates_for({firm for _p, firm, _t in rows})
    found: dict[int, tuple[Decimal, Decimal]] = {}
    for project, firm, total in rows:
        hours, value = found.get(project, (Decimal(0), Decimal(0)))
        found[project] = (hours + total, value + hours_value(rates, firm, total))
    return found


def _given(month_hours, years: Sequence[int]) -> dict[tuple[int, int], set[int]]:
    """Firms with hours given, by (year, month) and (year, 0)."""
    given: dict[tuple[int, int], set[int]] = {}
    for firm, month in (
        month_hours.filter(month__year__in=list(years), hours__gt=0)
        .values_list("firm_id", "month")
        .distinct()
    ):
        given.setdefault((month.year, 0), set()).add(firm)
        given.setdefault((month.year, month.month), set()).add(firm)
    return given


def _pledges(dispositif_id: int, years: Sequence[int]) -> list:
    memberships = Membership.objects.filter(
        dispositif_id=dispositif_id, kind=MembershipKind.PARTNER_FIRM, pledged_hours_per_year__gt=0
    ).values_list("organisation_id", "joined_on", "left_on", "pledged_hours_per_year")
    rows = []
    for firm, joined, left, pledged in memberships:
        for year in years:
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
            if (joined is None or joined <= end) and (left is None or left >= start):
                rows.append((None, start, pledged, firm))
    return rows


def recount(key: str, groups, year: int, month: int = 0) -> dict:
    """Firms involved over each group of dispositifs (``{name: ids}``, None for all of the
    active scope), in one query."""
    first, after = period_bounds(year, month)
    month_hours = FirmMonthHours.objects.filter(month__gte=first, month__lt=after, hours__gt=0)
    if all(ids is not None for ids in groups.values()):
        every = set().union(*groups.values())
        month_hours = month_hours.filter(dispositif_id__in=sorted(every))
    rows = list(month_hours.order_by().values_list("dispositif_id", "firm_id").distinct())
    return {
        name: Decimal(len({firm for dispositif, firm in rows if ids is None or dispositif in ids}))
        for name, ids in groups.items()
    }


def _first_year(dispositif_id: int) -> int | None:
    first = SkillMission.objects.filter(dispositif_id=dispositif_id).aggregate(
        first=Min("starts_on")
    )
    return first["first"].year if first["first"] else None


register_source(
    Source(
        app=APP,
        compute=compute,
        watched=(
            "missions.HourLog",
            "missions.SkillMission",
            "missions.FirmMonthHours",
            "dispositifs.Membership",
        ),
        national_watched=("partners.ExpertRate",),
        over=recount,
        first_year=_first_year,
    ),
    INDICATORS,
)
