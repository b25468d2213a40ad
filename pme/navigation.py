"""Navigation entries of the pme app: the animateur's daily pages, under « Pipeline »."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.navigation import PIPELINE, register_navigation

register_navigation(
    _("Entreprises"), "pme:company-list", Action.VIEW_COMPANY, order=20, section=PIPELINE
)
register_navigation(
    _("Projets"), "pme:project-list", Action.VIEW_PROJECT, order=30, section=PIPELINE
)
register_navigation(_("Entonnoir"), "pme:funnel", Action.MANAGE, order=50, section=PIPELINE)
