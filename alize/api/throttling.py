"""API rate limits kept in the Django cache (Redis): per caller, and for bad tokens.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` and are read when a request
arrives, not when this module is imported. A limit reached answers 429 with ``Retry-After``.
Bad tokens stop the failing identity (token prefix and IP), never a valid token sent from the
same IP (an office behind one address).
"""

import math
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from alize.accounts.backends import growing_delay

# How much of a token names its identity: enough to tell apart the tokens of one office,
# too little to say anything about a valid token.
TOKEN_PREFIX_LENGTH = 8
# Failures kept per IP beyond its limit: the delay stops growing long before.
IP_HISTORY_MARGIN = 64


class CurrentRateMixin:
    """Reads the rate of ``scope`` from the current API settings."""

    scope: str | None

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No throttle rate for scope {self.scope!r}.")
        return rates[self.scope]


class AnonymousRateThrottle(CurrentRateMixin, AnonRateThrottle):
    """Requests per IP from callers that are not authenticated (scope ``anon``)."""


class ClientRateThrottle(CurrentRateMixin, UserRateThrottle):
    """Requests per authenticated caller, token or session (scope ``user``)."""


def token_prefix(header: list[bytes]) -> str:
    """The first characters of the token of an ``Authorization: Token …`` header, reduced to
    letters and digits (it becomes part of a cache key); "" for a malformed header."""
    if len(header) != 2:
        return ""
    token = header[1][:TOKEN_PREFIX_LENGTH].decode("ascii", errors="replace")
    return re.sub(r"[^0-9A-Za-z]", "-", token)


class TokenFailureThrottle(CurrentRateMixin, SimpleRateThrottle):
    """Bad tokens (scope ``token_failure``), counted per identity (token prefix and IP) and
    per IP. The rate's number of failures locks an identity for the rest of the period; past
    ``TOKEN_FAILURE_IP_LIMIT`` failures of its IP, each failure also makes its identity wait
    a delay growing with them. Valid tokens are neither counted nor refused."""

    scope = "token_failure"
    # Set by SimpleRateThrottle.__init__ from the rate, which get_rate always finds.
    num_requests: int
    duration: int

    def __init__(self, request, prefix: str):
        super().__init__()
        ip = self.get_ident(request)
        self.identity_key = self.cache_format % {"scope": self.scope, "ident": f"{prefix}:{ip}"}
        self.ip_key = self.cache_format % {"scope": f"{self.scope}_ip", "ident": ip}
        self.now = self.timer()

    def _recent(self, history: list[float]) -> list[float]:
        return [at for at in history if at > self.now - self.duration]

    def wait_if_blocked(self) -> int | None:
        """Seconds this identity must wait (locked, or delayed by its last failure), else None."""
        entry = self.cache.get(self.identity_key) or {}
        failures = self._recent(entry.get("failures", []))
        if len(failures) >= self.num_requests:
            return math.ceil(failures[-1] + self.duration - self.now)
        if entry.get("until", 0) > self.now:
            return math.ceil(entry["until"] - self.now)
        return None

    def record_failure(self) -> int:
        """Count a bad token against its identity and its IP; returns the delay (seconds) it
        earned the identity, 0 while the IP is within its limit."""
        limit = settings.TOKEN_FAILURE_IP_LIMIT
        ip_failures = [self.now, *self._recent(self.cache.get(self.ip_key, []))]
        self.cache.set(self.ip_key, ip_failures[: limit + IP_HISTORY_MARGIN], self.duration)
        delay = growing_delay(len(ip_failures), free=limit, most=self.duration)
        entry = self.cache.get(self.identity_key) or {}
        failures = [self.now, *self._recent(entry.get("failures", []))][: self.num_requests]
        self.cache.set(
            self.identity_key, {"failures": failures, "until": self.now + delay}, self.duration
        )
        return delay


class ThrottledTokenAuthentication(TokenAuthentication):
    """Token authentication that refuses with 429, before looking the token up, an identity
    (token prefix and IP) locked or delayed by its failures; a bad token counts against its
    identity and its IP, and answers 429 instead of 401 once it earned a delay."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        throttle = TokenFailureThrottle(request, token_prefix(header))
        wait = throttle.wait_if_blocked()
        if wait is not None:
            raise exceptions.Throttled(wait=wait)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            delay = throttle.record_failure()
            if delay:
                raise exceptions.Throttled(wait=delay) from None
            raise
