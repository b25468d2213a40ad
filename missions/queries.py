"""Page-shaped reads of the missions pages and panels (lists with their columns, the
mission page's parts, the forms' choices, the home panels), built on the row reach of
``missions.selectors``: an animateur reads their dispositif's rows, a firm
correspondent its firm's rows in every dispositif where the firm works, an expert the
missions they are assigned to and their own hours, the coordination everything.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Count, DecimalField, Exists, F, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from alize.accounts.models import Role
from alize.accounts.roles import assignments
from alize.actions import Action
from alize.sorting import french_sort_key
from committees.models import Decision, DecisionOutcome
from dispositifs.models import Dispositif, Membership
from partners.models import Expert, Organisation, OrganisationKind, Skill

from . import selectors
from .models import (
    LOGGABLE_STATUSES,
    ClosedMonth,
    HourLog,
    HourLogKind,
    MissionAssignment,
    MissionStatus,
    SkillMission,
)

ZERO = Decimal("0")
HOURS = DecimalField(max_digits=12, decimal_places=2)
# Missions that count against a decision's grant (a declined or cancelled one frees it).
LIVE_STATUSES = (
    MissionStatus.PROPOSED,
    MissionStatus.ACCEPTED,
    MissionStatus.IN_PROGRESS,
    MissionStatus.COMPLETED,
)
PANEL_ROWS = 10


def skill_choices():
    return Skill.objects.order_by("name")


def skills() -> list:
    return list(skill_choices())


def managed_dispositifs(user):
    return Dispositif.objects.for_user(user, Action.MANAGE).order_by("name")


# ---------------------------------------------------------------------------------------
# Missions list and page


def logged_hours():
    """The hours logged on the outer mission (entries and adjustments), every expert."""
    return selectors.mission_logged_hours()


def mission_list(user):
    """The missions list: project, company, firm, skill and dispositif in one query, with
    the hours logged so far."""
    return (
        selectors.mission_queryset(user)
        .select_related("project__company", "firm", "skill", "dispositif")
        .annotate(logged_hours=logged_hours())
    )


def mission_detail_queryset(user, action: str = Action.VIEW_MISSION):
    return (
        selectors.mission_queryset(user, action)
        .select_related(
            "project__company", "firm", "skill", "dispositif", "decision", "proposed_by"
        )
        .annotate(logged_hours=logged_hours())
    )


def mission_history(mission) -> list:
    return list(mission.transitions.select_related("by").order_by("at", "id"))


def mission_assignments(mission) -> list:
    return list(
        mission.assignments.select_related("expert__organisation").order_by("assigned_at", "id")
    )


def mission_hours_by_expert(mission, user) -> list[dict]:
    """Hours logged on the mission per expert, as far as ``user`` reads hour logs (an
    expert: their own only)."""
    return list(
        selectors.hour_log_queryset(user)
        .filter(mission=mission)
        .order_by()
        .values("expert_id", "expert__first_name", "expert__last_name")
        .annotate(hours=Sum("hours"), adjustments=Count("id", filter=Q(kind="adjustment")))
        .order_by("expert__last_name", "expert__first_name")
    )


def responds_for(user, mission) -> bool:
    """May ``user`` answer for the mission's firm (its correspondent, the coordination)?"""
    return selectors.mission_queryset(user, Action.RESPOND_MISSION).filter(pk=mission.pk).exists()


def is_assigned(mission, user) -> bool:
    return MissionAssignment.objects.filter(mission=mission, expert__user=user).exists()


def missions_over_plan(dispositif_ids, limit: int = 50) -> list:
    """Live or completed missions of the dispositifs whose logged hours exceed their
    planned hours, most beyond first (the month closing page flags them)."""
    return list(
        SkillMission.objects.filter(
            dispositif_id__in=list(dispositif_ids),
            status__in=(*LOGGABLE_STATUSES, MissionStatus.COMPLETED),
        )
        .annotate(logged_hours=logged_hours())
        .filter(logged_hours__gt=F("planned_hours"))
        .select_related("skill", "project__company", "firm", "dispositif")
        .order_by(F("planned_hours") - F("logged_hours"), "pk")[:limit]
    )


def assignable_experts(mission, assigned_ids):
    """Active experts of the mission's firm not on it yet (those lent across territories
    only, for a cross-territory mission)."""
    experts = Expert.objects.filter(organisation_id=mission.firm_id, is_active=True).exclude(
        pk__in=list(assigned_ids)
    )
    if mission.cross_territory:
        experts = experts.filter(lends_across_territories=True)
    has_skill = Expert.skills.through.objects.filter(
        expert_id=OuterRef("pk"), skill_id=mission.skill_id
    )
    return experts.annotate(has_skill=Exists(has_skill)).order_by("last_name", "first_name")


# ---------------------------------------------------------------------------------------
# Proposal


def decisions_for_missions(user):
    """Approved decisions granting missions, in the dispositifs the user runs."""
    return (
        Decision.objects.for_user(user, Action.MANAGE)
        .filter(outcome=DecisionOutcome.APPROVED, missions_granted__gt=0)
        .select_related("item__project__company", "item__committee", "dispositif")
    )


def project_needs(project) -> list:
    return list(project.needs.order_by("name"))


def decided_skill(decision, project, skills: list):
    """The skill to preselect when proposing one of ``decision``'s missions: a skill the
    decision's text names (« qualité, export ») that no live mission of the decision has
    yet, else such a need of the project, else the first named skill or need, else the
    first skill. Names are compared without accents or case."""
    text = french_sort_key(decision.missions_description)
    spans = {}
    for skill in skills:
        key = french_sort_key(skill.name)
        if text and key and key in text:
            start = text.index(key)
            spans[skill] = (start, start + len(key))
    # A name found inside a longer one found at the same place is not named on its own
    # (« qualité » inside « qualité (test) »).
    named = sorted(
        (
            skill
            for skill, (start, end) in spans.items()
            if not any(
                other is not skill
                and o_start <= start
                and end <= o_end
                and o_end - o_start > end - start
                for other, (o_start, o_end) in spans.items()
            )
        ),
        key=lambda skill: spans[skill][0],
    )
    needs = project_needs(project)
    taken = set(
        SkillMission.objects.filter(decision=decision)
        .exclude(status__in=(MissionStatus.DECLINED, MissionStatus.CANCELLED))
        .values_list("skill_id", flat=True)
    )
    for candidate in (*named, *needs):
        if candidate.pk not in taken:
            return candidate
    return next(iter((*named, *needs, *skills)), None)


def proposable_firms(dispositif_id: int):
    """Firms a mission of the dispositif may go to: those seated at its tour de table and
    those with an active expert available to other dispositifs."""
    seated = Membership.objects.filter(
        dispositif_id=dispositif_id, organisation=OuterRef("pk"), left_on__isnull=True
    )
    lending = Expert.objects.filter(
        organisation=OuterRef("pk"), is_active=True, lends_across_territories=True
    )
    return (
        Organisation.objects.filter(kind=OrganisationKind.LARGE_FIRM)
        .filter(Exists(seated) | Exists(lending))
        .order_by("name")
    )


def project_missions(project, user) -> list:
    return list(
        selectors.mission_queryset(user)
        .filter(project=project)
        .select_related("firm", "skill")
        .annotate(logged_hours=logged_hours())
        .order_by("starts_on", "id")
    )


def project_open_decisions(project, user) -> list:
    """The project's approved decisions with missions still to propose, when ``user`` runs
    the project's dispositif."""
    used = (
        SkillMission.objects.filter(decision=OuterRef("pk"), status__in=LIVE_STATUSES)
        .order_by()
        .values("decision")
        .annotate(n=Count("id"))
        .values("n")
    )
    decisions = (
        decisions_for_missions(user)
        .filter(item__project=project)
        .annotate(missions_used=Coalesce(Subquery(used), Value(0)))
        .order_by("decided_at")
    )
    return [d for d in decisions if d.missions_used < d.missions_granted]


# ---------------------------------------------------------------------------------------
# Month closing


def closed_months(dispositif_ids) -> list:
    return list(
        ClosedMonth.objects.filter(dispositif_id__in=list(dispositif_ids))
        .select_related("dispositif", "closed_by")
        .order_by("-month", "dispositif__name")
    )


def recent_adjustments(dispositif_ids, limit: int = 30) -> list:
    return list(
        HourLog.objects.filter(dispositif_id__in=list(dispositif_ids), kind=HourLogKind.ADJUSTMENT)
        .select_related("mission__project", "mission__skill", "expert", "created_by", "dispositif")
        .order_by("-created_at", "-id")[:limit]
    )


def adjustable_missions(user):
    """Missions of the dispositifs the user runs that took hours (for an adjustment)."""
    return (
        selectors.mission_queryset(user, Action.MANAGE)
        .filter(status__in=[*LOGGABLE_STATUSES, MissionStatus.COMPLETED])
        .select_related("project", "skill", "firm")
        .order_by("-starts_on", "-id")
    )


def adjustable_experts(user):
    """Experts assigned to those missions."""
    on_missions = MissionAssignment.objects.filter(
        expert=OuterRef("pk"), mission__in=adjustable_missions(user).values("pk")
    )
    return Expert.objects.filter(Exists(on_missions)).order_by("last_name", "first_name")


# ---------------------------------------------------------------------------------------
# Fatigue


def firms_present_in(dispositif_id: int) -> set[int]:
    """Firms seated in the dispositif or with a mission there."""
    seated = Membership.objects.filter(dispositif_id=dispositif_id).values_list(
        "organisation_id", flat=True
    )
    working = SkillMission.objects.filter(dispositif_id=dispositif_id).values_list(
        "firm_id", flat=True
    )
    return set(seated.union(working))


# ---------------------------------------------------------------------------------------
# Experts


def correspondent_firms(user) -> list:
    """The firms ``user`` is a correspondent of."""
    ids = {
        a.organisation_id
        for a in assignments(user)
        if a.role == Role.FIRM_CORRESPONDENT and a.organisation_id
    }
    if not ids:
        return []
    return list(Organisation.objects.filter(pk__in=ids).order_by("name"))


def expert_list(user, *, search: str = "", skill: str = ""):
    """The experts list, searched by name, job title or firm, and by skill (slug)."""
    experts = selectors.expert_queryset(user).select_related("organisation")
    search = search.strip()
    if search:
        experts = experts.filter(
            Q(first_name__icontains=search)
            | Q(last_name__icontains=search)
            | Q(job_title__icontains=search)
            | Q(organisation__name__icontains=search)
        )
    if skill:
        tagged = Expert.skills.through.objects.filter(expert_id=OuterRef("pk"), skill__slug=skill)
        experts = experts.filter(Exists(tagged))
    return experts.prefetch_related("skills")


def expert_skills(expert) -> list:
    return list(expert.skills.order_by("name"))


def expert_missions(user, expert) -> list:
    """The expert's missions, as far as ``user`` reaches missions."""
    return list(
        selectors.mission_queryset(user)
        .filter(assignments__expert=expert)
        .select_related("project__company", "skill", "dispositif")
        .order_by("-starts_on", "-id")
        .distinct()[:50]
    )


# ---------------------------------------------------------------------------------------
# Home panels


def missions_to_answer(user) -> list:
    """Missions proposed to the correspondent's firms, waiting for an answer."""
    return list(
        selectors.mission_queryset(user, Action.RESPOND_MISSION)
        .filter(status=MissionStatus.PROPOSED)
        .select_related("project__company", "skill", "dispositif", "firm")
        .order_by("proposed_at", "id")[:PANEL_ROWS]
    )


def firm_active_missions(user) -> list:
    return list(
        selectors.mission_queryset(user, Action.RESPOND_MISSION)
        .filter(status__in=LOGGABLE_STATUSES)
        .select_related("project__company", "skill", "dispositif", "firm")
        .annotate(logged_hours=logged_hours())
        .order_by("ends_on", "id")[:PANEL_ROWS]
    )


def firm_experts(firms) -> list:
    return list(
        Expert.objects.filter(organisation__in=list(firms))
        .select_related("organisation")
        .prefetch_related("skills")
        .order_by("organisation__name", "last_name", "first_name")
    )


def my_missions(expert) -> list:
    """An expert's missions (open ones first, then the latest)."""
    return list(
        SkillMission.objects.filter(assignments__expert=expert)
        .select_related("project__company", "skill", "dispositif")
        .annotate(logged_hours=logged_hours())
        .order_by("-starts_on", "-id")
        .distinct()[:PANEL_ROWS]
    )


def days_to_log(expert, today) -> list:
    """Working days of this month, up to yesterday, on which the expert had a mission in
    progress and logged nothing at all (two queries)."""
    first = today.replace(day=1)
    spans = list(
        SkillMission.objects.filter(
            assignments__expert=expert,
            status=MissionStatus.IN_PROGRESS,
            starts_on__lt=today,
            ends_on__gte=first,
        ).values_list("starts_on", "ends_on")
    )
    logged = set(
        HourLog.objects.filter(expert=expert, date__gte=first, date__lt=today).values_list(
            "date", flat=True
        )
    )
    days = []
    day = first
    while day < today:
        if day.weekday() < 5 and day not in logged and any(s <= day <= e for s, e in spans):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def period_hours_totals(missions, start: dt.date, end: dt.date) -> dict:
    """The hours of ``missions`` (a filtered list) dated from ``start`` to ``end``, as the
    missions' indicators count them: the hours, their value at each firm's rate (rounded
    to the cent once, on the total) and the distinct partner firms with hours in one of the
    months (per dispositif, as « firms involved » counts them)."""
    from .indicators import hours_value

    rows = list(
        HourLog.objects.filter(
            mission__in=missions.order_by().values("pk"), date__range=(start, end)
        )
        .annotate(month_of=TruncMonth("date"))
        .values_list("mission__firm_id", "dispositif_id", "month_of")
        .annotate(total=Sum("hours"))
        .order_by()
    )
    rates = selectors.rates_for({firm for firm, _d, _m, _t in rows})
    value = sum((hours_value(rates, firm, total) for firm, _d, _m, total in rows), ZERO)
    return {
        "hours": sum((total for _f, _d, _m, total in rows), ZERO),
        "value": value.quantize(Decimal("0.01")),
        "firms": len({firm for firm, _d, _m, total in rows if total > 0}),
    }
