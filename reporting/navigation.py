"""Menu entry of the Documents page (firm correspondents reach it from their home panel)."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.navigation import register_navigation

register_navigation(_("Documents"), "reporting:list", Action.VIEW_DOCUMENT, order=80)
