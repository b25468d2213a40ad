"""Home-page panels contributed by the dispositifs app."""

from alize.accounts.roles import dispositif_ids_for, is_coordinator
from alize.accounts.views import register_home_panel

from .selectors import dispositif_list


@register_home_panel
def dispositifs_panel(request):
    """The dispositifs the user works in (every one for the national coordination)."""
    if dispositif_ids_for(request.user) == set():
        return None
    return {
        "template": "dispositifs/panel_dispositifs.html",
        "dispositifs": dispositif_list().order_by("name"),
        "national": is_coordinator(request.user),
    }
