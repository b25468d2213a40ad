"""E-mail login with a brute-force lockout that stops the failing identity, not its office.

Only failures count. As django-axes does, repeated failures lock one (address, IP) pair, so an
attacker cannot lock a person out of the platform from elsewhere. Past a number of failures
from one IP (any address), each further failure makes its pair wait a delay that grows with
that IP's failures; a valid login from the same IP (colleagues behind one office address) is
still served at once. Locks and delays lift by themselves as the failures age out of the window.
"""

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.db import transaction
from django.db.models import Count, Max, Q
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


def growing_delay(failures: int, *, free: int, most: float) -> int:
    """Seconds a failing identity waits once its IP failed ``failures`` times: none up to
    ``free``, then ``FAILURE_DELAY`` doubled by each further failure, at most ``most``."""
    beyond = failures - free
    if beyond <= 0:
        return 0
    first = settings.FAILURE_DELAY.total_seconds()
    return math.ceil(min(most, first * 2 ** min(beyond - 1, 32)))


def login_wait(email: str, ip: str | None, *, lock: bool = True) -> int:
    """Seconds before this (address, IP) pair may try to log in again: the whole window once
    it failed ``LOGIN_FAILURE_LIMIT`` times (unless ``lock`` is False: only the delay), else
    what remains of the delay its last failure earned (growing with the IP's failures, any
    address), else 0. One query."""
    now = timezone.now()
    window = settings.LOGIN_FAILURE_WINDOW.total_seconds()
    recent = LoginFailure.objects.filter(
        at__gte=now - settings.LOGIN_FAILURE_WINDOW, step=LoginFailure.Step.PASSWORD
    )
    recent = recent.filter(ip__isnull=True) if ip is None else recent.filter(ip=ip)
    pair = Q(email=email.strip().lower())
    counts = recent.aggregate(
        pair=Count("pk", filter=pair), last=Max("at", filter=pair), ip=Count("pk")
    )
    if lock and counts["pair"] >= settings.LOGIN_FAILURE_LIMIT:
        return math.ceil(window)
    if not counts["pair"]:
        return 0
    delay = growing_delay(counts["ip"], free=settings.LOGIN_FAILURE_IP_LIMIT, most=window)
    remaining = (counts["last"] + timedelta(seconds=delay) - now).total_seconds()
    return max(0, math.ceil(remaining))


def is_locked_out(email: str, ip: str | None) -> bool:
    """True while this (address, IP) pair is locked or waits out the delay of its last
    failure. Failures of other addresses from the same IP never lock this one."""
    return login_wait(email, ip) > 0


@transaction.atomic
def login_failures_purge(*, before: datetime) -> int:
    """Delete the failures recorded before ``before``; returns how many went. Global data."""
    deleted, _ = LoginFailure.objects.filter(at__lt=before).delete()
    return deleted


class EmailBackend(ModelBackend):
    """Authenticates by case-insensitive e-mail; refuses while the (address, IP) pair is
    locked or delayed, and records each failure with the client address."""

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
            LoginFailure.objects.filter(
                email=address, ip=ip, step=LoginFailure.Step.PASSWORD
            ).delete()
        return user
