"""Read side of skill missions, expert hours and partner fatigue.

Row reach (the access policy's ``row_reach``): the national coordination reads every row;
an animateur the rows of their dispositif; a firm correspondent the rows of their firm in
every dispositif (cross-territory missions included); an expert only the missions they are
assigned to and only their own hour logs. Everything else answers 404.

Querysets (for lists, API and pages; lazily evaluated, scoped):
- ``mission_queryset(user, action=VIEW_MISSION)``, ``mission_get(user, pk, action=…)``;
- ``hour_log_queryset(user)``, ``hour_log_get(user, pk)``;
- ``expert_queryset(user)``, ``expert_get(user, pk)``: the correspondent its firm's
  experts, the animateur those of firms seated in its dispositif plus those available to
  other dispositifs, the coordination all, an expert themself;
  ``may_manage_expert(user, expert)`` (correspondent of the firm, coordination) and
  ``shows_personal_data(user, expert)`` (those, and the expert themself) for e-mail/phone.

Figures (each a constant number of queries whatever the rows):
- ``firm_year_figures(firm_ids=, year=)`` → ``{firm_id: FirmFigures}``: hours asked
  (planned hours of the missions proposed to the firm starting that year), pledged (its
  memberships' yearly pledges), delivered (logged that year), missions declined, the
  over-pledge flag. National per firm (a firm's contribution is national, cross-territory
  hours included): summed in SQL over every dispositif, returning only the totals.
- ``mission_suggestions(user=, dispositif_id=, skill=, project=None)`` → experts of firms
  seated in the dispositif plus experts available to other dispositifs, ordered by skill
  match (the mission skill first, then the project's other needs), then pledge headroom
  (firms under their yearly pledge first), each with its firm's ``FirmFigures``.
- ``fatigue_report(user=, year=)`` → ``FatigueReport``: per firm the year's figures, per
  dispositif the months since a partner firm last joined the tour de table; for
  animateurs and the coordination (MANAGE).
- ``week_grid(expert=, monday=)`` → ``WeekGrid``: the expert's missions × 7 days with each
  cell's entry, adjustments, lock state, the day totals (every dispositif).
- ``expert_to_log(expert=, today=)``: missions in progress without hours this month.
- ``firm_portal(user=, firm=, year=)`` → ``FirmPortal``: hours by month and dispositif,
  their value at the firm's rate, the pledge use.
- ``rate_for(firm)``: the firm's ``ExpertRate`` or the national default.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import Exists, F, Max, OuterRef, Prefetch, Q, Sum
from django.http import Http404

from alize.actions import Action
from alize.tenancy import scope
from dispositifs.access import dispositif_ids, row_reach
from dispositifs.models import Dispositif, Membership, MembershipKind
from partners.models import (
    NATIONAL_HOURLY_RATE,
    Expert,
    ExpertRate,
    Organisation,
    OrganisationKind,
    RateUnit,
    Skill,
)

from .models import (
    LOGGABLE_STATUSES,
    ClosedMonth,
    FirmMonthHours,
    HourLog,
    HourLogKind,
    MissionAssignment,
    MissionStatus,
    SkillMission,
)

ZERO = Decimal("0")


# ---------------------------------------------------------------------------------------
# Row reach.


def _nothing() -> Q:
    return Q(pk__in=[])


def mission_queryset(user, action: str = Action.VIEW_MISSION):
    """Missions ``user`` reaches for ``action`` (see the module's row reach)."""
    reach = row_reach(user, action)
    queryset = SkillMission.objects.for_user(user, action)
    if reach.everything:
        return queryset
    condition = Q(dispositif__in=reach.dispositif_ids) if reach.dispositif_ids else _nothing()
    if reach.organisations:
        condition |= Q(firm__in=reach.organisations)
    if reach.own:
        condition |= Q(
            Exists(MissionAssignment.objects.filter(mission=OuterRef("pk"), expert__user=user))
        )
    return queryset.filter(condition)


def _expert_ids():
    return ArraySubquery(
        MissionAssignment.objects.filter(mission=OuterRef("pk"))
        .order_by("expert_id")
        .values("expert_id")
    )


def mission_api_queryset(user, action: str = Action.VIEW_MISSION):
    """Missions for the API: with their project, firm and skill, and ``expert_ids``."""
    return (
        mission_queryset(user, action)
        .select_related("project", "firm", "skill", "dispositif")
        .annotate(expert_ids=_expert_ids())
    )


MISSION_ROW_COLUMNS = (
    "id",
    "dispositif_id",
    "project_id",
    "decision_id",
    "firm_id",
    "skill_id",
    "objective",
    "planned_hours",
    "starts_on",
    "ends_on",
    "status",
    "cross_territory",
    "decline_reason",
    "sme_evaluation",
    "sme_rating",
    "expert_evaluation",
    "expert_rating",
    "proposed_at",
    "status_changed_at",
)


def mission_rows(queryset):
    """Plain rows of a missions list (one query): the mission's columns, its dispositif's
    slug, project title, firm and skill names, and its experts' ids."""
    return queryset.values(
        *MISSION_ROW_COLUMNS,
        dispositif_slug=F("dispositif__slug"),
        project_title=F("project__title"),
        firm_name=F("firm__name"),
        skill_name=F("skill__name"),
        expert_ids=_expert_ids(),
    )


HOUR_LOG_ROW_COLUMNS = (
    "id",
    "dispositif_id",
    "mission_id",
    "expert_id",
    "date",
    "hours",
    "kind",
    "corrects_id",
    "note",
    "reason",
    "created_at",
    "updated_at",
)


def hour_log_rows(queryset):
    """Plain rows of an hour-log list (one query) with the dispositif's slug."""
    return queryset.values(*HOUR_LOG_ROW_COLUMNS, dispositif_slug=F("dispositif__slug"))


def mission_get(user, pk, action: str = Action.VIEW_MISSION) -> SkillMission:
    """One mission the user reaches, or 404 (missing and out of reach look the same)."""
    mission = (
        mission_queryset(user, action)
        .select_related("project__company", "skill", "firm", "dispositif", "decision")
        .filter(pk=pk)
        .first()
    )
    if mission is None:
        raise Http404
    return mission


def hour_log_queryset(user):
    """Hour logs ``user`` reaches: the dispositif's (animateur), the firm's
    (correspondent), one's own (expert)."""
    action = Action.VIEW_MISSION
    reach = row_reach(user, action)
    queryset = HourLog.objects.for_user(user, action)
    if reach.everything:
        return queryset
    condition = Q(dispositif__in=reach.dispositif_ids) if reach.dispositif_ids else _nothing()
    if reach.organisations:
        condition |= Q(mission__firm__in=reach.organisations)
    if reach.own:
        condition |= Q(expert__user=user)
    return queryset.filter(condition)


def hour_log_get(user, pk) -> HourLog:
    log = hour_log_queryset(user).select_related("mission", "expert").filter(pk=pk).first()
    if log is None:
        raise Http404
    return log


def expert_queryset(user):
    """Experts ``user`` may read (see the module docstring); experts are global rows."""
    respond = row_reach(user, Action.RESPOND_MISSION)
    if respond.everything:
        return Expert.objects.all()
    condition = _nothing()
    if respond.organisations:
        condition |= Q(organisation__in=respond.organisations)
    managed = dispositif_ids(user, Action.MANAGE)
    if managed is None:
        return Expert.objects.all()
    if managed:
        seated = Membership.objects.filter(
            dispositif__in=managed, organisation=OuterRef("organisation"), left_on__isnull=True
        )
        condition |= Q(Exists(seated)) | Q(lends_across_territories=True, is_active=True)
    if getattr(user, "is_authenticated", False):
        condition |= Q(user=user)
    return Expert.objects.filter(condition)


def expert_get(user, pk) -> Expert:
    expert = expert_queryset(user).select_related("organisation").filter(pk=pk).first()
    if expert is None:
        raise Http404
    return expert


def may_manage_expert(user, expert: Expert) -> bool:
    """The firm's correspondent and the national coordination manage an expert."""
    reach = row_reach(user, Action.RESPOND_MISSION)
    return reach.everything or expert.organisation_id in reach.organisations


def managed_firm_ids(user) -> frozenset[int] | None:
    """Firms whose experts ``user`` manages (``None``: every firm)."""
    reach = row_reach(user, Action.RESPOND_MISSION)
    return None if reach.everything else reach.organisations


def shows_personal_data(user, expert: Expert) -> bool:
    """E-mail and phone go to those who manage the expert, and to the expert themself."""
    own = getattr(user, "pk", None) is not None and expert.user_id == user.pk
    return own or may_manage_expert(user, expert)


def expert_of(user) -> Expert | None:
    """The expert profile of a user, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Expert.objects.filter(user=user).select_related("organisation").first()


# ---------------------------------------------------------------------------------------
# Rates and firm figures.


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


# ---------------------------------------------------------------------------------------
# Suggestions.


@dataclass(frozen=True)
class ExpertSuggestion:
    """An expert proposed for a mission: how well they match and their firm's year."""

    expert: Expert
    has_skill: bool
    needs_covered: int
    cross_territory: bool
    firm: FirmFigures

    @property
    def sort_key(self):
        return (
            not self.has_skill,
            -self.needs_covered,
            not self.firm.under_pledge,
            -self.firm.headroom,
            self.expert.last_name,
            self.expert.first_name,
            self.expert.pk,
        )


def mission_suggestions(
    *, user, dispositif_id: int, skill: Skill, project=None, year: int | None = None
) -> list[ExpertSuggestion]:
    """Experts for a mission of ``skill`` (and the project's needs) in a dispositif: those
    of firms seated there and those available to other dispositifs, ordered by skill match
    then pledge headroom (see the module docstring). Five queries."""
    managed = dispositif_ids(user, Action.MANAGE)
    if managed is not None and dispositif_id not in managed:
        raise Http404
    wanted = {skill.pk}
    if project is not None:
        wanted |= {need.pk for need in project.needs.all()}
    seated_firms = set(
        Membership.objects.filter(
            dispositif_id=dispositif_id,
            left_on__isnull=True,
            organisation__kind=OrganisationKind.LARGE_FIRM,
        ).values_list("organisation_id", flat=True)
    )
    experts = list(
        Expert.objects.filter(is_active=True, skills__in=wanted)
        .filter(Q(organisation__in=seated_firms) | Q(lends_across_territories=True))
        .distinct()
        .select_related("organisation")
        .prefetch_related(Prefetch("skills", queryset=Skill.objects.only("pk", "name")))
    )
    year = year or dt.date.today().year
    figures = firm_year_figures(firm_ids={e.organisation_id for e in experts}, year=year)
    suggestions = []
    for expert in experts:
        skill_ids = {s.pk for s in expert.skills.all()}
        suggestions.append(
            ExpertSuggestion(
                expert=expert,
                has_skill=skill.pk in skill_ids,
                needs_covered=len(skill_ids & (wanted - {skill.pk})),
                cross_territory=expert.organisation_id not in seated_firms,
                firm=figures[expert.organisation_id],
            )
        )
    return sorted(suggestions, key=lambda s: s.sort_key)


# ---------------------------------------------------------------------------------------
# Fatigue.


@dataclass(frozen=True)
class DispositifRenewal:
    """When a partner firm last joined a dispositif's tour de table."""

    dispositif_id: int
    name: str
    last_joined_on: dt.date | None
    months_since: int | None


@dataclass
class FatigueReport:
    year: int
    firms: list[FirmFigures] = field(default_factory=list)
    dispositifs: list[DispositifRenewal] = field(default_factory=list)

    @property
    def over_pledge(self) -> list[FirmFigures]:
        return [firm for firm in self.firms if firm.over_pledge]


def _months_between(earlier: dt.date, later: dt.date) -> int:
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - (1 if later.day < earlier.day else 0)


def fatigue_report(*, user, year: int, today: dt.date | None = None) -> FatigueReport:
    """The fatigue view: the year's figures of the firms the user deals with (all of them
    for the coordination; for an animateur those seated in their dispositif, those with a
    mission there and those lending across territories), and the tour de table renewal of
    the user's dispositifs. Four queries whatever the data's size."""
    today = today or dt.date.today()
    managed = dispositif_ids(user, Action.MANAGE)
    if managed is not None and not managed:
        raise Http404
    memberships = Membership.objects.filter(kind=MembershipKind.PARTNER_FIRM)
    dispositifs = Dispositif.objects.all()
    if managed is None:
        firm_ids = set(
            Organisation.objects.filter(kind=OrganisationKind.LARGE_FIRM).values_list(
                "pk", flat=True
            )
        )
    else:
        # One UNION: the firms seated there, those with a mission there, those lending.
        seated = Membership.objects.filter(
            dispositif__in=managed, organisation__kind=OrganisationKind.LARGE_FIRM
        ).values_list("organisation_id", flat=True)
        working = SkillMission.objects.filter(dispositif__in=managed).values_list(
            "firm_id", flat=True
        )
        lending = Expert.objects.filter(lends_across_territories=True, is_active=True).values_list(
            "organisation_id", flat=True
        )
        firm_ids = set(seated.union(working, lending))
        memberships = memberships.filter(dispositif__in=managed)
        dispositifs = dispositifs.filter(pk__in=managed)
    figures = firm_year_figures(firm_ids=firm_ids, year=year)
    last_joined = dict(
        memberships.values("dispositif")
        .annotate(last=Max("joined_on"))
        .values_list("dispositif", "last")
    )
    renewal = [
        DispositifRenewal(
            dispositif_id=d.pk,
            name=d.name,
            last_joined_on=last_joined.get(d.pk),
            months_since=(
                _months_between(last_joined[d.pk], today) if last_joined.get(d.pk) else None
            ),
        )
        for d in dispositifs.only("pk", "name").order_by("name")
    ]
    return FatigueReport(
        year=year,
        firms=sorted(figures.values(), key=lambda f: (f.name, f.firm_id)),
        dispositifs=renewal,
    )


# ---------------------------------------------------------------------------------------
# The expert's week.


@dataclass
class GridCell:
    date: dt.date
    entry: HourLog | None
    adjustments: Decimal
    editable: bool
    locked_reason: str = ""

    @property
    def hours(self) -> Decimal:
        return self.entry.hours if self.entry else ZERO


@dataclass
class GridRow:
    mission: SkillMission
    cells: list[GridCell]

    @property
    def total(self) -> Decimal:
        return sum((c.hours + c.adjustments for c in self.cells), ZERO)


@dataclass
class WeekGrid:
    monday: dt.date
    days: list[dt.date]
    rows: list[GridRow]
    adjustments: list[HourLog]

    @property
    def day_totals(self) -> list[Decimal]:
        return [
            sum((row.cells[i].hours + row.cells[i].adjustments for row in self.rows), ZERO)
            for i in range(7)
        ]

    @property
    def total(self) -> Decimal:
        return sum(self.day_totals, ZERO)


def week_grid(*, expert: Expert, monday: dt.date) -> WeekGrid:
    """The expert's missions that overlap the week (open for hours, or with hours in it)
    × its seven days, with the entries, adjustments and locks. Three queries; runs in the
    expert's scope (which holds every dispositif their firm works in)."""
    monday = monday - dt.timedelta(days=monday.weekday())
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    sunday = days[-1]
    logs = list(
        HourLog.objects.filter(expert=expert, date__gte=monday, date__lte=sunday).order_by(
            "date", "id"
        )
    )
    logged_missions = {log.mission_id for log in logs}
    missions = list(
        SkillMission.objects.filter(assignments__expert=expert)
        .filter(
            Q(pk__in=logged_missions)
            | Q(status__in=LOGGABLE_STATUSES, starts_on__lte=sunday, ends_on__gte=monday)
        )
        .select_related("skill", "project__company", "dispositif")
        .distinct()
        .order_by("starts_on", "pk")
    )
    months = {day.replace(day=1) for day in days}
    closed = set(
        ClosedMonth.objects.filter(
            dispositif__in={m.dispositif_id for m in missions}, month__in=months
        ).values_list("dispositif_id", "month")
    )
    entries = {(log.mission_id, log.date): log for log in logs if log.kind == HourLogKind.ENTRY}
    adjustments: dict[tuple[int, dt.date], Decimal] = {}
    for log in logs:
        if log.kind == HourLogKind.ADJUSTMENT:
            key = (log.mission_id, log.date)
            adjustments[key] = adjustments.get(key, ZERO) + log.hours
    rows = []
    for mission in missions:
        cells = []
        for day in days:
            locked = ""
            if (mission.dispositif_id, day.replace(day=1)) in closed:
                locked = "month_closed"
            elif not mission.starts_on <= day <= mission.ends_on:
                locked = "outside_mission"
            elif mission.status not in LOGGABLE_STATUSES:
                locked = "mission_not_open"
            cells.append(
                GridCell(
                    date=day,
                    entry=entries.get((mission.pk, day)),
                    adjustments=adjustments.get((mission.pk, day), ZERO),
                    editable=not locked,
                    locked_reason=locked,
                )
            )
        rows.append(GridRow(mission=mission, cells=cells))
    return WeekGrid(
        monday=monday,
        days=days,
        rows=rows,
        adjustments=[log for log in logs if log.kind == HourLogKind.ADJUSTMENT],
    )


def expert_to_log(*, expert: Expert, today: dt.date | None = None) -> list[SkillMission]:
    """The expert's missions in progress with no hours logged this month."""
    today = today or dt.date.today()
    first = today.replace(day=1)
    logged = HourLog.objects.filter(
        mission=OuterRef("pk"), expert=expert, date__gte=first, date__lte=today
    )
    return list(
        SkillMission.objects.filter(
            assignments__expert=expert,
            status=MissionStatus.IN_PROGRESS,
            starts_on__lte=today,
            ends_on__gte=first,
        )
        .exclude(Exists(logged))
        .select_related("skill", "project__company", "dispositif")
        .order_by("ends_on", "pk")
    )


# ---------------------------------------------------------------------------------------
# The firm correspondent's portal.


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
