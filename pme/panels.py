"""Panels the pme app contributes: on the home page what needs doing (the jobs follow-ups
due, overdue ones marked, the follow-ups the SMEs declared that wait for review, and the
projects waiting too long at a stage), and the links to a dispositif's pipeline on its page.

The project page also renders the « project-actions » panels in its action area, next to
the manual moves: an app that can take a project further (the committees, with their
agenda) registers ``register_panel("project-actions")`` there, so pme never imports it."""

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.panels import first_rows, register_panel
from dispositifs.access import dispositif_ids, may

from .door.selectors import project_self_referral, self_referrals_to_qualify
from .models import Company
from .selectors import (
    open_follow_up_reminders,
    overdue_reminder_condition,
    pending_follow_up_declarations,
    stale_projects,
)

PANEL_ROWS = 20


@register_panel("home", order=30)
def due_follow_ups_panel(request, obj=None):
    """For those who run a pipeline: the jobs follow-ups that are due and not yet recorded,
    oldest first, in the dispositifs they manage."""
    managed = dispositif_ids(request.user, Action.MANAGE)
    if managed is not None and not managed:
        return None
    reminders = open_follow_up_reminders(request.user)
    counts = reminders.aggregate(
        total=Count("id"), overdue=Count("id", filter=overdue_reminder_condition())
    )
    rows = reminders[:PANEL_ROWS]
    return {
        "template": "pme/panel_follow_ups.html",
        "reminders": list(rows),
        "total": counts["total"],
        "overdue": counts["overdue"],
        "several_dispositifs": managed is None or len(managed) > 1,
    }


@register_panel("home", order=31)
def follow_up_declarations_panel(request, obj=None):
    """For those who run a pipeline: the follow-ups the SMEs declared through their link,
    to validate or correct, oldest first; nothing when none waits."""
    managed = dispositif_ids(request.user, Action.MANAGE)
    if managed is not None and not managed:
        return None
    declarations = pending_follow_up_declarations(request.user)
    rows = list(declarations[:PANEL_ROWS])
    if not rows:
        return None
    return {
        "template": "pme/panel_follow_up_declarations.html",
        "declarations": rows,
        "total": len(rows) if len(rows) < PANEL_ROWS else declarations.count(),
        "several_dispositifs": managed is None or len(managed) > 1,
    }


@register_panel("home", order=35)
def stale_projects_panel(request, obj=None):
    """For the animateur (who runs a few dispositifs, not the network): the projects that
    have waited at a stage longer than their dispositif allows, longest wait first."""
    managed = dispositif_ids(request.user, Action.MANAGE)
    if not managed:  # none, or the whole network
        return None
    projects = stale_projects(request.user)
    now = timezone.now()
    return {
        "template": "pme/panel_stale_projects.html",
        "rows": [
            (project, (now - project.stage_changed_at).days)
            for project in first_rows(projects, PANEL_ROWS)
        ],
        "total": projects.count(),
        "several_dispositifs": len(managed) > 1,
    }


@register_panel("home", order=32)
def self_referrals_panel(request, obj=None):
    """For the animateur: the projects SMEs submitted themselves through the public door
    (docs/architecture.md §16), confirmed and still to qualify, newest first; those whose
    company was already known and differs are marked."""
    managed = dispositif_ids(request.user, Action.MANAGE)
    if not managed:  # none, or the whole network
        return None
    referrals = self_referrals_to_qualify(request.user)
    rows = list(referrals[:PANEL_ROWS])
    return {
        "template": "pme/panel_self_referrals.html",
        "rows": rows,
        "total": len(rows) if len(rows) < PANEL_ROWS else referrals.count(),
        "several_dispositifs": len(managed) > 1,
    }


@register_panel("project", order=5)
def project_self_referral_panel(request, project):
    """On a project the SME submitted itself: when, and what it gave that differs from the
    company already known (nothing of which was overwritten), for those who run it."""
    referral = project_self_referral(request.user, project)
    if referral is None:
        return None
    return {
        "template": "pme/panel_project_self_referral.html",
        "referral": referral,
        "differences": [
            {**row, "label": Company._meta.get_field(row["field"]).verbose_name}
            for row in referral.differences
        ],
    }


@register_panel("dispositif", order=10)
def dispositif_pipeline_panel(request, dispositif):
    """Shortcuts to the dispositif's pipeline pages, as far as the user's roles reach."""
    user = request.user
    pages = [
        (Action.VIEW_COMPANY, _("Entreprises"), "pme:company-list"),
        (Action.VIEW_PROJECT, _("Projets"), "pme:project-list"),
        (Action.MANAGE, _("Entonnoir"), "pme:funnel"),
    ]
    links = [
        (label, f"{reverse(name)}?dispositif={dispositif.slug}")
        for action, label, name in pages
        if may(user, action, dispositif.pk)
    ]
    if not links:
        return None
    return {
        "template": "includes/panel_links.html",
        "label": _("Le pipeline du dispositif"),
        "links": links,
    }
