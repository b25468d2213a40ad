"""The animateur's home, committees' part of « what needs doing »: the next committee of
each dispositif they run and the dossiers on its agenda that still lack something (the
company's eligibility, the requested advance)."""

from django.utils import timezone

from alize.actions import Action
from alize.panels import register_panel
from dispositifs.access import dispositif_ids
from pme.selectors import with_dossier_gaps

from .project_actions import OPEN_AGENDA_STATUSES
from .selectors import committee_for, committee_item_for


def next_committees(user, *, today=None):
    """The next committee (from today on, agenda still open) of each dispositif the user
    runs, soonest first; one query."""
    today = today or timezone.localdate()
    nearest = (
        committee_for(user, Action.MANAGE)
        .filter(date__gte=today, status__in=OPEN_AGENDA_STATUSES)
        .order_by("dispositif_id", "date", "start_time", "pk")
        .distinct("dispositif_id")
    )
    return sorted(nearest, key=lambda c: (c.date, c.start_time is not None, c.start_time, c.pk))


def agenda_gaps(user, committees):
    """The agenda items of ``committees`` with ``not_eligible`` and ``amount_missing``
    (``pme.selectors.with_dossier_gaps``), in agenda order; one query."""
    return with_dossier_gaps(
        committee_item_for(user, Action.MANAGE).filter(committee__in=committees),
        prefix="project__",
    ).order_by("committee__date", "order", "pk")


@register_panel("home", order=25)
def next_committee_todo_panel(request, obj=None):
    """For the animateur (a few dispositifs, not the network): each next committee, with
    its dossiers and what is missing for them."""
    managed = dispositif_ids(request.user, Action.MANAGE)
    if not managed:  # none, or the whole network
        return None
    committees = next_committees(request.user)
    by_committee = {committee.pk: [] for committee in committees}
    for item in agenda_gaps(request.user, [c.pk for c in committees]):
        by_committee[item.committee_id].append(item)
    rows = [(committee, by_committee[committee.pk]) for committee in committees]
    return {
        "template": "committees/panel_home_todo.html",
        "rows": rows,
        "several_dispositifs": len(managed) > 1,
    }
