"""Celery tasks of the pme app: thin wrappers around services, run inside a scope."""

from celery import shared_task

from alize.tasks import ScopedTask

from . import services


@shared_task(base=ScopedTask, national=True, name="pme.tasks.refresh_due_follow_ups")
def refresh_due_follow_ups() -> int:
    """Daily (beat): remind every jobs follow-up whose anniversary of approval has passed
    with nothing recorded, in every dispositif. Idempotent; returns how many were added."""
    return services.follow_up_reminders_refresh()
