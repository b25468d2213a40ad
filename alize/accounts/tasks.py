"""Celery tasks of the accounts app: global housekeeping and the password-reset mail, which
touch no tenant data."""

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from alize.mail import absolute_url, send_once
from alize.tasks import JobTask

from .backends import login_failures_purge
from .models import User


@shared_task(name="alize.accounts.tasks.purge_login_failures", acks_late=True)
def purge_login_failures() -> int:
    """Daily (beat): delete failed logins older than ``LOGIN_FAILURE_RETENTION``."""
    return login_failures_purge(before=timezone.now() - settings.LOGIN_FAILURE_RETENTION)


@shared_task(
    base=JobTask,
    name="alize.accounts.tasks.send_password_reset",
    autoretry_for=(OSError, SMTPException),
    retry_backoff=True,
    max_retries=5,
)
def send_password_reset(*, user_id: int, key: str) -> bool:
    """Mail a single-use link to choose a new password, in the person's language.

    Queued by the reset request instead of sent during it, so that the answer takes the
    same time whether the address is known or not. The token is made here, from the
    current password: it never travels through the broker, and a link made before the
    password changed no longer works. The key (one per request) keeps a retried job from
    sending twice.
    """
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None or not user.has_usable_password():
        return False
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return send_once(
        key=key,
        to=user,
        template="accounts/password_reset",
        context={
            "email": user.email,
            "reset_url": absolute_url(path),
            "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
        },
    )
