"""E-mail login with a brute-force lockout keyed on the account and the client address.

As django-axes does, repeated failures lock one (address, IP) pair, so an attacker cannot
lock a person out of the platform from elsewhere; a separate limit per IP stops one client
from spraying many accounts. Both locks lift by themselves once the failures age out of the
window (the cool-off).
"""

from datetime import datetime

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.utils import timezone

from .models import LoginFailure


def client_ip(request) -> str | None:
    """The caller's address: ``REMOTE_ADDR``, or the entry the trusted proxies added to
    ``X-Forwarded-For`` when ``TRUSTED_PROXY_COUNT`` proxies stand in front of the server."""
    if request is None:
        return None
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR") or None


def is_locked_out(email: str, ip: str | None) -> bool:
    """True when this address failed too often from this IP, or this IP failed too often
    across accounts, within the lockout window."""
    since = timezone.now() - settings.LOGIN_FAILURE_WINDOW
    recent = LoginFailure.objects.filter(at__gte=since)
    if ip is None:
        pair = recent.filter(email=email.strip().lower(), ip__isnull=True)
    else:
        pair = recent.filter(email=email.strip().lower(), ip=ip)
        if recent.filter(ip=ip).count() >= settings.LOGIN_FAILURE_IP_LIMIT:
            return True
    return pair.count() >= settings.LOGIN_FAILURE_LIMIT


@transaction.atomic
def login_failures_purge(*, before: datetime) -> int:
    """Delete the failures recorded before ``before``; returns how many went. Global data."""
    deleted, _ = LoginFailure.objects.filter(at__lt=before).delete()
    return deleted


class EmailBackend(ModelBackend):
    """Authenticates by case-insensitive e-mail; refuses while the (address, IP) pair or the
    IP is locked out, and records each failure with the client address."""

    def authenticate(self, request, username=None, password=None, email=None, **kwargs):
        address = (email or username or "").strip().lower()
        if not address or password is None:
            return None
        ip = client_ip(request)
        if is_locked_out(address, ip):
            return None
        user = super().authenticate(request, username=address, password=password, **kwargs)
        if user is None:
            LoginFailure.objects.create(email=address, ip=ip)
        else:
            LoginFailure.objects.filter(email=address, ip=ip).delete()
        return user
