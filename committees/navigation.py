"""Navigation entry contributed by the committees."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.navigation import COMMITTEES, register_navigation

register_navigation(
    _("Comités"), "committees:list", Action.VIEW_COMMITTEE, order=40, section=COMMITTEES
)
