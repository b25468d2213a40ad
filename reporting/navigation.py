"""Menu entries of the Documents page (firm correspondents reach it from their home panel)
and of the indicators dashboard."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.navigation import register_navigation

register_navigation(_("Documents"), "reporting:list", Action.VIEW_DOCUMENT, order=80)
register_navigation(_("Indicateurs"), "indicators:dashboard", Action.VIEW_INDICATORS, order=5)
