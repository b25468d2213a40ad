"""Read side of reporting: which documents a person reads (the access policy, in one
place), and the figures the PDF builders lay out. Builders run inside the document's scope
(``reporting.tasks``), so their tenant queries are scoped like any other."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from statistics import median

from django.db.models import Count, Prefetch, Q, Sum
from django.utils import timezone

from alize.actions import Action
from alize.charts import Bar
from committees.models import (
    AgendaItem,
    Attendance,
    Committee,
    CommitteeStatus,
    Decision,
    DecisionOutcome,
    DecisionParticipant,
    InterestDeclaration,
    PartnerCommitment,
)
from dispositifs.access import dispositif_ids, document_firm_ids
from dispositifs.models import Dispositif, Membership, MembershipKind
from loans.ledger import balances_by
from loans.models import ZERO, Advance, Cofinancing
from loans.selectors import leverage, portfolio_at_risk
from missions.models import FirmMonthHours, HourLog, SkillMission
from missions.selectors import FirmFigures, firm_year_figures, rate_for, rates_for
from partners.models import Organisation, OrganisationKind
from pme.models import FUNNEL, JobsFollowUp, Project, Stage, StageTransition

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
        .select_related("dispositif", "organisation", "committee", "requested_by")
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
@dataclass(frozen=True)
class HoursRow:
    """Expert-hours of one firm in one skill, and their value at the firm's rate."""

    firm: str
    skill: str
    hours: Decimal
    value: Decimal


@dataclass
class MissionFigures:
    """The year's skill missions: hours by firm and skill with their value, and the
    fatigue of the firms involved (asked, pledged and delivered hours, national)."""

    hours: list[HoursRow] = field(default_factory=list)
    firms: list[FirmFigures] = field(default_factory=list)

    @property
    def total_hours(self) -> Decimal:
        return sum((row.hours for row in self.hours), ZERO)

    @property
    def total_value(self) -> Decimal:
        return sum((row.value for row in self.hours), ZERO)

    @property
    def over_pledge(self) -> list[FirmFigures]:
        return [firm for firm in self.firms if firm.over_pledge]


@dataclass
class LoanFigures:
    """Repayable advances: disbursed in the year; lent, repaid, lost and outstanding at
    the year's end (sums of the ledger); PAR30 as of the last arrears run; fund
    utilisation (outstanding ÷ outstanding and cash) at the year's end; leverage."""

    disbursed_count: int = 0
    disbursed_amount: Decimal = ZERO
    lent: Decimal = ZERO
    repaid: Decimal = ZERO
    lost: Decimal = ZERO
    outstanding: Decimal = ZERO
    available: Decimal = ZERO
    at_risk_30: Decimal = ZERO
    par30: Decimal | None = None
    cofinancing: Decimal = ZERO
    leverage_ratio: Decimal | None = None

    @property
    def utilisation(self) -> Decimal | None:
        total = self.outstanding + self.available
        return (self.outstanding / total).quantize(Decimal("0.0001")) if total else None

    @property
    def par30_percent(self) -> Decimal | None:
        return None if self.par30 is None else (self.par30 * 100).quantize(Decimal("0.1"))

    @property
    def utilisation_percent(self) -> Decimal | None:
        ratio = self.utilisation
        return None if ratio is None else (ratio * 100).quantize(Decimal("0.1"))


def mission_figures(year: int, dispositif_id: int | None = None) -> MissionFigures:
    """Expert-hours of ``year`` (one dispositif, or the active scope) by firm and skill,
    valued at each firm's rate, and the fatigue of the firms with a seat or a mission
    there."""
    start, end = _year_bounds(year)
    narrow = {"dispositif_id": dispositif_id} if dispositif_id is not None else {}
    rows = list(
        HourLog.objects.filter(date__range=(start, end), **narrow)
        .values("mission__firm_id", "mission__firm__name", "mission__skill__name")
        .annotate(hours=Sum("hours"))
        .order_by("mission__firm__name", "mission__skill__name")
    )
    rates = rates_for({row["mission__firm_id"] for row in rows})
    hours = [
        HoursRow(
            firm=row["mission__firm__name"],
            skill=row["mission__skill__name"],
            hours=row["hours"],
            value=rates[row["mission__firm_id"]].value_of(row["hours"]),
        )
        for row in rows
        if row["hours"]
    ]
    firm_ids = set(SkillMission.objects.filter(**narrow).values_list("firm_id", flat=True))
    firm_ids |= set(
        Membership.objects.filter(kind=MembershipKind.PARTNER_FIRM, **narrow).values_list(
            "organisation_id", flat=True
        )
    )
    figures = firm_year_figures(firm_ids=firm_ids, year=year)
    firms = sorted(figures.values(), key=lambda firm: (firm.name, firm.firm_id))
    return MissionFigures(hours=hours, firms=firms)


def loan_figures(year: int, dispositif_id: int | None = None) -> LoanFigures:
    """The advances of one dispositif (or of the active scope) for ``year``."""
    start, end = _year_bounds(year)
    narrow = {"dispositif_id": dispositif_id} if dispositif_id is not None else {}
    advances = Advance.objects.filter(**narrow)
    disbursed = advances.filter(disbursed_on__range=(start, end)).aggregate(
        n=Count("id"), total=Sum("amount")
    )
    figures = LoanFigures(
        disbursed_count=disbursed["n"], disbursed_amount=disbursed["total"] or ZERO
    )
    for books in balances_by("fund", occurred_on__lte=end, **narrow).values():
        figures.lent += books.lent
        figures.repaid += books.repaid
        figures.lost += books.lost
        figures.outstanding += books.outstanding
        figures.available += books.available
    risk = portfolio_at_risk(advances)
    figures.at_risk_30, figures.par30 = risk["at_risk_30"], risk["par30"]
    lever = leverage(advances, Cofinancing.objects.filter(**narrow))
    figures.cofinancing, figures.leverage_ratio = lever["cofinancing"], lever["ratio"]
    return figures


@dataclass
class AnnualFigures:
    """The indicators of one year, for a dispositif or the whole network."""

    year: int
    smes_supported: int = 0
    projects_approved: int = 0
    funnel: list[Bar] = field(default_factory=list)
    decisions: dict[str, int] = field(default_factory=dict)
    jobs_planned: int = 0
    jobs_created: int = 0
    jobs_maintained: int = 0
    survival_followed: int = 0
    survival_alive: int = 0
    referral_sources: list[Bar] = field(default_factory=list)
    referral_days_median: int | None = None
    referral_days_count: int = 0
    advances_granted: Decimal = Decimal("0.00")
    advances_granted_count: int = 0
    committees_held: int = 0
    per_dispositif: list[dict] = field(default_factory=list)
    missions: MissionFigures | None = None
    loans: LoanFigures | None = None

    @property
    def survival_rate(self) -> Decimal | None:
        if not self.survival_followed:
            return None
        return (Decimal(100) * self.survival_alive / self.survival_followed).quantize(
            Decimal("0.1")
        )


def _year_bounds(year: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dt.date(year, 12, 31)


def annual_figures(year: int, dispositif_id: int | None = None) -> AnnualFigures:
    """Indicators of ``year`` over one dispositif, or over the active scope when
    ``dispositif_id`` is None (the national report runs in a scope over every one)."""
    start, end = _year_bounds(year)
    narrow = {"dispositif_id": dispositif_id} if dispositif_id is not None else {}
    figures = AnnualFigures(year=year)

    approved = Project.objects.filter(approved_on__range=(start, end), **narrow)
    totals = approved.aggregate(
        projects=Count("id"), smes=Count("company_id", distinct=True), jobs=Sum("jobs_planned_3y")
    )
    figures.projects_approved = totals["projects"]
    figures.smes_supported = totals["smes"]
    figures.jobs_planned = totals["jobs"] or 0

    reached = dict(
        StageTransition.objects.filter(at__date__range=(start, end), **narrow)
        .values_list("to_stage")
        .annotate(n=Count("project_id", distinct=True))
        .values_list("to_stage", "n")
    )
    figures.funnel = [Bar(str(Stage(stage).label), reached.get(stage, 0)) for stage in FUNNEL]

    decisions = Decision.objects.filter(item__committee__date__range=(start, end), **narrow)
    figures.decisions = dict(
        decisions.values_list("outcome").annotate(n=Count("id")).values_list("outcome", "n")
    )
    for outcome in DecisionOutcome.values:
        figures.decisions.setdefault(outcome, 0)
    advances = decisions.filter(advance_amount__isnull=False).aggregate(
        total=Sum("advance_amount"), n=Count("id")
    )
    figures.advances_granted = advances["total"] or Decimal("0.00")
    figures.advances_granted_count = advances["n"]
    figures.committees_held = Committee.objects.filter(
        date__range=(start, end),
        status__in=(CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT),
        **narrow,
    ).count()

    jobs = JobsFollowUp.objects.filter(as_of__range=(start, end), **narrow).aggregate(
        created=Sum("jobs_created"), maintained=Sum("jobs_maintained")
    )
    figures.jobs_created = jobs["created"] or 0
    figures.jobs_maintained = jobs["maintained"] or 0
    survival = JobsFollowUp.objects.filter(year=3, as_of__range=(start, end), **narrow).aggregate(
        followed=Count("project_id", distinct=True),
        alive=Count("project_id", distinct=True, filter=Q(headcount__gt=0)),
    )
    figures.survival_followed = survival["followed"]
    figures.survival_alive = survival["alive"]

    sources = (
        Project.objects.filter(referred_on__range=(start, end), **narrow)
        .values("referred_by__name")
        .annotate(n=Count("id"))
        .order_by("-n", "referred_by__name")
    )
    figures.referral_sources = [Bar(row["referred_by__name"] or "—", row["n"]) for row in sources]

    delays = [
        (first - referred).days
        for first, referred in Project.objects.filter(
            first_committee_on__range=(start, end), **narrow
        ).values_list("first_committee_on", "referred_on")
        if first >= referred
    ]
    figures.referral_days_count = len(delays)
    figures.referral_days_median = round(median(delays)) if delays else None

    if dispositif_id is None:
        per = (
            Project.objects.filter(approved_on__range=(start, end))
            .values("dispositif__name")
            .annotate(projects=Count("id"), jobs=Sum("jobs_planned_3y"))
            .order_by("dispositif__name")
        )
        figures.per_dispositif = [
            {"name": row["dispositif__name"], "projects": row["projects"], "jobs": row["jobs"]}
            for row in per
        ]
    figures.missions = mission_figures(year, dispositif_id)
    figures.loans = loan_figures(year, dispositif_id)
    return figures


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
            "mission__status",
        )
        .annotate(hours=Sum("hours"))
        .order_by("mission__dispositif__name", "mission__project__company__name", "mission_id")
    )
    missions = [
        MissionYear(
            dispositif=row["mission__dispositif__name"],
            company=row["mission__project__company__name"],
            skill=row["mission__skill__name"],
            status=str(SkillMission(status=row["mission__status"]).get_status_display()),
            hours=row["hours"],
            value=rate.value_of(row["hours"]),
        )
        for row in per_mission
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
