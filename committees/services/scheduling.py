"""Scheduling committees: the host, planning, changes, status moves, cancelling and
recording a committee already held."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from dispositifs.models import Membership
from partners.models import Organisation

from ..models import COMMITTEE_LIFECYCLE, AgendaItem, Committee, CommitteeStatus, Decision
from ..signals import committee_status_changed
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
def committee_update(*, committee: Committee, **fields) -> Committee:
    """Change a committee's date, time, host, place or minutes (never its status here).

    A planned committee is not moved into the past, a held one not into the future, and the
    date of a committee that has decisions (the projects' dates come from it) stays.
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
    committee.full_clean()
    committee.save()
    return committee


@transaction.atomic
def committee_set_status(*, committee: Committee, status: str, by=None) -> Committee:
    """planned → agenda sent → held → minutes sent (planned → held when no agenda was sent).

    Sends ``committee_status_changed`` (the agenda and the minutes are built and mailed on
    it); ``by`` is who moved the committee (None for a scheduled job), kept with the time
    in the committee's log (``CommitteeTransition``)."""
    COMMITTEE_LIFECYCLE.lock(committee)
    COMMITTEE_LIFECYCLE.check(committee.status, status)
    if status == CommitteeStatus.HELD and committee.date > _today():
        raise ApplicationError(
            _("Le comité du %(date)s ne peut être tenu qu'à partir de sa date.")
            % _committee_date(committee),
            field="status",
        )
    COMMITTEE_LIFECYCLE.move(committee, status, by=by, locked=True)
    committee_status_changed.send(sender=Committee, committee=committee, by=by)
    return committee


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
