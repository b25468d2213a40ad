"""Panels the dispositifs app contributes: the user's dispositifs on the home page, and an
organisation's seats at the tour de table on its page."""

from alize.actions import Action
from alize.panels import register_panel

from .access import dispositif_ids
from .selectors import dispositif_list, organisation_memberships


@register_panel("home", order=10)
def dispositifs_panel(request, obj=None):
    """The dispositifs the user works in (every one for the national coordination)."""
    ids = dispositif_ids(request.user, Action.VIEW_DISPOSITIF)
    if ids == set():
        return None
    return {
        "template": "dispositifs/panel_dispositifs.html",
        "dispositifs": dispositif_list(request.user).order_by("name"),
        "national": ids is None,
    }


@register_panel("organisation", order=10)
def organisation_seats_panel(request, organisation):
    """The organisation's seats at the tour de table of the dispositifs the user reads."""
    return {
        "template": "dispositifs/panel_organisation_seats.html",
        "memberships": organisation_memberships(request.user, organisation),
    }
