"""Celery tasks of the loans app: thin wrappers around services, run by the job base."""

import datetime as dt

from celery import shared_task
from django.utils import timezone

from alize.tasks import ScopedTask

from . import services
from .statement_runner import confirm_statement_lines

__all__ = ["confirm_statement_lines", "refresh_arrears"]


@shared_task(base=ScopedTask, national=True, name="loans.tasks.refresh_arrears")
def refresh_arrears(*, dispositif, today: str | None = None) -> dict:
    """Daily (beat "loans-daily-arrears"): mark overdue instalments and their days past
    due, move advances into arrears (and out once caught up), and write each fund's PAR30
    for the day. Fans out into one task per dispositif; idempotent. ``today`` (ISO date)
    freezes the date, for replays and tests; by default the local date."""
    on = dt.date.fromisoformat(today) if today else timezone.localdate()
    return services.arrears_refresh(dispositif=dispositif, today=on)
