"""API rate limits kept in the Django cache (Redis): per caller, and per IP for bad tokens.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` and are read when a request
arrives, not when this module is imported. A limit reached answers 429 with ``Retry-After``.
"""

from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle


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


class TokenFailureThrottle(CurrentRateMixin, SimpleRateThrottle):
    """Counts failed token authentications per IP (scope ``token_failure``); once the rate
    is reached, every token request from that IP waits out the window."""

    scope = "token_failure"
    # Set by SimpleRateThrottle.__init__ from the rate, which get_rate always finds.
    num_requests: int
    duration: int

    def get_cache_key(self, request, view=None):
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def _load(self, request):
        self.key = self.get_cache_key(request)
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()

    def wait_if_blocked(self, request) -> float | None:
        """Seconds to wait when this IP has used up its failures, else None."""
        self._load(request)
        if len(self.history) >= self.num_requests:
            return self.wait()
        return None

    def record_failure(self, request) -> None:
        self._load(request)
        self.history.insert(0, self.now)
        self.cache.set(self.key, self.history, self.duration)


class ThrottledTokenAuthentication(TokenAuthentication):
    """Token authentication that refuses with 429 an IP which sent too many bad tokens,
    before looking the token up; each bad token counts against that IP."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        throttle = TokenFailureThrottle()
        wait = throttle.wait_if_blocked(request)
        if wait is not None:
            raise exceptions.Throttled(wait=wait)
        try:
            return super().authenticate(request)
        except exceptions.AuthenticationFailed:
            throttle.record_failure(request)
            raise
