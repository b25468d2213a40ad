"""Panels the missions app contributes: on the home page the firm correspondent's portal
(missions to answer, missions under way, the firm's experts, hours by month and
dispositif with their value and the pledge use, the CSV export) and the expert's home
(my missions, this week, what is still to log); on the project page, its missions and the
animateur's way to propose one from an approved decision."""

from django.utils import timezone

from alize.actions import Action
from alize.panels import register_panel
from dispositifs.access import may

from . import queries, selectors


@register_panel("home", order=40)
def firm_portal_panel(request, obj=None):
    """The correspondent's portal, across every dispositif the firm works in."""
    user = request.user
    firms = queries.correspondent_firms(user)
    if not firms:
        return None
    year = timezone.localdate().year
    return {
        "template": "missions/panel_firm_portal.html",
        "year": year,
        "to_answer": queries.missions_to_answer(user),
        "active": queries.firm_active_missions(user),
        "experts": queries.firm_experts(firms),
        "portals": [selectors.firm_portal(user=user, firm=firm, year=year) for firm in firms],
    }


@register_panel("home", order=41)
def expert_home_panel(request, obj=None):
    """The expert's home: their missions, this week's hours, what is still to log."""
    expert = selectors.expert_of(request.user)
    if expert is None:
        return None
    today = timezone.localdate()
    week = selectors.week_grid(expert=expert, monday=today)
    return {
        "template": "missions/panel_expert_home.html",
        "expert": expert,
        "missions": queries.my_missions(expert),
        "week": week,
        "to_log": selectors.expert_to_log(expert=expert, today=today),
        "days_to_log": queries.days_to_log(expert, today),
    }


@register_panel("project", order=30)
def project_missions_panel(request, project):
    """The project's skill missions, and the approved decisions with missions still to
    propose (for those who run the dispositif)."""
    user = request.user
    if not may(user, Action.VIEW_MISSION, project.dispositif_id):
        return None
    manage = may(user, Action.MANAGE, project.dispositif_id)
    missions = queries.project_missions(project, user)
    decisions = queries.project_open_decisions(project, user) if manage else []
    if not missions and not decisions:
        return None
    return {
        "template": "missions/panel_project.html",
        "missions": missions,
        "decisions": decisions,
    }
