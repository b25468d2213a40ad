"""Celery tasks of the accounts app: global housekeeping that touches no tenant data."""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from .backends import login_failures_purge


@shared_task(name="alize.accounts.tasks.purge_login_failures")
def purge_login_failures() -> int:
    """Daily (beat): delete failed logins older than ``LOGIN_FAILURE_RETENTION``."""
    return login_failures_purge(before=timezone.now() - settings.LOGIN_FAILURE_RETENTION)
