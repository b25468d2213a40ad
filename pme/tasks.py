"""Celery tasks of the pme app: thin wrappers around services, run by the job base."""

import datetime as dt

from celery import shared_task

from alize.tasks import ScopedTask

from . import notifications, services
from .door import services as door_services
from .door.tasks import send_self_referral_confirmation, send_self_referral_received

__all__ = [
    "purge_self_referrals",
    "refresh_due_follow_ups",
    "send_follow_up_requests",
    "send_self_referral_confirmation",
    "send_self_referral_received",
]


@shared_task(base=ScopedTask, national=True, name="pme.tasks.refresh_due_follow_ups")
def refresh_due_follow_ups(*, dispositif) -> int:
    """Daily (beat): remind every jobs follow-up whose anniversary of approval has passed
    with nothing recorded. Fans out into one task per dispositif; each is idempotent and
    returns how many reminders it added."""
    return services.follow_up_reminders_refresh()


@shared_task(base=ScopedTask, national=True, name="pme.tasks.purge_self_referrals")
def purge_self_referrals(*, dispositif) -> int:
    """Daily (beat): delete the public door's submissions whose confirmation link expired
    unused (docs/architecture.md §16). Fans out per dispositif; returns how many this
    dispositif's run deleted."""
    return door_services.self_referrals_purge()


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
