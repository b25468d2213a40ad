"""Panels the committees contribute: the next meetings on the home page, a link on the
dispositif page, and a project's passages before committees on the project page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.panels import register_panel
from dispositifs.access import dispositif_ids, may

from .selectors import committee_upcoming, project_committee_passages


@register_panel("home", order=20)
def upcoming_committees_panel(request, obj=None):
    """For those who read committees in a dispositif of their own (not the whole network):
    the next committees, soonest first."""
    user = request.user
    if not dispositif_ids(user, Action.VIEW_COMMITTEE):  # none, or the whole network
        return None
    return {
        "template": "committees/panel.html",
        "committees": list(committee_upcoming(user)),
    }


@register_panel("dispositif", order=20)
def dispositif_committees_panel(request, dispositif):
    """A link to the dispositif's committees, for those who read them."""
    if not may(request.user, Action.VIEW_COMMITTEE, dispositif.pk):
        return None
    url = f"{reverse('committees:list')}?dispositif={dispositif.slug}"
    return {
        "template": "includes/panel_links.html",
        "label": _("Comités du dispositif"),
        "links": [(_("Comités"), url)],
    }


@register_panel("project", order=20)
def project_committees_panel(request, project):
    """The project's passages before committees: agenda, partners' tools, decision."""
    return {
        "template": "committees/panel_project_passages.html",
        "passages": project_committee_passages(project),
    }
