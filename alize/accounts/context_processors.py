"""Layout context: the navigation the user sees and the names of their roles."""

from alize.navigation import entries_for

from .models import Role
from .roles import roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "user_roles": []}
    labels = dict(Role.choices)
    return {
        "navigation": entries_for(request),
        "user_roles": sorted(str(labels[r]) for r in roles_of(user)),
    }
