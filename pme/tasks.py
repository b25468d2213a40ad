"""Celery tasks of the pme app: thin wrappers around services, run by the job base."""

from celery import shared_task

from alize.tasks import ScopedTask

from . import services


@shared_task(base=ScopedTask, national=True, name="pme.tasks.refresh_due_follow_ups")
def refresh_due_follow_ups(*, dispositif) -> int:
    """Daily (beat): remind every jobs follow-up whose anniversary of approval has passed
    with nothing recorded. Fans out into one task per dispositif; each is idempotent and
    returns how many reminders it added."""
    return services.follow_up_reminders_refresh()
