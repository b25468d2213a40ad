"""Panels the loans app contributes: on the animateur's home page the advances to chase
(instalments unpaid past their due date), and on a project page its advance (state,
outstanding principal, next instalment) with its co-financing and leverage ratio, and on a
dispositif's page the links to its advances and funds."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.panels import register_panel
from dispositifs.access import dispositif_ids, may

from . import queries, selectors
from .models import AdvanceStatus

PANEL_ROWS = 10


@register_panel("home", order=40)
def advances_to_chase_panel(request, obj=None):
    """For the animateur (a few dispositifs, not the network): the advances with an
    instalment overdue, longest overdue first."""
    managed = dispositif_ids(request.user, Action.RECORD_REPAYMENT)
    if not managed:  # none, or the whole network
        return None
    rows = selectors.advances_to_chase(request.user, limit=PANEL_ROWS + 1)
    return {
        "template": "loans/panel_home_chase.html",
        "rows": rows[:PANEL_ROWS],
        "more": len(rows) > PANEL_ROWS,
        "several_dispositifs": len(managed) > 1,
    }


@register_panel("project", order=30)
def project_advance_panel(request, project):
    """The project's advance, for those who read advances in its dispositif: state,
    outstanding principal, next instalment, co-financing and leverage. Those who manage
    advances also get the way to set up an advance a committee granted."""
    user = request.user
    if not may(user, Action.VIEW_ADVANCE, project.dispositif_id):
        return None
    rows = selectors.project_advances(project, user)
    for row in rows:
        row["status_label"] = AdvanceStatus(row["status"]).label
        schedule = selectors.advance_schedule(row["id"])
        row["next_due"] = next((i for i in schedule["live"] if i.remaining > 0), None)
    manager = may(user, Action.MANAGE_ADVANCE, project.dispositif_id)
    return {
        "template": "loans/panel_project.html",
        "project": project,
        "rows": rows,
        "awaiting": list(queries.decisions_awaiting_advance(user).filter(item__project=project))
        if manager
        else [],
        "leverage": queries.project_leverage(project),
        "can_manage": manager,
    }


@register_panel("dispositif", order=30)
def dispositif_loans_panel(request, dispositif):
    """Links to the dispositif's advances, arrears and funds, for those who read them."""
    if not may(request.user, Action.VIEW_ADVANCE, dispositif.pk):
        return None
    query = f"?dispositif={dispositif.slug}"
    return {
        "template": "includes/panel_links.html",
        "label": _("Avances remboursables du dispositif"),
        "links": [
            (_("Avances"), reverse("loans:advance-list") + query),
            (_("Fonds"), reverse("loans:fund-list") + query),
        ],
    }


@register_panel("home", order=41)
def write_offs_to_approve_panel(request, obj=None):
    """For those who approve write-offs: the ones someone else proposed, oldest first (the
    second signature of the maker-checker rule). Nothing to show, no panel."""
    if not may(request.user, Action.APPROVE_WRITE_OFF):
        return None
    rows = list(selectors.write_offs_to_approve(request.user)[: PANEL_ROWS + 1])
    if not rows:
        return None
    return {
        "template": "loans/panel_home_write_offs.html",
        "rows": rows[:PANEL_ROWS],
        "more": len(rows) > PANEL_ROWS,
    }
