"""Read side of the pme app: lists, the project page's panels and the pipeline funnel.

Selectors run inside the caller's tenancy scope and narrow it with the access policy
(``for_user``): an animateur who also sits on another dispositif's committee reads that
one's dossiers but does not run its pipeline.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.postgres.expressions import ArraySubquery
from django.core.cache import cache
from django.db import transaction
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from alize.actions import Action
from alize.formats import money, short_date, short_datetime
from dispositifs.models import Dispositif
from partners.models import Organisation

from .models import (
    AGENDA_STAGE,
    COMMITTEE_DATE_FIELDS,
    DECISION_STAGES,
    FOLLOW_UP_GRACE_DAYS,
    FUNNEL,
    MIN_AGE_YEARS,
    REOPEN_MOVES,
    SME_MAX_HEADCOUNT,
    SME_MAX_TURNOVER,
    STALE_WATCHED_STAGES,
    TRANSITIONS,
    Company,
    FollowUpReminder,
    JobsFollowUp,
    Project,
    Stage,
    StageTransition,
    follow_up_overdue,
    reopen_stage,
)
from .services import (
    COMPANY_FIELDS,
    FOLLOW_UP_FIELDS,
    FOLLOW_UP_STAGES,
    PROJECT_FIELDS,
    follow_up_due_date,
)

# ---------------------------------------------------------------------------------------
# Who sees what


def managed_dispositifs(user):
    """Dispositifs whose pipeline the user runs (every one for the national coordination)."""
    return Dispositif.objects.for_user(user, Action.MANAGE).order_by("name")


def _limit(queryset, ids: set[int] | None):
    return queryset if ids is None else queryset.filter(dispositif_id__in=ids)


# ---------------------------------------------------------------------------------------
# Companies


class EqualsAny(Func):
    """``value = ANY(array)`` in PostgreSQL: is the value one of the array's elements?"""

    template = "(%(expressions)s))"
    arg_joiner = " = ANY("
    output_field = BooleanField()


def eligibility_cutoff(on: dt.date | None = None) -> dt.date:
    """Latest creation date of a company old enough on ``on`` (birthday arithmetic)."""
    on = on or timezone.localdate()
    try:
        return on.replace(year=on.year - MIN_AGE_YEARS)
    except ValueError:  # 29 February
        return on.replace(year=on.year - MIN_AGE_YEARS, day=28)


def _criteria_but_turnover(on: dt.date | None = None, prefix: str = "") -> Q:
    in_perimeter = Q(EqualsAny(F(f"{prefix}commune_code"), F(f"{prefix}dispositif__perimeter")))
    return (
        Q(**{f"{prefix}creation_date__lte": eligibility_cutoff(on)})
        & Q(**{f"{prefix}headcount__lt": SME_MAX_HEADCOUNT})
        & in_perimeter
    )


def criteria_met_condition(on: dt.date | None = None, prefix: str = "") -> Q:
    """The three criteria of ``Company.eligibility`` as one SQL condition (on the company
    reached through ``prefix``, e.g. ``"project__company__"``). An unknown turnover is not a
    pass (it is « to be checked »), as in the model."""
    return (
        _criteria_but_turnover(on, prefix)
        & Q(**{f"{prefix}turnover__isnull": False})
        & Q(**{f"{prefix}turnover__lte": SME_MAX_TURNOVER})
    )


def with_dossier_gaps(queryset, prefix: str = ""):
    """Annotate what a dossier (the project reached through ``prefix``) still lacks before a
    committee: ``not_eligible`` (criteria not met and no exception) and ``amount_missing``
    (no requested advance). Computed by the database, so a list costs one query."""
    company = f"{prefix}company__"
    eligible = criteria_met_condition(prefix=company) | Q(
        **{f"{company}eligibility_exception": True}
    )
    return queryset.annotate(
        not_eligible=ExpressionWrapper(~eligible, output_field=BooleanField()),
        amount_missing=ExpressionWrapper(
            Q(**{f"{prefix}requested_advance__isnull": True}), output_field=BooleanField()
        ),
    )


def criteria_to_check_condition(on: dt.date | None = None) -> Q:
    """Nothing fails but the turnover is unknown: ``Eligibility.to_check`` in SQL."""
    return _criteria_but_turnover(on) & Q(turnover__isnull=True)


def with_eligibility(queryset):
    """Annotate ``criteria_met`` (the three criteria pass) and ``criteria_to_check`` (only
    the turnover is unknown), computed by the database."""
    return queryset.annotate(
        criteria_met=ExpressionWrapper(criteria_met_condition(), output_field=BooleanField()),
        criteria_to_check=ExpressionWrapper(
            criteria_to_check_condition(), output_field=BooleanField()
        ),
    )


def project_count_subquery():
    """The number of projects of the outer company, as a correlated subquery: counting
    through a join would group every company before the page is cut."""
    counts = (
        Project.objects.filter(company=OuterRef("pk"))
        .order_by()
        .values("company")
        .annotate(n=Count("id"))
        .values("n")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def company_list(user, action: str = Action.VIEW_COMPANY):
    """Companies the user may ``action`` (read, by default), with eligibility and project
    count."""
    queryset = Company.objects.for_user(user, action)
    return with_eligibility(queryset.select_related("dispositif")).annotate(
        project_count=project_count_subquery()
    )


COMPANY_ROW_COLUMNS = (
    "id",
    "dispositif_id",
    *COMPANY_FIELDS,
    "eligibility_exception",
    "exception_reason",
    "created_at",
    "updated_at",
)


def company_rows(queryset):
    """Plain rows of a companies list: the company's columns, its dispositif's slug and
    whether its commune is inside the dispositif's perimeter (tested by the database, so
    the perimeter array is never loaded)."""
    return queryset.values(
        *COMPANY_ROW_COLUMNS,
        dispositif_slug=F("dispositif__slug"),
        in_perimeter=ExpressionWrapper(
            Q(EqualsAny(F("commune_code"), F("dispositif__perimeter"))),
            output_field=BooleanField(),
        ),
    )


def company_detail_queryset(user, action: str = Action.VIEW_COMPANY):
    return Company.objects.for_user(user, action).select_related("dispositif", "exception_by")


def company_projects(company):
    return company.projects.select_related("referred_by").order_by("-referred_on", "-id")


# ---------------------------------------------------------------------------------------
# Projects


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


@dataclass
class FollowUpYear:
    """One line of the jobs follow-up table: what was planned and what was observed."""

    year: int
    due_on: dt.date | None
    record: JobsFollowUp | None
    reminder: FollowUpReminder | None
    planned_created: int

    @property
    def is_due(self) -> bool:
        return self.due_on is not None and self.due_on <= timezone.localdate()

    @property
    def is_overdue(self) -> bool:
        return self.record is None and follow_up_overdue(self.due_on)

    @property
    def gap(self) -> int | None:
        return None if self.record is None else self.record.jobs_created - self.planned_created


def overdue_reminder_condition(on: dt.date | None = None) -> Q:
    """``FollowUpReminder.overdue`` in SQL."""
    on = on or timezone.localdate()
    return Q(due_on__lt=on - dt.timedelta(days=FOLLOW_UP_GRACE_DAYS))


def open_follow_up_reminders(user):
    """Jobs follow-ups due and not yet recorded in the dispositifs the user runs, oldest
    first."""
    return (
        FollowUpReminder.objects.for_user(user, Action.MANAGE)
        .filter(resolved_at__isnull=True)
        .select_related("dispositif", "project__company")
        .order_by("due_on", "project__title", "id")
    )


def project_follow_up_table(project) -> list[FollowUpYear]:
    """Years 1..N of the dispositif's follow-up, planned jobs against recorded ones."""
    if project.stage not in FOLLOW_UP_STAGES or project.approved_on is None:
        return []
    records = {
        f.year: f
        for f in JobsFollowUp.objects.filter(project=project).select_related("recorded_by")
    }
    reminders = {
        r.year: r
        for r in FollowUpReminder.objects.filter(project=project, resolved_at__isnull=True)
    }
    planned = max(project.jobs_planned_3y - project.jobs_at_start, 0)
    return [
        FollowUpYear(
            year=year,
            due_on=follow_up_due_date(project, year),
            record=records.get(year),
            reminder=reminders.get(year),
            planned_created=planned,
        )
        for year in range(1, project.dispositif.follow_up_years + 1)
    ]


# ---------------------------------------------------------------------------------------
# Audit history

# The stage is not among them: its history is the stage log (``StageTransition``).
HISTORY_FIELDS = (*PROJECT_FIELDS, "approved_on", "first_committee_on")
# A move that sets committee dates saves the project at the move's own time (see
# ``pme.models.ProjectLifecycle``); such audit rows written before the stage left the audit
# history came a few milliseconds after their move.
SAME_SAVE = dt.timedelta(seconds=1)


@dataclass
class FieldChange:
    label: str
    old: str
    new: str


@dataclass
class HistoryEntry:
    """One saved version of the project (or of one of its follow-ups): who, when, what."""

    at: dt.datetime
    user: object
    subject: str
    created: bool
    changes: list[FieldChange] = field(default_factory=list)


def _display(model, name: str, value, organisations: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    model_field = model._meta.get_field(name)
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if name == "referred_by":
        return organisations.get(value, f"#{value}")
    if isinstance(value, dt.datetime):
        return short_datetime(value)
    if isinstance(value, dt.date):
        return short_date(value)
    if isinstance(value, Decimal):
        return money(value)
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "…"


def _changes(model, fields, previous, current, organisations) -> list[FieldChange]:
    changes = []
    for name in fields:
        attname = model._meta.get_field(name).attname
        old, new = getattr(previous, attname), getattr(current, attname)
        if old != new:
            changes.append(
                FieldChange(
                    label=_label(model, name),
                    old=_display(model, name, old, organisations),
                    new=_display(model, name, new, organisations),
                )
            )
    return changes


def _label(model, name: str) -> str:
    return str(model._meta.get_field(name).verbose_name).capitalize()


def _stage_change(step) -> FieldChange:
    return FieldChange(
        label=_label(Project, "stage"),
        old=_display(Project, "stage", step.from_stage, {}),
        new=_display(Project, "stage", step.to_stage, {}),
    )


def project_history(project, timeline: list | None = None) -> list[HistoryEntry]:
    """The project's audit trail (simple_history), newest first, with old → new values.

    Stage changes come from the stage log (``timeline``, the project's transitions oldest
    first, read when not given), each shown with the committee dates its move set.
    Follow-up corrections are included. Three queries (four without ``timeline``) whatever
    the length of the history.
    """
    project_rows = list(
        project.history.select_related("history_user").order_by("history_date", "history_id")
    )
    follow_up_rows = list(
        JobsFollowUp.history.model.objects.filter(project_id=project.pk)
        .select_related("history_user")
        .order_by("history_date", "history_id")
    )
    if timeline is None:
        timeline = list(project_timeline(project))
    organisation_ids = {row.referred_by_id for row in project_rows if row.referred_by_id}
    organisations = dict(
        Organisation.objects.filter(pk__in=organisation_ids).values_list("pk", "name")
    )
    moves = [step for step in timeline if step.from_stage]  # not the creation
    move_times = [step.at for step in moves]
    merged: set[int] = set()
    date_labels = {_label(Project, name) for name in COMMITTEE_DATE_FIELDS}
    entries = []
    previous = None
    for row in project_rows:
        created = previous is None
        changes = [] if created else _changes(Project, HISTORY_FIELDS, previous, row, organisations)
        if created or changes:
            entries.append(
                HistoryEntry(row.history_date, row.history_user, _("Projet"), created, changes)
            )
        if changes and {change.label for change in changes} <= date_labels:
            # Only a move sets committee dates: its stage change is shown with them.
            index = bisect_right(move_times, row.history_date) - 1
            if (
                index >= 0
                and index not in merged
                and row.history_date - moves[index].at <= SAME_SAVE
            ):
                merged.add(index)
                changes.insert(0, _stage_change(moves[index]))
        previous = row
    for index, step in enumerate(moves):
        if index not in merged:
            entries.append(
                HistoryEntry(step.at, step.by, _("Projet"), False, [_stage_change(step)])
            )
    last_by_year: dict[int, object] = {}
    for row in follow_up_rows:
        before = last_by_year.get(row.year)
        subject = _("Suivi des emplois, année %(year)s") % {"year": row.year}
        changes = (
            []
            if before is None
            else _changes(JobsFollowUp, FOLLOW_UP_FIELDS, before, row, organisations)
        )
        if before is None or changes:
            entries.append(
                HistoryEntry(row.history_date, row.history_user, subject, before is None, changes)
            )
        last_by_year[row.year] = row
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


# ---------------------------------------------------------------------------------------
# Funnel


class Median(Aggregate):
    """PostgreSQL's ``percentile_cont(0.5)`` over an expression."""

    function = "PERCENTILE_CONT"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"


OUTSIDE_FUNNEL = [Stage.DEFERRED, Stage.REJECTED, Stage.ABANDONED]


@dataclass
class FunnelBar:
    key: str
    label: str
    count: int
    percent: int


@dataclass
class Funnel:
    """What the funnel page shows for one dispositif (or several)."""

    stages: list[FunnelBar]
    outside: list[FunnelBar]
    sources: list[FunnelBar]
    total: int
    median_days_to_committee: float | None
    went_to_committee: int
    exceptions: int


def _bars(rows: list[tuple[str, str, int]], scale: int) -> list[FunnelBar]:
    return [
        FunnelBar(key, label, count, round(100 * count / scale) if scale else 0)
        for key, label, count in rows
    ]


def pipeline_funnel(dispositif_ids: set[int] | None) -> Funnel:
    """Projects by stage in funnel order, referral sources, days from referral to the first
    committee (median) and eligibility exceptions; four queries whatever the volume."""
    projects = _limit(Project.objects.all(), dispositif_ids)
    by_stage = dict(
        projects.order_by().values_list("stage").annotate(n=Count("id")).values_list("stage", "n")
    )
    sources = list(
        projects.order_by()
        .values_list("referred_by_id", "referred_by__name")
        .annotate(n=Count("id"))
        .order_by("-n", "referred_by__name")
    )
    timing = projects.filter(first_committee_on__isnull=False).aggregate(
        median=Median(
            ExpressionWrapper(
                F("first_committee_on") - F("referred_on"), output_field=DurationField()
            ),
            output_field=DurationField(),
        ),
        n=Count("id"),
    )
    exceptions = _limit(Company.objects.filter(eligibility_exception=True), dispositif_ids).count()

    funnel_rows = [(stage, Stage(stage).label, by_stage.get(stage, 0)) for stage in FUNNEL]
    outside_rows = [(stage, Stage(stage).label, by_stage.get(stage, 0)) for stage in OUTSIDE_FUNNEL]
    scale = max([count for *_rest, count in funnel_rows + outside_rows] + [0])
    source_rows = [
        (str(pk or ""), name or _("non renseigné"), count) for pk, name, count in sources
    ]
    source_scale = max([count for *_rest, count in source_rows] + [0])
    median = timing["median"]
    return Funnel(
        stages=_bars(funnel_rows, scale),
        outside=_bars(outside_rows, scale),
        sources=_bars(source_rows, source_scale),
        total=sum(by_stage.values()),
        median_days_to_committee=None if median is None else median.total_seconds() / 86400,
        went_to_committee=timing["n"],
        exceptions=exceptions,
    )


FUNNEL_VERSION_KEY = "pme:funnel:version"
FUNNEL_CACHE_SECONDS = 300


def _bump_funnel_version() -> None:
    try:
        cache.incr(FUNNEL_VERSION_KEY)
    except ValueError:
        cache.set(FUNNEL_VERSION_KEY, 1, None)


def funnel_changed() -> None:
    """Projects, companies or referrers changed: every cached funnel is stale, now and once
    the transaction commits (a funnel read in between would cache the old rows)."""
    _bump_funnel_version()
    transaction.on_commit(_bump_funnel_version)


def pipeline_funnel_cached(dispositif_ids: set[int] | None) -> Funnel:
    """``pipeline_funnel`` cached per scope (the dispositifs, or all) and language, until
    projects, companies or referrers change (``funnel_changed``), at most five minutes."""
    version = cache.get(FUNNEL_VERSION_KEY, 0)
    scope_key = "all" if dispositif_ids is None else ",".join(map(str, sorted(dispositif_ids)))
    key = f"pme:funnel:{version}:{get_language()}:{scope_key}"
    funnel = cache.get(key)
    if funnel is None:
        funnel = pipeline_funnel(dispositif_ids)
        cache.set(key, funnel, FUNNEL_CACHE_SECONDS)
    return funnel
