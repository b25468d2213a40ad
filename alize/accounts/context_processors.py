"""Navigation entries shown in the layout, derived from the user's roles."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from .models import Role
from .roles import has_role, roles_of

# (label, url name, roles that see it; empty = every logged-in user)
NAVIGATION = [
    (_("Accueil"), "home", ()),
    (_("Dispositifs"), "dispositifs:list", ()),
    (_("Organisations"), "partners:organisation-list", (Role.NATIONAL_COORDINATOR, Role.ANIMATEUR)),
]


def register_navigation(label, url_name, roles=()):
    """Apps add their entries here at import time, in menu order."""
    NAVIGATION.append((label, url_name, tuple(roles)))


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"navigation": [], "user_roles": []}
    entries = []
    path = request.path
    for label, url_name, roles in NAVIGATION:
        if roles and not has_role(user, *roles):
            continue
        url = reverse(url_name)
        active = path == url if url == "/" else path.startswith(url)
        entries.append({"label": label, "url": url, "active": active})
    labels = dict(Role.choices)
    return {
        "navigation": entries,
        "user_roles": sorted(str(labels[r]) for r in roles_of(user)),
        "is_coordinator": has_role(user, Role.NATIONAL_COORDINATOR),
    }
