"""Layout context: the navigation the user sees (its entries, and the menu that files them
under sections) and the names of their roles."""

from alize.navigation import entries_for, menu_of

from .models import Role
from .roles import roles_of


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "menu": [], "user_roles": []}
    labels = dict(Role.choices)
    entries = entries_for(request)
    return {
        "navigation": entries,
        "menu": menu_of(entries),
        "user_roles": sorted(str(labels[r]) for r in roles_of(user)),
    }
