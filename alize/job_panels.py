"""The home panel of failed background jobs, for the national coordination."""

from datetime import timedelta

from django.utils import timezone

from alize.actions import Action
from alize.panels import register_panel
from alize.selectors import recent_job_failures
from alize.tenancy import dispositif_ids

RECENT = timedelta(days=7)
PANEL_ROWS = 10


@register_panel("home", order=5)
def job_failures_panel(request, obj=None):
    """Jobs that failed in the last week, newest first: only for those who run the network
    (one dispositif's failure never stops the others, but someone must see it)."""
    if dispositif_ids(request.user, Action.MANAGE_NETWORK) is not None:
        return None
    failures = recent_job_failures(since=timezone.now() - RECENT)
    total = failures.count()
    if not total:
        return None
    return {
        "template": "panel_job_failures.html",
        "failures": list(failures[:PANEL_ROWS]),
        "total": total,
    }
