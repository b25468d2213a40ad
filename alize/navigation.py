"""The layout's navigation: entries that apps register, each shown to the users whom the
access policy lets do its action somewhere."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.mailbox import mailbox_dir
from alize.tenancy import may


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    action: str | None  # None: every signed-in user
    order: int
    when: Callable[..., bool] | None = None  # when(user): shown only while this answers True


NAVIGATION: list[Entry] = []


def register_navigation(
    label, url_name: str, action: str | None, *, order: int = 100, when=None
) -> None:
    """Apps add their entries at import time; ``order`` places them in the menu, ``when``
    (a function of the user) hides the entry while it answers False."""
    if any(entry.url_name == url_name for entry in NAVIGATION):
        return
    NAVIGATION.append(Entry(label, url_name, action, order, when))
    NAVIGATION.sort(key=lambda entry: entry.order)


def entries_for(request) -> list[dict]:
    """The entries ``request.user`` sees, with the one for the current page marked."""
    user = request.user
    entries: list[dict] = []
    for entry in NAVIGATION:
        if entry.action is not None and not may(user, entry.action):
            continue
        if entry.when is not None and not entry.when(user):
            continue
        url = reverse(entry.url_name)
        active = request.path == url if url == "/" else request.path.startswith(url)
        entries.append({"label": entry.label, "url": url, "active": active})
    # Only the most specific entry is current (/missions/hours/ is not also /missions/).
    current = max((e for e in entries if e["active"]), key=lambda e: len(e["url"]), default=None)
    for shown in entries:
        shown["active"] = shown is current
    return entries


register_navigation(_("Accueil"), "home", None, order=0)
register_navigation(_("Dispositifs"), "dispositifs:list", Action.VIEW_DISPOSITIF, order=10)
register_navigation(
    _("Organisations"), "partners:organisation-list", Action.VIEW_DIRECTORY, order=60
)
register_navigation(
    _("Données personnelles"), "personal_data:people", Action.MANAGE_PERSONAL_DATA, order=85
)
register_navigation(
    _("Boîte mail locale"),
    "mailbox",
    Action.MANAGE_NETWORK,
    order=90,
    when=lambda user: mailbox_dir() is not None,
)
