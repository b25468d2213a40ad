"""Projects: their lists and rows, the moves a page offers, the stepper and stale projects."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import (
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Value,
)
from django.utils import timezone

from alize.actions import Action
from alize.sorting import french_order
from dispositifs.models import Membership
from partners.models import Organisation

from ..models import (
    AGENDA_STAGE,
    DECISION_STAGES,
    FUNNEL,
    REOPEN_MOVES,
    STALE_WATCHED_STAGES,
    TRANSITIONS,
    Project,
    Stage,
    StageTransition,
    reopen_stage,
)


def referral_sources(dispositif_id: int | None) -> tuple[list, list]:
    """The organisations that may refer a project (« Orienté par »): those holding a seat
    at the dispositif's tour de table (now or before), then the rest of the network, each
    in French order. Without a dispositif, every organisation is in the second list."""
    everyone = list(Organisation.objects.order_by(french_order("name"), "pk"))
    if dispositif_id is None:
        return [], everyone
    seated = set(
        Membership.objects.filter(dispositif_id=dispositif_id).values_list(
            "organisation_id", flat=True
        )
    )
    own = [organisation for organisation in everyone if organisation.pk in seated]
    return own, [organisation for organisation in everyone if organisation.pk not in seated]


def project_list(user):
    """Projects the user may read (run or sit on the committee of)."""
    return Project.objects.for_user(user, Action.VIEW_PROJECT).select_related(
        "company", "dispositif", "referred_by"
    )


PROJECT_ROW_COLUMNS = (
    "id",
    "dispositif_id",
    "company_id",
    "title",
    "project_type",
    "description",
    "referred_by_id",
    "referred_on",
    "total_budget",
    "financing_plan",
    "jobs_at_start",
    "jobs_planned_3y",
    "requested_advance",
    "stage",
    "stage_changed_at",
    "first_committee_on",
    "approved_on",
    "created_at",
    "updated_at",
)


def project_rows(queryset):
    """Plain rows of a projects list: the project's columns, its dispositif's slug, its
    company's name and its needs' ids (by skill name, as the relation orders them), in one
    query."""
    needs = (
        Project.needs.through.objects.filter(project_id=OuterRef("pk"))
        .order_by("skill__name", "skill_id")
        .values("skill_id")
    )
    return queryset.values(
        *PROJECT_ROW_COLUMNS,
        dispositif_slug=F("dispositif__slug"),
        company_name=F("company__name"),
        need_ids=ArraySubquery(needs),
    )


def project_detail_queryset(user):
    return project_list(user).select_related("company__dispositif", "created_by")


def project_manage_queryset(user):
    """Projects the user may change: those of the dispositifs they run."""
    return Project.objects.for_user(user, Action.MANAGE).select_related(
        "company", "dispositif", "referred_by"
    )


def project_manual_next_stages(project) -> list[str]:
    """Next stages a person may choose by hand: decision stages come from a committee's
    decision, and « on agenda » (and back) from the committee's agenda."""
    return [
        stage
        for stage in project.allowed_next_stages
        if stage not in DECISION_STAGES
        and stage != AGENDA_STAGE
        and not (project.stage == AGENDA_STAGE and stage == Stage.IN_INSTRUCTION)
    ]


def project_timeline(project):
    return StageTransition.objects.filter(project=project).select_related("by").order_by("at", "id")


@dataclass
class ProjectMoves:
    """The moves offered on a project page, in the order a person looks for them: the next
    stage forward first, then going back, reopening and abandoning (each with a reason)."""

    forward: list[str]
    backward: list[str]
    reopen_to: str | None
    can_abandon: bool


def project_moves(project, timeline: list) -> ProjectMoves:
    """Split the manual moves of ``project_manual_next_stages``; ``timeline`` (the project's
    stage transitions, oldest first) tells where an abandoned project reopens."""
    current = project.stage
    if current == Stage.ABANDONED:
        abandoned_from = next(
            (step.from_stage for step in reversed(timeline) if step.to_stage == Stage.ABANDONED),
            None,
        )
        return ProjectMoves([], [], reopen_stage(abandoned_from), False)
    forward, backward, reopen_to = [], [], None
    for stage in project_manual_next_stages(project):
        if stage == Stage.ABANDONED:
            continue
        if (current, stage) in REOPEN_MOVES:
            reopen_to = stage
        elif current in FUNNEL and stage in FUNNEL and FUNNEL.index(stage) > FUNNEL.index(current):
            forward.append(stage)
        else:
            backward.append(stage)
    return ProjectMoves(forward, backward, reopen_to, Stage.ABANDONED in TRANSITIONS[current])


@dataclass
class Step:
    key: str
    label: str
    state: str  # "done", "current" or "todo"


@dataclass
class Stepper:
    """Where the project stands in the funnel and how long it has waited there. A stage off
    the funnel (deferred, rejected, abandoned) is shown after the last funnel stage reached."""

    steps: list[Step]
    off_funnel: str | None
    days_at_stage: int
    stale: bool


def project_stepper(project, timeline: list, now: dt.datetime | None = None) -> Stepper:
    now = now or timezone.now()
    current = project.stage
    if current in FUNNEL:
        position, off_funnel = FUNNEL.index(current), None
    else:
        reached = [FUNNEL.index(step.to_stage) for step in timeline if step.to_stage in FUNNEL]
        position, off_funnel = max(reached, default=0) + 0.5, Stage(current).label
    steps = [
        Step(
            key,
            Stage(key).label,
            "done" if index < position else "current" if index == position else "todo",
        )
        for index, key in enumerate(FUNNEL)
    ]
    days = max((now - project.stage_changed_at).days, 0)
    stale = current in STALE_WATCHED_STAGES and days > project.dispositif.stale_after_days
    return Stepper(steps, off_funnel, days, stale)


def stale_projects(user, now: dt.datetime | None = None):
    """Projects of the dispositifs the user runs that have waited at a stage needing the
    animateur longer than their dispositif's ``stale_after_days``, longest wait first."""
    now = now or timezone.now()
    patience = Func(
        F("dispositif__stale_after_days"),
        template="make_interval(days => %(expressions)s)",
        output_field=DurationField(),
    )
    return (
        Project.objects.for_user(user, Action.MANAGE)
        .filter(stage__in=STALE_WATCHED_STAGES)
        .alias(stale_since=ExpressionWrapper(Value(now) - patience, output_field=DateTimeField()))
        .filter(stage_changed_at__lt=F("stale_since"))
        .select_related("company", "dispositif")
        .order_by("stage_changed_at", "id")
    )
