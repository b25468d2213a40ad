"""Celery tasks of the pme app: thin wrappers around services, run by the job base."""

import datetime as dt

from celery import shared_task

from alize.tasks import ScopedTask

from . import notifications, services


@shared_task(base=ScopedTask, national=True, name="pme.tasks.refresh_due_follow_ups")
def refresh_due_follow_ups(*, dispositif) -> int:
    """Daily (beat): remind every jobs follow-up whose anniversary of approval has passed
    with nothing recorded. Fans out into one task per dispositif; each is idempotent and
    returns how many reminders it added."""
    return services.follow_up_reminders_refresh()


@shared_task(base=ScopedTask, national=True, name="pme.tasks.send_follow_up_requests")
def send_follow_up_requests(*, dispositif, today: str | None = None) -> int:
    """Daily (beat): ask each SME whose follow-up is due to declare it through a signed link,
    and remind it 15 and 30 days later while nothing is declared. Fans out per dispositif;
    the requests are asked once per year and the e-mails sent once per key, so a run twice
    sends nothing more. Returns how many e-mails this run sent."""
    day = dt.date.fromisoformat(today) if today else None
    services.follow_up_reminders_refresh(today=day)
    services.follow_up_declarations_request(today=day)
    return notifications.send_follow_up_requests(dispositif_id=dispositif.pk, today=day)
