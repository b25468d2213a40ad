"""The committees' indicators (docs/glossary.md, « Indicateurs »): committees held and the
decisions by outcome."""

from __future__ import annotations

from collections.abc import Sequence

from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from alize.indicators import Cell, Indicator, Kind, Source, Unit, register_source
from alize.indicators.cells import flow_cells

from .models import HELD_STATUSES, Committee, Decision, DecisionOutcome

APP = "committees"


def _period_value(year: int, month: int) -> str:
    return f"{year}-{month:02d}" if month else str(year)


def _held_drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
    return "committees:list", {"held_in": _period_value(year, month)}


def _decisions_drill(outcome: str):
    def drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
        return "pme:project-list", {"decided_in": _period_value(year, month), "outcome": outcome}

    return drill


INDICATORS = [
    Indicator(
        "committees_held",
        APP,
        _("Comités tenus"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Comités datés de la période et tenus (compte rendu envoyé ou non). Les comités "
            "prévus, ordre du jour envoyé ou annulés sont exclus."
        ),
        about_smes=False,
        drill=_held_drill,
        order=10,
    ),
    Indicator(
        "decisions_approved",
        APP,
        _("Dossiers accordés"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Décisions « accordé » des comités datés de la période, après correction éventuelle "
            "(la décision en vigueur compte, pas celle d'origine)."
        ),
        drill=_decisions_drill(DecisionOutcome.APPROVED),
        order=20,
    ),
    Indicator(
        "decisions_deferred",
        APP,
        _("Dossiers ajournés"),
        Unit.COUNT,
        Kind.FLOW,
        _("Décisions « ajourné » des comités datés de la période, après correction éventuelle."),
        drill=_decisions_drill(DecisionOutcome.DEFERRED),
        order=21,
    ),
    Indicator(
        "decisions_rejected",
        APP,
        _("Dossiers refusés"),
        Unit.COUNT,
        Kind.FLOW,
        _("Décisions « refusé » des comités datés de la période, après correction éventuelle."),
        drill=_decisions_drill(DecisionOutcome.REJECTED),
        order=22,
    ),
]

OUTCOME_KEYS = {
    DecisionOutcome.APPROVED: "decisions_approved",
    DecisionOutcome.DEFERRED: "decisions_deferred",
    DecisionOutcome.REJECTED: "decisions_rejected",
}


def compute(dispositif_id: int, years: Sequence[int]) -> list[Cell]:
    held = Committee.objects.filter(dispositif_id=dispositif_id, status__in=HELD_STATUSES)
    cells = flow_cells(
        "committees_held",
        [(None, day, 1, 0) for day in held.values_list("date", flat=True)],
        years,
        about_smes=False,
    )
    decisions = list(
        Decision.objects.filter(dispositif_id=dispositif_id).values_list(
            "outcome", "item__project__company_id", "item__committee__date"
        )
    )
    for outcome, key in OUTCOME_KEYS.items():
        rows = [(company, day, 1, 0) for o, company, day in decisions if o == outcome]
        cells += flow_cells(key, rows, years)
    return cells


def _first_year(dispositif_id: int) -> int | None:
    first = Committee.objects.filter(dispositif_id=dispositif_id).aggregate(first=Min("date"))
    return first["first"].year if first["first"] else None


register_source(
    Source(
        app=APP,
        compute=compute,
        watched=("committees.Committee", "committees.Decision", "committees.AgendaItem"),
        first_year=_first_year,
    ),
    INDICATORS,
)
