"""The committees' way forward on a project page: a project in instruction (or deferred)
goes next on a committee's agenda, so the page's action area (the « project-actions »
panels, see ``pme.panels``) offers the planned committees of its dispositif, each with a
button that posts to the agenda (``committees:agenda-add``)."""

from django.utils import timezone

from alize.actions import Action
from alize.panels import register_panel
from dispositifs.access import may

from .models import CommitteeStatus
from .selectors import AGENDA_READY_STAGES, committee_for

OFFERED_COMMITTEES = 4
# An agenda is still open before the committee is held.
OPEN_AGENDA_STATUSES = (CommitteeStatus.PLANNED, CommitteeStatus.AGENDA_SENT)


def committees_open_for(user, project, *, today=None):
    """The committees of the project's dispositif that can still take it: from today on,
    agenda not closed (not held), the project not on their agenda yet; soonest first."""
    today = today or timezone.localdate()
    return (
        committee_for(user, Action.MANAGE)
        .filter(
            dispositif_id=project.dispositif_id,
            date__gte=today,
            status__in=OPEN_AGENDA_STATUSES,
        )
        .exclude(items__project_id=project.pk)
        .order_by("date", "start_time", "pk")
    )


@register_panel("project-actions", order=10)
def agenda_choices_panel(request, project):
    """For those who run the dispositif, while the project is ready for a committee."""
    if project.stage not in AGENDA_READY_STAGES:
        return None
    if not may(request.user, Action.MANAGE, project.dispositif_id):
        return None
    return {
        "template": "committees/panel_project_actions.html",
        "project": project,
        "committees": list(committees_open_for(request.user, project)[:OFFERED_COMMITTEES]),
    }
