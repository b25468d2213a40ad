"""The repayable advances' indicators (docs/glossary.md, « Indicateurs »): granted, disbursed,
outstanding, repaid, lost, PAR30, leverage and fund utilisation. Amounts are sums of the
ledger, never counters of their own."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Min, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.indicators import Cell, Indicator, Kind, Source, Unit, register_source
from alize.indicators.cells import flow_cells, period_ends, stock_cells
from pme.indicators import jobs_created_at, jobs_to_create_of
from pme.models import Project

from .ledger import Balances, balances_by
from .models import (
    Account,
    Advance,
    Cofinancing,
    ContributionKind,
    EntryKind,
    FundContribution,
    LedgerLine,
    PortfolioSnapshot,
)

APP = "loans"


def _period_value(year: int, month: int) -> str:
    return f"{year}-{month:02d}" if month else str(year)


def _drill(filter_name: str, **extra):
    def drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
        return "loans:advance-list", {filter_name: _period_value(year, month), **extra}

    return drill


def _in_arrears_drill(dispositif_id, year: int, month: int = 0) -> tuple[str, dict]:
    return "loans:advance-list", {"par30": "1"}


INDICATORS = [
    Indicator(
        "advances_granted",
        APP,
        _("Avances accordées"),
        Unit.COUNT,
        Kind.FLOW,
        _(
            "Avances remboursables accordées dans la période (date du comité qui les a "
            "accordées, à défaut date de saisie de l'avance)."
        ),
        drill=_drill("granted_in"),
        order=10,
    ),
    Indicator(
        "advances_granted_amount",
        APP,
        _("Montant des avances accordées"),
        Unit.EUROS,
        Kind.FLOW,
        _("Montant des avances accordées dans la période (même date)."),
        places=2,
        per_project=True,
        drill=_drill("granted_in"),
        order=11,
    ),
    Indicator(
        "advances_disbursed",
        APP,
        _("Avances décaissées"),
        Unit.COUNT,
        Kind.FLOW,
        _("Avances dont la date de décaissement tombe dans la période."),
        drill=_drill("disbursed_in"),
        order=20,
    ),
    Indicator(
        "advances_disbursed_amount",
        APP,
        _("Montant décaissé"),
        Unit.EUROS,
        Kind.FLOW,
        _(
            "Principal décaissé dans la période, selon le grand livre (écritures de "
            "décaissement datées de la période)."
        ),
        headline=True,
        places=2,
        drill=_drill("disbursed_in"),
        order=21,
    ),
    Indicator(
        "outstanding",
        APP,
        _("Encours"),
        Unit.EUROS,
        Kind.STOCK,
        _(
            "Principal restant dû à la fin de la période : décaissé − remboursé − passé en "
            "perte, selon les écritures du grand livre datées au plus tard ce jour-là."
        ),
        headline=True,
        places=2,
        drill=_drill("outstanding_at"),
        order=30,
    ),
    Indicator(
        "repaid",
        APP,
        _("Remboursé"),
        Unit.EUROS,
        Kind.FLOW,
        _(
            "Principal remboursé dans la période, annulations de remboursement déduites "
            "(écritures datées de la période)."
        ),
        places=2,
        drill=_drill("repaid_in"),
        order=40,
    ),
    Indicator(
        "lost",
        APP,
        _("Pertes"),
        Unit.EUROS,
        Kind.FLOW,
        _("Principal passé en perte dans la période (écritures de passage en perte)."),
        places=2,
        drill=_drill("written_off_in"),
        order=50,
    ),
    Indicator(
        "at_risk_30",
        APP,
        _("Encours à risque > 30 jours"),
        Unit.EUROS,
        Kind.STOCK,
        _(
            "Selon le dernier calcul quotidien des retards fait au plus tard à la fin de la "
            "période : principal restant dû des avances dont une échéance a plus de 30 jours "
            "de retard. Non publié hors du réseau : il ne se décompose pas par PME."
        ),
        about_smes=False,
        public=False,
        places=2,
        drill=_in_arrears_drill,
        order=60,
    ),
    Indicator(
        "portfolio_outstanding",
        APP,
        _("Encours au dernier calcul des retards"),
        Unit.EUROS,
        Kind.STOCK,
        _(
            "Encours des fonds au dernier calcul quotidien des retards fait au plus tard à la "
            "fin de la période (le dénominateur du PAR30)."
        ),
        about_smes=False,
        public=False,
        places=2,
        order=61,
    ),
    Indicator(
        "par30",
        APP,
        _("PAR30"),
        Unit.PERCENT,
        Kind.RATIO,
        _(
            "Encours à risque > 30 jours ÷ encours, tous deux au dernier calcul des retards "
            "fait au plus tard à la fin de la période, en %."
        ),
        numerator="at_risk_30",
        denominator="portfolio_outstanding",
        factor=100,
        places=1,
        about_smes=False,
        public=False,
        headline=True,
        order=62,
    ),
    Indicator(
        "cofinancing",
        APP,
        _("Cofinancements obtenus"),
        Unit.EUROS,
        Kind.FLOW,
        _(
            "Cofinancements (prêts bancaires, fonds propres, subventions…) des projets dont la "
            "première avance a été décaissée dans la période, comptés l'année de ce "
            "décaissement."
        ),
        places=2,
        order=70,
    ),
    Indicator(
        "leverage",
        APP,
        _("Effet de levier"),
        Unit.RATIO,
        Kind.RATIO,
        _(
            "Cofinancements obtenus ÷ montant décaissé, dans la période : combien d'euros "
            "d'autres financeurs pour un euro d'avance."
        ),
        numerator="cofinancing",
        denominator="advances_disbursed_amount",
        places=2,
        headline=True,
        order=71,
    ),
    Indicator(
        "fund_resources",
        APP,
        _("Ressources des fonds"),
        Unit.EUROS,
        Kind.STOCK,
        _("Encours + trésorerie des fonds d'avances à la fin de la période, selon le grand livre."),
        about_smes=False,
        public=False,
        places=2,
        order=80,
    ),
    Indicator(
        "fund_utilisation",
        APP,
        _("Utilisation des fonds"),
        Unit.PERCENT,
        Kind.RATIO,
        _("Encours ÷ (encours + trésorerie) des fonds d'avances à la fin de la période, en %."),
        numerator="outstanding",
        denominator="fund_resources",
        factor=100,
        places=1,
        about_smes=False,
        public=False,
        order=81,
    ),
]


def compute(dispositif_id: int, years: Sequence[int]) -> list[Cell]:
    advances = list(
        Advance.objects.filter(dispositif_id=dispositif_id).values_list(
            "project__company_id", "amount", "decision__item__committee__date", "created_at"
        )
    )
    granted = [
        (company, decided or timezone.localtime(created).date(), amount, 0)
        for company, amount, decided, created in advances
    ]
    cells = flow_cells("advances_granted", [(c, d, 1, 0) for c, d, _a, _f in granted], years)
    cells += flow_cells("advances_granted_amount", granted, years)

    lines = list(
        LedgerLine.objects.filter(dispositif_id=dispositif_id)
        .values_list("advance__project__company_id", "occurred_on", "account", "kind")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by()
    )
    loans = [row for row in lines if row[2] == Account.LOANS]
    disbursed = [
        (c, d, debit, 0) for c, d, _a, k, debit, _cr in loans if k == EntryKind.DISBURSEMENT
    ]
    cells += flow_cells("advances_disbursed_amount", disbursed, years)
    cells += stock_cells(
        "outstanding", [(c, d, debit - credit, 0) for c, d, _a, _k, debit, credit in loans], years
    )
    repaid = [
        (c, d, credit - debit, 0)
        for c, d, _a, k, debit, credit in loans
        if k in (EntryKind.REPAYMENT, EntryKind.REVERSAL)
    ]
    cells += flow_cells("repaid", repaid, years)
    lost = [
        (c, d, credit - debit, 0)
        for c, d, _a, k, debit, credit in loans
        if k == EntryKind.WRITE_OFF
    ]
    cells += flow_cells("lost", lost, years)
    resources = [
        (None, d, debit - credit, 0)
        for _c, d, account, _k, debit, credit in lines
        if account in (Account.LOANS, Account.CASH)
    ]
    cells += stock_cells("fund_resources", resources, years, about_smes=False)

    disbursals = list(
        Advance.objects.filter(dispositif_id=dispositif_id, disbursed_on__isnull=False)
        .values_list("project_id", "project__company_id", "disbursed_on")
        .order_by("project_id", "disbursed_on")
    )
    cells += flow_cells("advances_disbursed", [(c, d, 1, 0) for _p, c, d in disbursals], years)
    first_disbursal: dict[int, tuple] = {}
    for project, company, day in disbursals:
        first_disbursal.setdefault(project, (company, day))
    cofinanced = (
        Cofinancing.objects.filter(
            dispositif_id=dispositif_id, project_id__in=list(first_disbursal)
        )
        .values_list("project_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    cells += flow_cells(
        "cofinancing",
        [(*first_disbursal[project], total, 0) for project, total in cofinanced],
        years,
    )
    cells += _snapshot_cells(dispositif_id, years)
    return cells


def _snapshot_cells(dispositif_id: int, years: Sequence[int]) -> list[Cell]:
    """PAR30's two parts: each fund's latest snapshot on or before each period's end."""
    snapshots = list(
        PortfolioSnapshot.objects.filter(dispositif_id=dispositif_id)
        .order_by("as_of", "id")
        .values_list("fund_id", "as_of", "outstanding", "at_risk_30")
    )
    if not snapshots:
        return []
    cells = []
    for year, month, end in period_ends(years):
        latest: dict[int, tuple[Decimal, Decimal]] = {}
        for fund, as_of, outstanding, at_risk in snapshots:
            if as_of > end:
                break
            latest[fund] = (outstanding, at_risk)
        if not latest:
            continue
        outstanding = sum((o for o, _r in latest.values()), Decimal(0))
        at_risk = sum((r for _o, r in latest.values()), Decimal(0))
        cells.append(Cell("portfolio_outstanding", year, month, outstanding))
        cells.append(Cell("at_risk_30", year, month, at_risk))
    return cells


def _first_year(dispositif_id: int) -> int | None:
    first = LedgerLine.objects.filter(dispositif_id=dispositif_id).aggregate(
        first=Min("occurred_on")
    )
    return first["first"].year if first["first"] else None


# -- One funding source's figures (the funders' reports) ------------------------------
#
# Not kept in the facts table: a source's money crosses dispositifs and its report asks for
# any period. The figures are the indicators above restricted to the ledger lines that
# carry the source's contributions, and the pipeline's job indicators weighted by the share
# of each project's advances that the source financed.

FUNDER_DEFINITIONS = {
    "contributed": _(
        "Apports de la source reçus au plus tard à la fin de la période (écritures d'apport)."
    ),
    "financed": _(
        "Principal des avances décaissé sur l'argent de la source, selon l'attribution du "
        "grand livre (chaque écriture de décaissement nomme l'apport dont elle vient)."
    ),
    "repaid": _(
        "Principal remboursé sur la part de la source, annulations de remboursement déduites "
        "(mêmes écritures que l'indicateur « Remboursé »)."
    ),
    "lost": _(
        "Principal passé en perte sur la part de la source (mêmes écritures que "
        "l'indicateur « Pertes »)."
    ),
    "outstanding": _(
        "Principal restant dû sur la part de la source à la fin de la période (comme "
        "l'indicateur « Encours »)."
    ),
    "provision": _(
        "Provision sur la part de la source à la fin de la période : la part de son encours "
        "mise de côté contre le risque de perte, au taux du fonds pour les jours de retard de "
        "chaque avance (écritures de dotation, reprise et utilisation du compte de provisions)."
    ),
    "net": _("Encours sur sa part moins la provision sur sa part, à la fin de la période."),
    "share": _(
        "Part de la source dans un projet : principal des avances du projet décaissé sur son "
        "argent ÷ principal décaissé de toutes ces avances, au plus tard à la fin de la "
        "période."
    ),
    "jobs_attributed": _(
        "Emplois attribués à la source : somme, sur les projets qu'elle a financés, de sa part "
        "× les emplois créés du projet à la fin de la période (dernier suivi daté au plus "
        "tard ce jour-là, comme l'indicateur « Emplois créés »)."
    ),
    "jobs_to_create_attributed": _(
        "Emplois à créer attribués à la source : même part × emplois prévus à 3 ans moins "
        "emplois au démarrage du projet (comme l'indicateur « Emplois à créer »)."
    ),
    "jobs_to_recreate": _(
        "Convention de revitalisation : somme des emplois à recréer saisis sur ses apports."
    ),
}

JOBS_PLACES = Decimal("0.1")
SHARE_PLACES = Decimal("0.0001")


def _sum_balances(items) -> Balances:
    total = Balances()
    for books in items:
        for name, value in books.as_dict().items():
            setattr(total, name, getattr(total, name) + value)
    return total


@dataclass(frozen=True)
class FunderAdvance:
    """One advance the source's money financed: its part of the principal (``financed`` to
    the period's end), repaid and lost on that part in the period, outstanding and its
    provision at the end."""

    advance_id: int
    project_id: int
    dispositif: str
    company: str
    project: str
    disbursed_on: dt.date | None
    principal: Decimal
    financed: Decimal
    financed_in_period: Decimal
    repaid: Decimal
    lost: Decimal
    outstanding: Decimal
    provision: Decimal = Decimal(0)


@dataclass(frozen=True)
class FunderProject:
    """A project behind the source's advances, its share and the jobs attributed to it."""

    project_id: int
    dispositif: str
    company_id: int
    company: str
    project: str
    financed: Decimal
    principal: Decimal
    share: Decimal
    jobs_created: int
    jobs_to_create: int
    jobs_attributed: Decimal
    jobs_to_create_attributed: Decimal


@dataclass
class FunderFigures:
    """One funding source's figures from ``start`` to ``end`` (see ``funder_figures``)."""

    kind: str
    agreement: tuple[int, str] | None
    start: dt.date
    end: dt.date
    contributions: list[FundContribution] = field(default_factory=list)
    position: Balances = field(default_factory=Balances)
    period: Balances = field(default_factory=Balances)
    advances: list[FunderAdvance] = field(default_factory=list)
    projects: list[FunderProject] = field(default_factory=list)
    jobs_to_recreate: int | None = None

    @property
    def smes(self) -> int:
        return len({project.company_id for project in self.projects})

    @property
    def jobs_attributed(self) -> Decimal:
        return sum((p.jobs_attributed for p in self.projects), Decimal(0)).quantize(JOBS_PLACES)

    @property
    def jobs_to_create_attributed(self) -> Decimal:
        total = sum((p.jobs_to_create_attributed for p in self.projects), Decimal(0))
        return total.quantize(JOBS_PLACES)


def funder_contributions(kind: str, agreement: tuple[int, str] | None = None):
    """The contributions of a funding source in the active scope: every contribution of
    ``kind``, or of one revitalisation agreement ``(agreement firm id, agreement)``."""
    contributions = FundContribution.objects.filter(kind=kind)
    if agreement is not None:
        firm_id, name = agreement
        contributions = contributions.filter(agreement_firm_id=firm_id, agreement=name)
    return contributions


def funder_figures(
    kind: str, agreement: tuple[int, str] | None, start: dt.date, end: dt.date
) -> FunderFigures:
    """What one funding source's money did, in the active scope (one dispositif, or every
    one for the coordination), from ``start`` to ``end`` (``FUNDER_DEFINITIONS``):

    - its contributions received by ``end``, and its books: ``position`` at the end (sums of
      the ledger lines carrying its contributions, dated on or before ``end``: contributed,
      available, lent, repaid, lost, outstanding — ``loans.ledger.contribution_balances``
      summed, as of that day) and ``period`` (the same lines dated in the period);
    - the advances its money financed by ``end``, each with the source's part;
    - the projects and SMEs behind them, the source's share of each project and the jobs
      attributed to it (share × jobs created at the end, share × jobs to create);
    - for a revitalisation agreement, the jobs it must help re-create.
    """
    contributions = list(
        funder_contributions(kind, agreement)
        .filter(received_on__lte=end)
        .select_related("fund", "organisation", "agreement_firm", "dispositif")
        .order_by("dispositif__name", "received_on", "id")
    )
    figures = FunderFigures(kind, agreement, start, end, contributions)
    if kind == ContributionKind.REVITALISATION:
        figures.jobs_to_recreate = sum(c.jobs_to_recreate for c in contributions)
    ids = [c.pk for c in contributions]
    if not ids:
        return figures
    to_end = {"contribution__in": ids, "occurred_on__lte": end}
    in_period = {"contribution__in": ids, "occurred_on__range": (start, end)}
    figures.position = _sum_balances(balances_by("contribution", **to_end).values())
    figures.period = _sum_balances(balances_by("contribution", **in_period).values())

    ours = {k: v for k, v in balances_by("advance", **to_end).items() if k and v.lent}
    ours_in_period = balances_by("advance", **in_period)
    principal = balances_by("advance", advance__in=sorted(ours), occurred_on__lte=end)
    advances = (
        Advance.objects.filter(pk__in=sorted(ours))
        .values_list(
            "pk",
            "project_id",
            "dispositif__name",
            "project__company__name",
            "project__title",
            "disbursed_on",
        )
        .order_by("dispositif__name", "project__company__name", "disbursed_on", "pk")
    )
    for pk, project, dispositif, company, title, disbursed_on in advances:
        books, moved = ours[pk], ours_in_period.get(pk, Balances())
        figures.advances.append(
            FunderAdvance(
                pk,
                project,
                dispositif,
                company,
                title,
                disbursed_on,
                principal[pk].lent,
                books.lent,
                moved.lent,
                moved.repaid,
                moved.lost,
                books.outstanding,
                books.provision,
            )
        )
    figures.projects = _funder_projects(figures.advances, end)
    return figures


def _funder_projects(advances: list[FunderAdvance], end: dt.date) -> list[FunderProject]:
    financed: dict[int, list[Decimal]] = {}
    for advance in advances:
        parts = financed.setdefault(advance.project_id, [Decimal(0), Decimal(0)])
        parts[0] += advance.financed
        parts[1] += advance.principal
    created = jobs_created_at(financed, end)
    projects = []
    rows = (
        Project.objects.filter(pk__in=sorted(financed))
        .values_list(
            "pk",
            "dispositif__name",
            "company_id",
            "company__name",
            "title",
            "jobs_at_start",
            "jobs_planned_3y",
        )
        .order_by("dispositif__name", "company__name", "pk")
    )
    for pk, dispositif, company_id, company, title, at_start, planned in rows:
        ours, principal = financed[pk]
        share = ours / principal if principal else Decimal(0)
        jobs = created.get(pk, 0)
        to_create = jobs_to_create_of(at_start, planned)
        projects.append(
            FunderProject(
                pk,
                dispositif,
                company_id,
                company,
                title,
                ours,
                principal,
                share.quantize(SHARE_PLACES),
                jobs,
                to_create,
                share * jobs,
                share * to_create,
            )
        )
    return projects


register_source(
    Source(
        app=APP,
        compute=compute,
        watched=(
            "loans.Advance",
            "loans.JournalTransaction",
            "loans.Cofinancing",
            "loans.PortfolioSnapshot",
        ),
        first_year=_first_year,
    ),
    INDICATORS,
)
