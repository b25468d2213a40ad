"""The pipeline's indicators (docs/glossary.md, « Indicateurs »): projects referred, gone to
committee and approved, SMEs supported, jobs to create, created and maintained, survival at
three years, the share of follow-ups the SMEs declared themselves, days from referral to
the first committee.

Follow-ups count once recorded (``JobsFollowUp``): an SME's declaration waiting for the
animateur's review (``FollowUpDeclaration``) counts nowhere until it is validated or
corrected."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from statistics import median

from django.db.models import Min
from django.utils.translation import gettext_lazy as _

from alize.indicators import Cell, Indicator, Kind, Source, Unit, register_source
from alize.indicators.cells import flow_cells, period_bounds, stock_cells, value_cells

from .models import FollowUpSource, JobsFollowUp, Project

APP = "pme"


def _drill(filter_name: str):
    def drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
        return "pme:project-list", {filter_name: _period_value(year, month)}

    return drill


def _period_value(year: int, month: int) -> str:
    return f"{year}-{month:02d}" if month else str(year)


def _follow_ups_drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
    return "pme:follow-up-list", {"latest_in": _period_value(year, month)}


def _survival_drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
    return "pme:follow-up-list", {"year": 3, "as_of_in": _period_value(year, month)}


def _alive_drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
    query = {"year": 3, "as_of_in": _period_value(year, month), "alive": "yes"}
    return "pme:follow-up-list", query


def _recorded_drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
    return "pme:follow-up-list", {"as_of_in": _period_value(year, month)}


def _self_declared_drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
    query = {"as_of_in": _period_value(year, month), "source": FollowUpSource.SELF_DECLARED}
    return "pme:follow-up-list", query


def _smes_drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
    return "pme:company-list", {"approved_in": _period_value(year, month)}


INDICATORS = [
    Indicator(
        "projects_referred",
        APP,
        _("Projets orientés"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Projets dont la date d'orientation tombe dans la période, quelle que soit leur "
            "étape depuis (abandonnés et refusés compris). Date : la date d'orientation saisie "
            "sur le projet."
        ),
        drill=_drill("referred_in"),
        order=10,
    ),
    Indicator(
        "projects_to_committee",
        APP,
        _("Projets passés en comité"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Projets présentés pour la première fois à un comité dans la période (date du "
            "premier comité). Un projet représenté plus tard n'est compté qu'une fois, l'année "
            "de son premier passage."
        ),
        drill=_drill("first_committee_in"),
        order=20,
    ),
    Indicator(
        "projects_approved",
        APP,
        _("Projets accordés"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Projets dont l'accord du comité est daté de la période (date du comité qui a "
            "accordé). Les projets ajournés ou refusés sont exclus."
        ),
        headline=True,
        drill=_drill("approved_in"),
        order=30,
    ),
    Indicator(
        "smes_supported",
        APP,
        _("PME accompagnées"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Entreprises distinctes ayant au moins un projet accordé dans la période. Une PME "
            "qui a deux projets accordés la même année compte une fois."
        ),
        headline=True,
        drill=_smes_drill,
        order=40,
    ),
    Indicator(
        "jobs_to_create",
        APP,
        _("Emplois à créer"),
        Unit.JOBS,
        Kind.FLOW,
        _(
            "Pour les projets accordés dans la période : emplois prévus à 3 ans moins emplois "
            "au démarrage (jamais négatif). L'effectif prévu lui-même n'est pas un nombre "
            "d'emplois créés."
        ),
        headline=True,
        per_project=True,
        drill=_drill("approved_in"),
        order=50,
    ),
    Indicator(
        "jobs_created",
        APP,
        _("Emplois créés"),
        Unit.JOBS,
        Kind.STOCK,
        _(
            "À la fin de la période : somme, sur les projets suivis, des emplois créés depuis "
            "l'accord selon le dernier suivi daté au plus tard ce jour-là (déclaré ou vérifié). "
            "La variation d'une année sur l'autre est le nombre d'emplois créés dans l'année."
        ),
        headline=True,
        per_project=True,
        drill=_follow_ups_drill,
        order=60,
    ),
    Indicator(
        "jobs_maintained",
        APP,
        _("Emplois maintenus"),
        Unit.JOBS,
        Kind.STOCK,
        _(
            "À la fin de la période : somme, sur les projets suivis, des emplois maintenus "
            "selon le dernier suivi daté au plus tard ce jour-là."
        ),
        drill=_follow_ups_drill,
        order=70,
    ),
    Indicator(
        "survival_followed",
        APP,
        _("Projets suivis à 3 ans"),
        Unit.COUNT,
        Kind.FLOW,
        _("Projets dont le suivi de la troisième année est daté de la période."),
        drill=_survival_drill,
        order=80,
    ),
    Indicator(
        "survival_alive",
        APP,
        _("Entreprises en activité à 3 ans"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Parmi les projets suivis à 3 ans dans la période, ceux dont l'entreprise a un "
            "effectif non nul au suivi de la troisième année."
        ),
        drill=_alive_drill,
        order=81,
    ),
    Indicator(
        "survival_3y",
        APP,
        _("Survie à 3 ans"),
        Unit.PERCENT,
        Kind.RATIO,
        _(
            "Entreprises en activité à 3 ans ÷ projets suivis à 3 ans, dans la période, en %. "
            "Les projets sans suivi de troisième année sont exclus."
        ),
        numerator="survival_alive",
        denominator="survival_followed",
        factor=100,
        places=1,
        headline=True,
        order=82,
    ),
    Indicator(
        "follow_ups_recorded",
        APP,
        _("Suivis des emplois enregistrés"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Suivis des emplois (toutes années de suivi) datés de la période, saisis par "
            "l'animateur ou déclarés par la PME puis validés ou corrigés. Une déclaration de "
            "PME en attente de validation n'est pas comptée."
        ),
        drill=_recorded_drill,
        public=False,
        order=83,
    ),
    Indicator(
        "follow_ups_self_declared",
        APP,
        _("Suivis déclarés par les PME"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Parmi les suivis enregistrés datés de la période, ceux dont les chiffres sont "
            "ceux que la PME a déclarés elle-même par son lien, validés tels quels par "
            "l'animateur. Une déclaration corrigée compte avec la source de la correction."
        ),
        drill=_self_declared_drill,
        public=False,
        order=84,
    ),
    Indicator(
        "follow_ups_self_declared_share",
        APP,
        _("Part des suivis déclarés par les PME"),
        Unit.PERCENT,
        Kind.RATIO,
        _(
            "Suivis déclarés par les PME ÷ suivis des emplois enregistrés, dans la période, "
            "en %. Seuls les chiffres validés comptent."
        ),
        numerator="follow_ups_self_declared",
        denominator="follow_ups_recorded",
        factor=100,
        places=1,
        public=False,
        order=85,
    ),
    Indicator(
        "days_to_committee",
        APP,
        _("Jours de l'orientation au comité"),
        Unit.DAYS,
        Kind.MEDIAN,
        _(
            "Médiane, sur les projets passés pour la première fois en comité dans la période, "
            "du nombre de jours entre la date d'orientation et celle du premier comité. Une "
            "orientation datée après le comité (saisie rétroactive) est exclue."
        ),
        about_smes=False,
        drill=_drill("first_committee_in"),
        order=90,
    ),
]


def jobs_to_create_of(jobs_at_start: int, jobs_planned_3y: int) -> int:
    """The jobs one project is to create (``jobs_to_create``): planned at 3 years − at
    start, never negative."""
    return max(jobs_planned_3y - jobs_at_start, 0)


def jobs_created_at(project_ids, day) -> dict[int, int]:
    """The jobs each project has created as of ``day`` (``jobs_created``): those of its
    latest follow-up dated on or before ``day``; a project without one is absent. Reads the
    active scope."""
    latest = (
        JobsFollowUp.objects.filter(project_id__in=sorted(project_ids), as_of__lte=day)
        .order_by("project_id", "-as_of", "-year")
        .distinct("project_id")
        .values_list("project_id", "jobs_created")
    )
    return dict(latest)


def _first_year(dispositif_id: int) -> int | None:
    first = Project.objects.filter(dispositif_id=dispositif_id).aggregate(first=Min("referred_on"))
    return first["first"].year if first["first"] else None


def _delays(projects) -> dict[tuple[int, int], list[int]]:
    by_period: dict[tuple[int, int], list[int]] = {}
    for first, referred in projects.values_list("first_committee_on", "referred_on"):
        if referred is None or first < referred:
            continue
        days = (first - referred).days
        by_period.setdefault((first.year, 0), []).append(days)
        by_period.setdefault((first.year, first.month), []).append(days)
    return by_period


def _median(values: list[int]) -> Decimal | None:
    return Decimal(str(median(values))) if values else None


def compute(dispositif_id: int, years: Sequence[int]) -> list[Cell]:
    projects = Project.objects.filter(dispositif_id=dispositif_id)
    rows = list(
        projects.values_list(
            "company_id",
            "referred_on",
            "first_committee_on",
            "approved_on",
            "jobs_at_start",
            "jobs_planned_3y",
        )
    )
    cells = flow_cells(
        "projects_referred", [(c, r, 1, 0) for c, r, _f, _a, _s, _p in rows if r], years
    )
    cells += flow_cells(
        "projects_to_committee", [(c, f, 1, 0) for c, _r, f, _a, _s, _p in rows if f], years
    )
    approved = [(c, a, s, p) for c, _r, _f, a, s, p in rows if a]
    cells += flow_cells("projects_approved", [(c, a, 1, 0) for c, a, _s, _p in approved], years)
    for cell in flow_cells("smes_supported", [(c, a, 1, 0) for c, a, _s, _p in approved], years):
        cells.append(
            Cell(cell.key, cell.year, cell.month, Decimal(cell.smes or 0), cell.smes, Decimal(1))
        )
    cells += flow_cells(
        "jobs_to_create", [(c, a, jobs_to_create_of(s, p), 0) for c, a, s, p in approved], years
    )

    follow_ups = list(
        JobsFollowUp.objects.filter(dispositif_id=dispositif_id)
        .order_by("project_id", "as_of", "year")
        .values_list(
            "project_id",
            "project__company_id",
            "as_of",
            "year",
            "headcount",
            "jobs_created",
            "jobs_maintained",
            "source",
        )
    )
    # A stock of the latest follow-up per project: each follow-up replaces the one before.
    created_events, maintained_events = [], []
    previous: dict[int, tuple[int, int]] = {}
    for project, company, as_of, _year, _head, created, maintained, _source in follow_ups:
        was_created, was_maintained = previous.get(project, (0, 0))
        created_events.append((company, as_of, created - was_created, 0))
        maintained_events.append((company, as_of, maintained - was_maintained, 0))
        previous[project] = (created, maintained)
    cells += stock_cells("jobs_created", created_events, years)
    cells += stock_cells("jobs_maintained", maintained_events, years)
    third = [
        (company, as_of, head)
        for _p, company, as_of, year, head, _c, _m, _s in follow_ups
        if year == 3
    ]
    cells += flow_cells("survival_followed", [(c, d, 1, 0) for c, d, _h in third], years)
    cells += flow_cells("survival_alive", [(c, d, 1, 0) for c, d, h in third if h > 0], years)
    recorded = [(row[1], row[2], row[7]) for row in follow_ups]
    cells += flow_cells("follow_ups_recorded", [(c, d, 1, 0) for c, d, _s in recorded], years)
    self_declared = [(c, d, 1, 0) for c, d, s in recorded if s == FollowUpSource.SELF_DECLARED]
    cells += flow_cells("follow_ups_self_declared", self_declared, years)

    delays = _delays(projects.filter(first_committee_on__year__in=list(years)))
    cells += value_cells(
        "days_to_committee", {period: _median(days) for period, days in delays.items()}
    )
    return cells


def days_to_committee_of(projects, year: int, month: int = 0) -> Decimal | None:
    """The median days to committee of ``projects`` (a queryset) for a year or a month:
    what the figure's drill-down list shows under its rows."""
    return _median(_delays(projects).get((year, month), []))


def median_over(key: str, groups, year: int, month: int = 0) -> dict:
    """The median days to committee over each group of dispositifs (``{name: ids}``, None
    for all of the active scope), in one query: recomputed over their projects, never a
    median of medians."""
    first, after = period_bounds(year, month)
    projects = Project.objects.filter(first_committee_on__gte=first, first_committee_on__lt=after)
    if all(ids is not None for ids in groups.values()):
        every = set().union(*groups.values())
        projects = projects.filter(dispositif_id__in=sorted(every))
    rows = list(projects.values_list("dispositif_id", "first_committee_on", "referred_on"))
    result = {}
    for name, ids in groups.items():
        days = [
            (first - referred).days
            for dispositif, first, referred in rows
            if (ids is None or dispositif in ids) and referred is not None and first >= referred
        ]
        result[name] = _median(days)
    return result


register_source(
    Source(
        app=APP,
        compute=compute,
        watched=("pme.Project", "pme.JobsFollowUp"),
        over=median_over,
        first_year=_first_year,
    ),
    INDICATORS,
)
