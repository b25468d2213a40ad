"""Navigation entries of the loans app: advances, their funds and the arrears, for those
who read advances (animateurs, the national coordination), under « Financement »."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.navigation import FINANCING, register_navigation

register_navigation(
    _("Avances"), "loans:advance-list", Action.VIEW_ADVANCE, order=42, section=FINANCING
)
register_navigation(_("Impayés"), "loans:arrears", Action.VIEW_ADVANCE, order=44, section=FINANCING)
register_navigation(_("Fonds"), "loans:fund-list", Action.VIEW_ADVANCE, order=46, section=FINANCING)
