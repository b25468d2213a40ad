"""Menu entries of the Documents page (firm correspondents reach it from their home panel)
and of the indicators dashboard, under « Pilotage »."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.navigation import STEERING, register_navigation

register_navigation(
    _("Documents"), "reporting:list", Action.VIEW_DOCUMENT, order=80, section=STEERING
)
register_navigation(
    _("Indicateurs"), "indicators:dashboard", Action.VIEW_INDICATORS, order=5, section=STEERING
)
