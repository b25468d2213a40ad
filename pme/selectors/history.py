"""A project's audit history: its saved versions, its stage moves and its follow-ups'."""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from alize.formats import money, short_date, short_datetime
from partners.models import Organisation

from ..models import COMMITTEE_DATE_FIELDS, JobsFollowUp, Project
from ..services import FOLLOW_UP_FIELDS, PROJECT_FIELDS
from .projects import project_timeline

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
