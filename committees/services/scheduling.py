"""Scheduling committees: the host, planning, changes, status moves, cancelling and
recording a committee already held."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.formats import long_date
from dispositifs.models import Membership
from partners.models import Organisation
from pme.models import Stage
from pme.services import project_take_off_agenda

from ..models import COMMITTEE_LIFECYCLE, AgendaItem, Committee, CommitteeStatus, Decision
from ..signals import committee_moved, committee_status_changed
from ._common import (
    SITTING_STATUSES,
    _agenda_append,
    _committee_date,
    _is_member,
    _today,
)


def _check_planned_date(date: dt.date) -> None:
    if date < _today():
        raise ValidationError(
            {
                "date": _(
                    "Un comité planifié se tient aujourd'hui ou plus tard. Pour garder la trace "
                    "d'un comité passé, enregistrez un comité passé."
                )
            }
        )


def _check_past_date(date: dt.date) -> None:
    if date > _today():
        raise ValidationError(
            {"date": _("Un comité tenu est daté d'aujourd'hui ou d'un jour passé.")}
        )


def _place(place: str, host) -> str:
    """The place of a committee: as given, else the host's address."""
    place = (place or "").strip()
    return place or (host.meeting_place if host is not None else "")


def committee_suggest_host(dispositif) -> Organisation | None:
    """The active member that hosted least recently (never first), so meetings move around."""
    last_hosted = {
        row["host"]: row["last"]
        for row in Committee.objects.filter(dispositif=dispositif, host__isnull=False)
        .values("host")
        .annotate(last=Max("date"))
    }
    members = (
        Membership.objects.filter(dispositif=dispositif, left_on__isnull=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    candidates = [m.organisation for m in members]
    if not candidates:
        return None
    return min(candidates, key=lambda org: (last_hosted.get(org.pk, dt.date.min), org.name))


@transaction.atomic
def committee_schedule(
    *, dispositif, date: dt.date, host=None, place: str = "", start_time=None
) -> Committee:
    """Plan a committee, today or later; the host must hold a seat at the tour de table on
    that date. A committee already held is recorded with ``committee_record_past``."""
    _check_planned_date(date)
    if host is not None and not _is_member(dispositif, host, on=date):
        raise ValidationError({"host": _("L'organisation hôte doit être membre du dispositif.")})
    committee = Committee(
        dispositif=dispositif,
        date=date,
        host=host,
        place=_place(place, host),
        start_time=start_time,
    )
    committee.full_clean()
    committee.save()
    return committee


@transaction.atomic
def committee_update(*, committee: Committee, by=None, **fields) -> Committee:
    """Change a committee's date, time, host, place or minutes (never its status here).

    A planned committee is not moved into the past, a held one not into the future, and the
    date of a committee that has decisions (the projects' dates come from it) stays. A
    committee whose agenda was sent and whose date, time or place changes raises its
    invitation's sequence and sends ``committee_moved`` (``by`` moved it) with the line
    saying what changed: the members receive the updated invitation and agenda.
    """
    allowed = {"date", "start_time", "host", "place", "minutes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown committee field: {sorted(unknown)}")
    stored = Committee.objects.select_for_update().get(pk=committee.pk)
    new_date = fields.get("date", stored.date)
    if new_date != stored.date:
        if Decision.objects.filter(item__committee=stored).exists():
            raise ValidationError(
                {"date": _("Des décisions sont enregistrées à ce comité : sa date ne change plus.")}
            )
        if stored.status in SITTING_STATUSES:
            _check_planned_date(new_date)
        else:
            _check_past_date(new_date)
    for name, value in fields.items():
        setattr(committee, name, value)
    committee.place = _place(committee.place, committee.host)
    if committee.host is not None and not _is_member(
        committee.dispositif, committee.host, on=committee.date
    ):
        raise ValidationError({"host": _("L'organisation hôte doit être membre du dispositif.")})
    changes = _what_changed(stored, committee)
    if changes and stored.status == CommitteeStatus.AGENDA_SENT:
        # The invitation sent with the agenda changes: calendars replace it (same UID,
        # higher SEQUENCE) and a new version of the agenda says what changed.
        committee.sequence = stored.sequence + 1
    committee.full_clean()
    committee.save()
    if changes and stored.status == CommitteeStatus.AGENDA_SENT:
        committee_moved.send(sender=Committee, committee=committee, changes=changes, by=by)
    return committee


def _what_changed(before: Committee, after: Committee) -> str:
    """One line saying how the meeting moved (date, time, place), empty when it did not."""
    parts = []
    if before.date != after.date:
        parts.append(
            _("date : %(old)s → %(new)s")
            % {"old": long_date(before.date), "new": long_date(after.date)}
        )
    if before.start_time != after.start_time:
        parts.append(
            _("heure : %(old)s → %(new)s")
            % {"old": _clock(before.start_time), "new": _clock(after.start_time)}
        )
    if before.place != after.place:
        parts.append(
            _("lieu : %(old)s → %(new)s") % {"old": before.place or "—", "new": after.place or "—"}
        )
    return "; ".join(parts)


def _clock(value) -> str:
    return value.strftime("%H:%M") if value else "—"


@transaction.atomic
def committee_set_status(*, committee: Committee, status: str, by=None) -> Committee:
    """planned → agenda sent → held → minutes sent (planned → held when no agenda was sent);
    a planned committee or one whose agenda was sent may be cancelled while none of its
    dossiers is decided (they go back to « in instruction »).

    Sends ``committee_status_changed`` (the agenda and the minutes are built and mailed on
    it); ``by`` is who moved the committee (None for a scheduled job), kept with the time
    in the committee's log (``CommitteeTransition``)."""
    COMMITTEE_LIFECYCLE.lock(committee)
    COMMITTEE_LIFECYCLE.check(committee.status, status)
    if status == CommitteeStatus.CANCELLED:
        _cancel(committee, by=by)
    if status == CommitteeStatus.HELD and committee.date > _today():
        raise ApplicationError(
            _("Le comité du %(date)s ne peut être tenu qu'à partir de sa date.")
            % _committee_date(committee),
            field="status",
        )
    COMMITTEE_LIFECYCLE.move(committee, status, by=by, locked=True)
    committee_status_changed.send(sender=Committee, committee=committee, by=by)
    return committee


def _cancel(committee: Committee, *, by) -> None:
    """Before a committee is cancelled: none of its dossiers is decided; they go back to
    « in instruction » (ready for another committee); its invitation's sequence rises."""
    if Decision.objects.filter(item__committee=committee).exists():
        raise ApplicationError(
            _("Des décisions sont enregistrées à ce comité : il ne peut plus être annulé."),
            field="status",
        )
    for item in AgendaItem.objects.filter(committee=committee).select_related("project"):
        if item.project.stage == Stage.ON_AGENDA:
            project_take_off_agenda(
                project=item.project,
                by=by,
                comment=_("Comité du %(date)s annulé") % _committee_date(committee),
            )
    committee.sequence += 1
    committee.save(update_fields=["sequence"])


@transaction.atomic
def committee_delete(*, committee: Committee) -> None:
    """Cancel a planned committee whose agenda is empty; a meeting with dossiers is kept."""
    locked = Committee.objects.select_for_update().get(pk=committee.pk)
    if locked.status != CommitteeStatus.PLANNED:
        raise ApplicationError(_("Seul un comité planifié peut être annulé."), field="status")
    if AgendaItem.objects.filter(committee=locked).exists():
        raise ApplicationError(
            _("Retirez d'abord les projets de l'ordre du jour."), field="project"
        )
    locked.delete()


@transaction.atomic
def committee_record_past(
    *,
    dispositif,
    date: dt.date,
    by,
    host=None,
    place: str = "",
    start_time=None,
    minutes: str = "",
    projects=(),
) -> Committee:
    """Record, for history, a committee already held (today or before), with the projects it
    examined on its agenda; it is created « held », ready for its decisions."""
    _check_past_date(date)
    if host is not None and not _is_member(dispositif, host, on=date):
        raise ValidationError({"host": _("L'organisation hôte doit être membre du dispositif.")})
    projects = list(projects)
    if len({project.pk for project in projects}) != len(projects):
        raise ValidationError({"projects": _("Chaque projet n'est inscrit qu'une fois.")})
    committee = Committee(
        dispositif=dispositif,
        date=date,
        host=host,
        place=_place(place, host),
        start_time=start_time,
        minutes=minutes,
    )
    committee.full_clean()
    committee.save()
    for project in projects:
        try:
            _agenda_append(committee, project, by=by)
        except ValidationError as error:
            raise ValidationError(
                {"projects": [f"{project.title} : {m}" for m in error.messages]}
            ) from error
    # Created by this transaction, the row is not seen by any other: no lock needed.
    COMMITTEE_LIFECYCLE.move(committee, CommitteeStatus.HELD, by=by, locked=True)
    return committee
