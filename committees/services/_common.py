"""What the committees services share: dates, seats at the tour de table, the sitting
statuses and appending a project to an agenda."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.formats import long_date
from dispositifs.models import Membership
from pme.models import Project
from pme.services import project_put_on_agenda

from ..models import AgendaItem, Committee, CommitteeStatus
from ..selectors import AGENDA_READY_STAGES


def _committee_date(committee: Committee) -> dict:
    return {"date": long_date(committee.date)}


SITTING_STATUSES = frozenset({CommitteeStatus.PLANNED, CommitteeStatus.AGENDA_SENT})
HELD_STATUSES = frozenset({CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT})


def _today() -> dt.date:
    return timezone.localdate()


def _is_member(dispositif, organisation, on: dt.date | None = None) -> bool:
    seats = Membership.objects.filter(dispositif=dispositif, organisation=organisation)
    if on is not None:
        seats = seats.filter(Q(left_on__isnull=True) | Q(left_on__gte=on))
    return seats.exists()


def _agenda_append(committee: Committee, project: Project, *, by) -> AgendaItem:
    if project.dispositif_id != committee.dispositif_id:
        raise ValidationError({"project": _("Ce projet appartient à un autre dispositif.")})
    # Locked first: of two simultaneous adds, the second waits and then sees the new stage.
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.stage not in AGENDA_READY_STAGES:
        raise ValidationError(
            {"project": _("Seul un projet en instruction ou ajourné peut être inscrit.")}
        )
    if AgendaItem.objects.filter(committee=committee, project=project).exists():
        raise ValidationError({"project": _("Ce projet est déjà à l'ordre du jour.")})
    last = AgendaItem.objects.filter(committee=committee).aggregate(m=Max("order"))["m"] or 0
    item = AgendaItem.objects.create(
        dispositif_id=committee.dispositif_id, committee=committee, project=project, order=last + 1
    )
    project_put_on_agenda(
        project=project,
        by=by,
        comment=_("Inscrit à l'ordre du jour du comité du %(date)s") % _committee_date(committee),
    )
    return item
