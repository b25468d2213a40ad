"""The jobs follow-up: a project's table of years, the reminders still open, and the
declarations the SMEs made themselves (pending the animateur's review, and as the public
link reads one)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from alize.actions import Action

from ..models import (
    FOLLOW_UP_GRACE_DAYS,
    DeclarationStatus,
    FollowUpDeclaration,
    FollowUpReminder,
    JobsFollowUp,
    follow_up_overdue,
)
from ..services import FOLLOW_UP_STAGES, follow_up_due_date


@dataclass
class FollowUpYear:
    """One line of the jobs follow-up table: what was planned and what was observed."""

    year: int
    due_on: dt.date | None
    record: JobsFollowUp | None
    reminder: FollowUpReminder | None
    planned_created: int
    declaration: FollowUpDeclaration | None = None

    @property
    def declaration_pending(self) -> bool:
        return (
            self.declaration is not None and self.declaration.status == DeclarationStatus.DECLARED
        )

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
    declarations = {
        d.year: d
        for d in FollowUpDeclaration.objects.filter(project=project).select_related(
            "reviewed_by", "link"
        )
    }
    planned = max(project.jobs_planned_3y - project.jobs_at_start, 0)
    return [
        FollowUpYear(
            year=year,
            due_on=follow_up_due_date(project, year),
            record=records.get(year),
            reminder=reminders.get(year),
            planned_created=planned,
            declaration=declarations.get(year),
        )
        for year in range(1, project.dispositif.follow_up_years + 1)
    ]


def follow_up_list(user):
    """Jobs follow-ups of the projects ``user`` reads, with their project, company and
    dispositif in the same query."""
    return JobsFollowUp.objects.for_user(user, Action.VIEW_PROJECT).select_related(
        "project__company", "dispositif"
    )


def pending_follow_up_declarations(user):
    """The SMEs' declarations waiting for review in the dispositifs the user runs, oldest
    first."""
    return (
        FollowUpDeclaration.objects.for_user(user, Action.MANAGE)
        .filter(status=DeclarationStatus.DECLARED)
        .select_related("dispositif", "project__company")
        .order_by("declared_at", "id")
    )


def follow_up_declaration_for_review(user):
    """The SMEs' declarations the user may review (those of the dispositifs they run), with
    what the review page shows."""
    return FollowUpDeclaration.objects.for_user(user, Action.MANAGE).select_related(
        "dispositif", "project__company", "reviewed_by", "follow_up__recorded_by", "link"
    )


def follow_up_declaration_by_link(link):
    """The declaration a signed link opens (``alize.links.OpenedLink``), with only what its
    page shows: the company's name, the project's title, the year. Run in the link's
    dispositif's scope (``alize.tenancy.public_door_scope``); None when it is gone."""
    return (
        FollowUpDeclaration.objects.filter(pk=link.object_id, link__nonce=link.nonce)
        .select_related("project__company")
        .first()
    )
