"""Navigation entries of the missions app: the missions and experts for everyone who
deals with them, the week grid for experts, the fatigue view for those who run a
dispositif; all under « Entreprises partenaires »."""

from django.utils.translation import gettext_lazy as _

from alize.accounts.models import Role
from alize.accounts.roles import assignments
from alize.actions import Action
from alize.navigation import PARTNER_FIRMS, register_navigation


def _logs_hours(user) -> bool:
    """The week grid is the experts' own page: others (a coordinator may log anywhere) have
    no hours of their own to enter."""
    return any(a.role == Role.EXPERT for a in assignments(user))


register_navigation(
    _("Missions"), "missions:list", Action.VIEW_MISSION, order=40, section=PARTNER_FIRMS
)
register_navigation(
    _("Mes heures"),
    "missions:hours",
    Action.LOG_HOURS,
    order=42,
    when=_logs_hours,
    section=PARTNER_FIRMS,
)
register_navigation(
    _("Experts"), "missions:expert-list", Action.VIEW_MISSION, order=44, section=PARTNER_FIRMS
)
register_navigation(
    _("Fatigue"), "missions:fatigue", Action.MANAGE, order=55, section=PARTNER_FIRMS
)
