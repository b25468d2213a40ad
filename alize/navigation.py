"""The layout's navigation: entries that apps register, each shown to the users whom the
access policy lets do its action somewhere, gathered under a few sections so that the menu
holds on one row (docs/architecture.md §8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.mailbox import mailbox_dir
from alize.tenancy import may

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


@dataclass(frozen=True)
class Section:
    """A heading of the menu, under which apps file their entries: a button that opens the
    section's links (one link alone is shown as itself)."""

    key: str
    label: StrOrPromise
    order: int


# The menu's sections, in the order they read. An entry without a section stands alone.
PIPELINE = Section("pipeline", _("Pipeline"), 20)
COMMITTEES = Section("committees", _("Comités"), 30)
PARTNER_FIRMS = Section("partner-firms", _("Entreprises partenaires"), 40)
FINANCING = Section("financing", _("Financement"), 50)
STEERING = Section("steering", _("Pilotage"), 60)
ADMINISTRATION = Section("administration", _("Administration"), 90)


@dataclass(frozen=True)
class Entry:
    label: str
    url_name: str
    action: str | None  # None: every signed-in user
    order: int
    when: Callable[..., bool] | None = None  # when(user): shown only while this answers True
    section: Section | None = None


NAVIGATION: list[Entry] = []


def register_navigation(
    label,
    url_name: str,
    action: str | None,
    *,
    order: int = 100,
    when=None,
    section: Section | None = None,
) -> None:
    """Apps add their entries at import time, filed under a ``section`` (none: the entry
    stands alone, as the home page does); ``order`` places them in their section, ``when``
    (a function of the user) hides the entry while it answers False."""
    if any(entry.url_name == url_name for entry in NAVIGATION):
        return
    NAVIGATION.append(Entry(label, url_name, action, order, when, section))
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
        entries.append(
            {
                "label": entry.label,
                "url": url,
                "active": active,
                "section": entry.section,
                "order": entry.order,
            }
        )
    # Only the most specific entry is current (/missions/hours/ is not also /missions/).
    current = max((e for e in entries if e["active"]), key=lambda e: len(e["url"]), default=None)
    for shown in entries:
        shown["active"] = shown is current
    return entries


def menu_of(entries: list[dict]) -> list[dict]:
    """The menu's items from ``entries_for``: an entry that stands alone, a section with one
    entry shown as that entry, or a section with its entries (``active`` when one of them
    is the current page), in the sections' order."""
    sections: dict[str, dict] = {}
    items: list[tuple[int, dict]] = []
    for entry in entries:
        section = entry["section"]
        if section is None:
            items.append((entry["order"], {"entry": entry}))
            continue
        if section.key not in sections:
            sections[section.key] = {"key": section.key, "label": section.label, "entries": []}
            items.append((section.order, sections[section.key]))
        sections[section.key]["entries"].append(entry)
    menu = []
    for _order, item in sorted(items, key=lambda pair: pair[0]):
        if "entries" in item and len(item["entries"]) == 1:
            item = {"entry": item["entries"][0]}
        if "entries" in item:
            item["active"] = any(entry["active"] for entry in item["entries"])
        menu.append(item)
    return menu


register_navigation(_("Accueil"), "home", None, order=0)
register_navigation(
    _("Dispositifs"), "dispositifs:list", Action.VIEW_DISPOSITIF, order=10, section=STEERING
)
register_navigation(
    _("Organisations"),
    "partners:organisation-list",
    Action.VIEW_DIRECTORY,
    order=60,
    section=ADMINISTRATION,
)
register_navigation(
    _("Données personnelles"),
    "personal_data:people",
    Action.MANAGE_PERSONAL_DATA,
    order=85,
    section=ADMINISTRATION,
)
register_navigation(
    _("Boîte mail locale"),
    "mailbox",
    Action.MANAGE_NETWORK,
    order=90,
    when=lambda user: mailbox_dir() is not None,
    section=ADMINISTRATION,
)
register_navigation(
    _("Administration Django"),
    "admin:index",
    None,
    order=95,
    when=lambda user: user.is_staff,
    section=ADMINISTRATION,
)
