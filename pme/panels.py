"""Panels the pme app contributes: the jobs follow-ups due on the home page, and the
links to a dispositif's pipeline on its page."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.panels import register_panel
from dispositifs.access import Action, dispositif_ids, may

from .selectors import open_follow_up_reminders

PANEL_ROWS = 20


@register_panel("home", order=30)
def due_follow_ups_panel(request, obj=None):
    """For those who run a pipeline: the jobs follow-ups that are due and not yet recorded,
    oldest first, in the dispositifs they manage."""
    managed = dispositif_ids(request.user, Action.MANAGE)
    if managed is not None and not managed:
        return None
    reminders = open_follow_up_reminders(request.user)
    total = reminders.count()
    rows = reminders[:PANEL_ROWS]
    return {
        "template": "pme/panel_follow_ups.html",
        "reminders": list(rows),
        "total": total,
        "several_dispositifs": managed is None or len(managed) > 1,
    }


@register_panel("dispositif", order=10)
def dispositif_pipeline_panel(request, dispositif):
    """Shortcuts to the dispositif's pipeline pages, as far as the user's roles reach."""
    user = request.user
    pages = [
        (Action.VIEW_COMPANY, _("Entreprises"), "pme:company-list"),
        (Action.VIEW_PROJECT, _("Projets"), "pme:project-list"),
        (Action.MANAGE, _("Entonnoir"), "pme:funnel"),
    ]
    links = [
        (label, f"{reverse(name)}?dispositif={dispositif.slug}")
        for action, label, name in pages
        if may(user, action, dispositif.pk)
    ]
    if not links:
        return None
    return {
        "template": "includes/panel_links.html",
        "label": _("Le pipeline du dispositif"),
        "links": links,
    }
