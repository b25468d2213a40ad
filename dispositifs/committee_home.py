"""Home-page panel of committees: the next meetings of the user's dispositifs."""

from alize.accounts.models import Role
from alize.accounts.roles import has_role
from alize.accounts.views import register_home_panel

from .selectors import committee_upcoming


@register_home_panel
def upcoming_committees_panel(request):
    """For animateurs and committee members: the next committees of their dispositifs."""
    if not has_role(request.user, Role.ANIMATEUR, Role.COMMITTEE_MEMBER):
        return None
    return {
        "template": "dispositifs/committee_panel.html",
        "committees": list(committee_upcoming(request.user)),
    }
