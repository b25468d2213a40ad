"""Read side of reporting: which documents a person reads (the access policy, in one
place), and the figures the PDF builders lay out. Builders run inside the document's scope
(``reporting.tasks``), so their tenant queries are scoped like any other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from alize.actions import Action
from alize.charts import Bar
from alize.indicators import facts, reading
from alize.indicators.reading import Figure
from alize.indicators.registry import Indicator, ordered
from alize.tenancy import scope
from committees.models import (
    AgendaItem,
    Attendance,
    Committee,
    CommitteeStatus,
    DecisionParticipant,
    InterestDeclaration,
    PartnerCommitment,
)
from dispositifs.access import dispositif_ids, document_firm_ids
from dispositifs.models import Dispositif, Membership, MembershipKind
from loans import selectors as loan_selectors
from loans.indicators import FunderFigures, FunderProject, funder_figures
from loans.models import (
    ZERO,
    Advance,
    AdvanceStatus,
    AdvanceTransition,
    ContributionKind,
    DirectDebitMandate,
    FundContribution,
    Instalment,
)
from loans.services import first_schedule
from missions.indicators import expert_hours_of_projects
from missions.models import FirmMonthHours, HourLog, SkillMission
from missions.selectors import (
    FirmFigures,
    firm_year_figures,
    mission_logged_hours,
    rate_for,
    rates_for,
)
from partners.models import Organisation, OrganisationKind, Skill
from pme.models import FUNNEL, Project, Stage, StageTransition

from .models import COMMITTEE_KINDS, Document, DocumentScope

# Dispositif.agenda_days_before is at most this (its validator).
AGENDA_DAYS_BEFORE_MAX = 60


# Who reads which document ------------------------------------------------------------------
def document_condition(user, action: str = Action.VIEW_DOCUMENT) -> Q:
    """The documents ``user`` may ``action``: a dispositif's where the policy allows it (the
    agendas and minutes only, for those who do not manage the dispositif), a firm's for
    the firms ``document_firm_ids`` names, national ones for those who reach every dispositif."""
    allowed = dispositif_ids(user, action)
    if allowed is None:
        return Q()
    managed = dispositif_ids(user, Action.MANAGE)
    full = allowed if managed is None else allowed & managed
    condition = Q(scope=DocumentScope.DISPOSITIF) & (
        Q(dispositif_id__in=sorted(full))
        | Q(dispositif_id__in=sorted(allowed - full), kind__in=sorted(COMMITTEE_KINDS))
    )
    firms = document_firm_ids(user, action)
    if firms is None:
        condition |= Q(scope=DocumentScope.FIRM)
    elif firms:
        condition |= Q(scope=DocumentScope.FIRM, organisation_id__in=sorted(firms))
    return condition


def documents_for(user, action: str = Action.VIEW_DOCUMENT):
    """Documents ``user`` may ``action``, newest first, with what lists show."""
    if not getattr(user, "is_authenticated", False):
        return Document.objects.none()
    return (
        Document.objects.filter(document_condition(user, action))
        .select_related("dispositif", "organisation", "committee", "requested_by", "agreement_firm")
        .order_by("-created_at", "-id")
    )


def may_read_documents(user) -> bool:
    """Does ``user`` read any document at all (the Documents page and its menu entry)?"""
    ids = dispositif_ids(user, Action.VIEW_DOCUMENT)
    return ids is None or bool(ids) or bool(document_firm_ids(user, Action.VIEW_DOCUMENT))


def requestable_dispositifs(user):
    """Dispositifs where ``user`` may ask for documents (the « generate » forms)."""
    return Dispositif.objects.for_user(user, Action.REQUEST_DOCUMENT).order_by("name")


def requestable_committees(user):
    """Committees whose agenda or minutes ``user`` may ask for, most recent first."""
    return (
        Committee.objects.for_user(user, Action.REQUEST_DOCUMENT)
        .select_related("dispositif")
        .order_by("-date", "-id")
    )


def may_request_national(user) -> bool:
    return dispositif_ids(user, Action.REQUEST_DOCUMENT) is None


def committee_documents(user, committee):
    """The current documents of a committee that ``user`` reads (the committee page)."""
    return documents_for(user).filter(committee=committee, is_current=True)


def requestable_agreements(user) -> list[tuple[Organisation, str]]:
    """Revitalisation agreements (firm bound, agreement) with a contribution in a dispositif
    where ``user`` may ask for documents, by firm then agreement."""
    rows = (
        FundContribution.objects.for_user(user, Action.REQUEST_DOCUMENT)
        .filter(kind=ContributionKind.REVITALISATION)
        .values_list("agreement_firm_id", "agreement")
        .distinct()
        .order_by()
    )
    pairs = set(rows)
    firms = Organisation.objects.in_bulk({firm_id for firm_id, _name in pairs})
    return sorted(
        ((firms[firm_id], name) for firm_id, name in pairs),
        key=lambda pair: (pair[0].name, pair[1], pair[0].pk),
    )


def requestable_firms(user):
    """Partner firms whose contribution statement ``user`` may ask for."""
    firms = Organisation.objects.filter(kind=OrganisationKind.LARGE_FIRM).order_by("name")
    allowed = document_firm_ids(user, Action.REQUEST_DOCUMENT)
    return firms if allowed is None else firms.filter(pk__in=sorted(allowed))


def may_request_documents(user) -> bool:
    """May ``user`` ask for any document (a dispositif's, the network's, their firm's)?"""
    return may_request_national(user) or bool(
        dispositif_ids(user, Action.REQUEST_DOCUMENT)
        or document_firm_ids(user, Action.REQUEST_DOCUMENT)
    )


def committees_due_for_agenda(today: dt.date | None = None):
    """Planned committees of the active scope that sit within their dispositif's
    ``agenda_days_before`` days (today included): their agenda is due now."""
    today = today or timezone.localdate()
    upcoming = (
        Committee.objects.filter(
            status=CommitteeStatus.PLANNED,
            date__range=(today, today + dt.timedelta(days=AGENDA_DAYS_BEFORE_MAX)),
        )
        .select_related("dispositif")
        .order_by("date", "id")
    )
    return [c for c in upcoming if (c.date - today).days <= c.dispositif.agenda_days_before]


# Agenda and minutes -----------------------------------------------------------------------
def committee_dossiers(committee):
    """The agenda in order with everything a dossier's summary page shows, in a constant
    number of queries: company, project, needs, commitments (large firms last), decision."""
    return dossiers_of(AgendaItem.objects.filter(committee=committee).order_by("order", "id"))


def dossiers_of(items) -> list:
    """Agenda items (an ordered queryset, sliced or not) with what a summary page shows."""
    commitments = PartnerCommitment.objects.select_related("organisation").order_by(
        "firm_last", "position", "id"
    )
    recusals = InterestDeclaration.objects.select_related("organisation").order_by(
        "recorded_at", "id"
    )
    participants = DecisionParticipant.objects.select_related("organisation")
    return list(
        items.select_related(
            "project__company__dispositif", "project__referred_by", "decision", "dispositif"
        ).prefetch_related(
            Prefetch("commitments", queryset=commitments),
            "project__needs",
            Prefetch("interests", queryset=recusals),
            Prefetch("decision__participants", queryset=participants),
        )
    )


def committee_attendance(committee):
    return list(
        Attendance.objects.filter(committee=committee)
        .select_related("organisation")
        .order_by("organisation__name", "person_name")
    )


# Annual impact report ---------------------------------------------------------------------
# The report's figures are the indicators layer's (``alize.indicators.reading``), with their
# definitions; what the layer does not define — the projects' path through the stages, the
# referral sources, the hours by firm and skill — is computed here.
REPORT_KEYS = (
    "smes_supported",
    "projects_approved",
    "projects_to_committee",
    "committees_held",
    "decisions_approved",
    "decisions_deferred",
    "decisions_rejected",
    "advances_granted",
    "advances_granted_amount",
    "jobs_to_create",
    "jobs_created",
    "jobs_maintained",
    "survival_followed",
    "survival_alive",
    "survival_3y",
    "days_to_committee",
    "expert_hours",
    "expert_hours_value",
    "firms_involved",
    "advances_disbursed",
    "advances_disbursed_amount",
    "repaid",
    "lost",
    "outstanding",
    "at_risk_30",
    "par30",
    "fund_utilisation",
    "cofinancing",
    "leverage",
)
# A firm's year, national (every dispositif where it works): the per-firm figures.
FIRM_KEYS = ("hours_asked", "hours_pledged", "expert_hours")


@dataclass(frozen=True)
class HoursRow:
    """Expert-hours of one firm in one skill, and their value at the firm's rate."""

    firm: str
    skill: str
    hours: Decimal
    value: Decimal


@dataclass(frozen=True)
class FirmYear:
    """A partner firm's year across every dispositif: hours asked (missions starting in
    the year), pledged at the round tables and given — the indicators' per-firm figures."""

    firm_id: int
    name: str
    asked: Decimal
    pledged: Decimal
    delivered: Decimal

    @property
    def over_pledge(self) -> bool:
        """Delivered more than pledged, or asked more than pledged: the firm is worn."""
        return self.delivered > self.pledged or self.asked > self.pledged


@dataclass
class MissionFigures:
    """The year's expert-hours by firm and skill with their value, and the firms involved
    with their national year (asked, pledged and given hours)."""

    hours: list[HoursRow] = field(default_factory=list)
    firms: list[FirmYear] = field(default_factory=list)


def _hours_by_firm_and_skill(year: int, dispositif_id: int | None) -> list[HoursRow]:
    start, end = _year_bounds(year)
    narrow = {"dispositif_id": dispositif_id} if dispositif_id is not None else {}
    rows = list(
        HourLog.objects.filter(date__range=(start, end), **narrow)
        .values(
            "mission__firm_id",
            "mission__firm__name",
            "mission__skill__name",
            "mission__skill__name_en",
        )
        .annotate(hours=Sum("hours"))
        .order_by("mission__firm__name", "mission__skill__name")
    )
    rates = rates_for({row["mission__firm_id"] for row in rows})
    return [
        HoursRow(
            firm=row["mission__firm__name"],
            skill=Skill.label_of(row["mission__skill__name"], row["mission__skill__name_en"]),
            hours=row["hours"],
            value=rates[row["mission__firm_id"]].value_of(row["hours"]),
        )
        for row in rows
        if row["hours"]
    ]


def firm_years(firm_ids, year: int) -> list[FirmYear]:
    """The firms' national year from the indicators layer (a firm's contribution counts
    in every dispositif, read in a scope over all of them; only the firm's totals leave)."""
    firms = dict(
        Organisation.objects.filter(pk__in=sorted(set(firm_ids))).values_list("pk", "name")
    )
    result = []
    with scope(every_dispositif=True, reason="a firm's figures are national totals"):
        for firm_id, name in firms.items():
            figures = reading.total(None, year, firm_id=firm_id, keys=FIRM_KEYS)
            asked, pledged, given = (figures[key].value or ZERO for key in FIRM_KEYS)
            result.append(FirmYear(firm_id, name, asked, pledged, given))
    return sorted(result, key=lambda firm: (firm.name, firm.firm_id))


def mission_figures(year: int, dispositif_id: int | None = None) -> MissionFigures:
    """Expert-hours of ``year`` (one dispositif, or the active scope) by firm and skill,
    valued at each firm's rate, and the national year of the firms with a seat or a
    mission there."""
    narrow = {"dispositif_id": dispositif_id} if dispositif_id is not None else {}
    firm_ids = set(SkillMission.objects.filter(**narrow).values_list("firm_id", flat=True))
    firm_ids |= set(
        Membership.objects.filter(kind=MembershipKind.PARTNER_FIRM, **narrow).values_list(
            "organisation_id", flat=True
        )
    )
    return MissionFigures(
        hours=_hours_by_firm_and_skill(year, dispositif_id), firms=firm_years(firm_ids, year)
    )


@dataclass
class AnnualFigures:
    """The figures of one year, for a dispositif or the whole network: the indicators
    (``figures``, Figure per key, and ``values``, their values), the stages reached, the
    referral sources, the missions' tables and, for the network, the headline indicators
    of each dispositif."""

    year: int
    figures: dict[str, Figure] = field(default_factory=dict)
    funnel: list[Bar] = field(default_factory=list)
    referral_sources: list[Bar] = field(default_factory=list)
    headline: list[Indicator] = field(default_factory=list)
    per_dispositif: list[dict] = field(default_factory=list)
    missions: MissionFigures | None = None

    @property
    def values(self) -> dict[str, Decimal | None]:
        return {key: figure.value for key, figure in self.figures.items()}


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def settle_indicators(dispositif_ids: set[int] | None) -> None:
    """Refresh the kept facts of the report's dispositifs that lag behind their rows, so
    a report never reads figures a refresh is still pending for."""
    for dispositif_id in facts.stale_ids():
        if dispositif_ids is None or dispositif_id in dispositif_ids:
            facts.refresh(dispositif_id)


def annual_figures(year: int, dispositif_id: int | None = None) -> AnnualFigures:
    """Figures of ``year`` over one dispositif, or over the active scope when
    ``dispositif_id`` is None (the national report runs in a scope over every one)."""
    start, end = _year_bounds(year)
    narrow = {"dispositif_id": dispositif_id} if dispositif_id is not None else {}
    ids = None if dispositif_id is None else [dispositif_id]
    settle_indicators(None if ids is None else set(ids))
    rows = reading.by_dispositif(ids, [year], keys=REPORT_KEYS)
    total = reading.total(ids, year, keys=REPORT_KEYS, rows=rows)
    result = AnnualFigures(year=year, figures={key: total[key] for key in REPORT_KEYS})

    # Projects that reached each stage in the year: the path, not an indicator.
    reached = dict(
        StageTransition.objects.filter(at__date__range=(start, end), **narrow)
        .values_list("to_stage")
        .annotate(n=Count("project_id", distinct=True))
        .values_list("to_stage", "n")
    )
    result.funnel = [Bar(str(Stage(stage).label), reached.get(stage, 0)) for stage in FUNNEL]
    sources = (
        Project.objects.filter(referred_on__range=(start, end), **narrow)
        .values("referred_by__name")
        .annotate(n=Count("id"))
        .order_by("-n", "referred_by__name")
    )
    result.referral_sources = [Bar(row["referred_by__name"] or "—", row["n"]) for row in sources]

    if dispositif_id is None:
        result.headline = [item for item in ordered() if item.headline]
        names = dict(Dispositif.objects.values_list("pk", "name"))
        result.per_dispositif = sorted(
            (
                {
                    "name": names.get(pk, ""),
                    "figures": [figures[item.key] for item in result.headline],
                }
                for (pk, _year), figures in reading.by_dispositif(
                    None, [year], keys=[item.key for item in result.headline]
                ).items()
            ),
            key=lambda row: row["name"],
        )
    result.missions = mission_figures(year, dispositif_id)
    return result


# Firm contribution statement --------------------------------------------------------------
@dataclass(frozen=True)
class MissionYear:
    """One of the firm's missions and the hours its experts gave in the year."""

    dispositif: str
    company: str
    skill: str
    status: str
    hours: Decimal
    value: Decimal
    planned: Decimal = ZERO  # the mission's planned hours
    over_planned: Decimal = ZERO  # hours logged on it (every year) beyond them


@dataclass
class Contribution:
    """A firm's year of skill missions across every dispositif: its missions with their
    hours, hours by month, their value at the firm's rate, and its pledge."""

    firm: Organisation
    year: int
    rate: object
    missions: list[MissionYear]
    months: list[dict]
    figures: FirmFigures | None

    @property
    def total_hours(self) -> Decimal:
        return sum((m["hours"] for m in self.months), ZERO)

    @property
    def total_value(self) -> Decimal:
        return self.rate.value_of(self.total_hours)

    @property
    def reference(self) -> str:
        """The statement's number, the same for every version of one firm's year:
        ``AC-2026-00042`` (attestation de contribution, year, firm)."""
        return f"AC-{self.year}-{self.firm.pk:05d}"

    @property
    def period(self) -> tuple[dt.date, dt.date]:
        """The hours counted: the calendar year, up to today while it runs."""
        start, end = _year_bounds(self.year)
        return start, min(end, timezone.localdate())

    @property
    def national_rate(self) -> bool:
        """Are the hours valued at the national default rate (the firm has none)?"""
        return self.rate.organisation_id is None

    @property
    def over_planned(self) -> list[MissionYear]:
        return [mission for mission in self.missions if mission.over_planned]


def firm_contribution(firm_id: int, year: int) -> Contribution:
    """The contribution statement's figures (read in a scope over every dispositif where
    the firm works; rows are filtered to the firm)."""
    start, end = _year_bounds(year)
    firm = Organisation.objects.get(pk=firm_id)
    rate = rate_for(firm)
    per_mission = (
        HourLog.objects.filter(mission__firm_id=firm_id, date__range=(start, end))
        .values(
            "mission_id",
            "mission__dispositif__name",
            "mission__project__company__name",
            "mission__skill__name",
            "mission__skill__name_en",
            "mission__status",
            "mission__planned_hours",
        )
        .annotate(hours=Sum("hours"))
        .order_by("mission__dispositif__name", "mission__project__company__name", "mission_id")
    )
    rows = list(per_mission)
    # Each mission's hours of every year, to flag those beyond its planned hours.
    totals = dict(
        SkillMission.objects.filter(pk__in=[row["mission_id"] for row in rows])
        .annotate(logged=mission_logged_hours())
        .values_list("pk", "logged")
    )
    missions = [
        MissionYear(
            dispositif=row["mission__dispositif__name"],
            company=row["mission__project__company__name"],
            skill=Skill.label_of(row["mission__skill__name"], row["mission__skill__name_en"]),
            status=str(SkillMission(status=row["mission__status"]).get_status_display()),
            hours=row["hours"],
            value=rate.value_of(row["hours"]),
            planned=row["mission__planned_hours"],
            over_planned=max(totals[row["mission_id"]] - row["mission__planned_hours"], ZERO),
        )
        for row in rows
    ]
    months = [
        {"month": row["month"], "dispositif": row["dispositif__name"], "hours": row["total"]}
        for row in FirmMonthHours.objects.filter(firm_id=firm_id, month__range=(start, end))
        .values("month", "dispositif__name")
        .annotate(total=Sum("hours"))
        .order_by("month", "dispositif__name")
    ]
    figures = firm_year_figures(firm_ids=[firm_id], year=year).get(firm_id)
    return Contribution(firm, year, rate, missions, months, figures)


# Funders' report --------------------------------------------------------------------------
@dataclass(frozen=True)
class FunderProjectRow:
    """A project behind the source's advances, with the expert-hours it was given in the
    period and their value (the same for every source: they are the partner firms')."""

    project: FunderProject
    hours: Decimal
    value: Decimal


@dataclass
class FundersReport:
    """A funders' report's figures: the source's (``loans.indicators.funder_figures``) and
    the expert-hours of its projects (``missions.indicators.expert_hours_of_projects``)."""

    figures: FunderFigures
    projects: list[FunderProjectRow]
    total_hours: Decimal
    total_value: Decimal

    @property
    def jobs_balance(self) -> Decimal | None:
        """Jobs attributed minus jobs the agreement must help re-create (agreements only)."""
        if self.figures.jobs_to_recreate is None:
            return None
        return self.figures.jobs_attributed - self.figures.jobs_to_recreate


def funders_report(document: Document) -> FundersReport:
    """The figures of a funders' report, read in the document's scope (one dispositif, or
    every one for a national report)."""
    agreement = (document.agreement_firm_id, document.agreement) if document.agreement else None
    figures = funder_figures(document.source, agreement, document.period_start, document.period_end)
    hours = expert_hours_of_projects(
        [project.project_id for project in figures.projects],
        document.period_start,
        document.period_end,
    )
    rows = []
    for project in figures.projects:
        given, value = hours.get(project.project_id, (ZERO, ZERO))
        rows.append(FunderProjectRow(project, given, value.quantize(Decimal("0.01"))))
    total_hours = sum((given for given, _value in hours.values()), ZERO)
    total_value = sum((value for _given, value in hours.values()), ZERO).quantize(Decimal("0.01"))
    return FundersReport(figures, rows, total_hours, total_value)


# An advance's contract and its amendments ------------------------------------------------
@dataclass
class ContractTerms:
    """What an advance's contract (or an amendment) states: the parties, the advance, the
    schedule (``rows``: number, due date, amount) and the SEPA mandate, if one is in force.
    ``provisional_from`` is the disbursement date a schedule not yet written was computed
    from (the contract precedes the disbursement)."""

    advance: Advance
    rows: list[tuple[int, dt.date, Decimal]]
    mandate: DirectDebitMandate | None
    provisional_from: dt.date | None = None
    total: Decimal = ZERO
    reason: str = ""
    rescheduled_on: dt.date | None = None


def _contract_advance(document: Document) -> Advance:
    return Advance.objects.select_related(
        "fund",
        "dispositif__carrier",
        "project__company",
        "decision__item__committee",
    ).get(pk=document.advance_id)


def _mandate_in_force(advance: Advance) -> DirectDebitMandate | None:
    return next((m for m in loan_selectors.advance_mandates(advance) if m.in_force), None)


def contract_terms(document: Document) -> ContractTerms:
    """The terms of the contract ``document``: the schedule the advance was disbursed with
    (version 1), or, before its disbursement, the one it will get if disbursed on the day
    the document is built (``loans.services.first_schedule``: same grace, count and
    frequency; the dates move with the actual disbursement)."""
    advance = _contract_advance(document)
    written = list(
        Instalment.objects.filter(advance=advance, schedule_version=1).order_by("number")
    )
    provisional_from = None
    if written:
        rows = [(i.number, i.due_on, i.amount) for i in written]
    else:
        provisional_from = timezone.localdate()
        planned = first_schedule(advance, provisional_from)
        rows = [(number, due_on, amount) for number, (due_on, amount) in enumerate(planned, 1)]
    return ContractTerms(
        advance=advance,
        rows=rows,
        mandate=_mandate_in_force(advance),
        provisional_from=provisional_from,
        total=sum((amount for _n, _d, amount in rows), ZERO),
    )


def amendment_terms(document: Document) -> ContractTerms:
    """The terms of the amendment ``document``: the schedule of its version (what remained
    due, spread again), the reschedule's reason and date."""
    advance = _contract_advance(document)
    instalments = list(
        Instalment.objects.filter(
            advance=advance, schedule_version=document.schedule_version
        ).order_by("number")
    )
    move = (
        AdvanceTransition.objects.filter(advance=advance, to_status=AdvanceStatus.RESCHEDULED)
        .order_by("at", "id")
        .last()
    )
    rows = [(i.number, i.due_on, i.amount) for i in instalments]
    return ContractTerms(
        advance=advance,
        rows=rows,
        mandate=_mandate_in_force(advance),
        total=sum((amount for _n, _d, amount in rows), ZERO),
        reason=move.comment if move is not None else "",
        rescheduled_on=timezone.localdate(move.at) if move is not None else None,
    )


def managed_advances(user):
    """Advances whose contract ``user`` may ask for: those they manage, in the dispositifs
    where they may ask for documents."""
    return Advance.objects.for_user(user, Action.MANAGE_ADVANCE).filter(
        dispositif_id__in=Dispositif.objects.for_user(user, Action.REQUEST_DOCUMENT).values("pk")
    )


def advance_documents(user, advance):
    """The current contract and amendments of ``advance`` that ``user`` reads."""
    return (
        documents_for(user)
        .filter(advance=advance, is_current=True)
        .order_by("kind", "schedule_version", "id")
    )
