"""Home-page panels contributed by the pme app."""

from alize.accounts.roles import managed_dispositif_ids
from alize.accounts.views import register_home_panel

from .models import FollowUpReminder

PANEL_ROWS = 20


@register_home_panel
def due_follow_ups_panel(request):
    """For animateurs (their dispositifs) and the national coordination (all): the jobs
    follow-ups that are due and not yet recorded, oldest first. The request's scope applies."""
    managed = managed_dispositif_ids(request.user)
    if managed is not None and not managed:
        return None
    reminders = FollowUpReminder.objects.filter(resolved_at__isnull=True)
    if managed is not None:
        reminders = reminders.filter(dispositif_id__in=managed)
    total = reminders.count()
    rows = reminders.select_related("dispositif", "project__company").order_by(
        "due_on", "project__title", "id"
    )[:PANEL_ROWS]
    return {
        "template": "pme/panel_follow_ups.html",
        "reminders": list(rows),
        "total": total,
        "several_dispositifs": managed is None or len(managed) > 1,
    }
