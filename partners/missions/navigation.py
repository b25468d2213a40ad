"""Navigation entries of the missions app: the missions and experts for everyone who
deals with them, the week grid for experts, the fatigue view for those who run a
dispositif."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.navigation import register_navigation

register_navigation(_("Missions"), "missions:list", Action.VIEW_MISSION, order=40)
register_navigation(_("Mes heures"), "missions:hours", Action.LOG_HOURS, order=42)
register_navigation(_("Experts"), "missions:expert-list", Action.VIEW_MISSION, order=44)
register_navigation(_("Fatigue"), "missions:fatigue", Action.MANAGE, order=55)
