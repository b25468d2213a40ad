"""The agenda of a committee: adding, removing, reordering and moving its dossiers."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from pme.models import Project, Stage
from pme.services import project_take_off_agenda

from ..models import AgendaItem, Committee, CommitteeStatus, Decision
from ._common import _agenda_append, _committee_date


def _check_open(committee: Committee) -> None:
    if committee.status == CommitteeStatus.CANCELLED:
        raise ApplicationError(_("Ce comité est annulé."), field="project")
    if committee.status in (CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT):
        raise ApplicationError(
            _("L'ordre du jour d'un comité tenu ne change plus."), field="project"
        )


@transaction.atomic
def agenda_add_project(*, committee: Committee, project: Project, by) -> AgendaItem:
    """Put a ready project at the end of the agenda; it moves to « on agenda »."""
    _check_open(committee)
    return _agenda_append(committee, project, by=by)


@transaction.atomic
def agenda_remove_item(*, item: AgendaItem, by) -> None:
    """Take an undecided project off the agenda; it goes back to « in instruction ».

    A project abandoned while on the agenda keeps its stage: it is only taken off.
    """
    _check_open(item.committee)
    if Decision.objects.filter(item=item).exists():
        raise ApplicationError(_("Ce dossier a déjà une décision."), field="project")
    project = item.project
    committee = item.committee
    item.delete()
    if project.stage == Stage.ON_AGENDA:
        project_take_off_agenda(
            project=project,
            by=by,
            comment=_("Retiré de l'ordre du jour du comité du %(date)s")
            % _committee_date(committee),
        )
    _renumber(committee)


def _renumber(committee: Committee) -> None:
    for position, item in enumerate(
        AgendaItem.objects.filter(committee=committee).order_by("order", "id"), start=1
    ):
        if item.order != position:
            item.order = position
            item.save(update_fields=["order"])


@transaction.atomic
def agenda_reorder(*, committee: Committee, item_ids: list[int]) -> None:
    """Set the agenda order; ``item_ids`` must list exactly the committee's items.

    The agenda of a committee already held no longer changes.
    """
    if committee.status in (CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT):
        raise ApplicationError(_("L'ordre du jour d'un comité tenu ne change plus."), field="order")
    current = set(AgendaItem.objects.filter(committee=committee).values_list("pk", flat=True))
    if len(item_ids) != len(set(item_ids)) or set(item_ids) != current:
        raise ValidationError({"order": _("L'ordre doit reprendre chaque dossier une fois.")})
    items = {item.pk: item for item in AgendaItem.objects.filter(committee=committee)}
    for position, pk in enumerate(item_ids, start=1):
        item = items[pk]
        if item.order != position:
            item.order = position
            item.save(update_fields=["order"])


@transaction.atomic
def agenda_move_item(*, item: AgendaItem, offset: int) -> None:
    """Move an item up (-1) or down (+1) in its committee's agenda."""
    ids = list(
        AgendaItem.objects.filter(committee=item.committee)
        .order_by("order", "id")
        .values_list("pk", flat=True)
    )
    index = ids.index(item.pk)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    agenda_reorder(committee=item.committee, item_ids=ids)
