"""API rate limits kept in the Django cache (Redis): per caller, and for bad tokens.

Rates come from ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` and are read when a request
arrives, not when this module is imported. A limit reached answers 429 with ``Retry-After``.
Bad tokens stop the failing identity (token prefix and IP), never a valid token sent from the
same IP (an office behind one address).

Every limit of a request is evaluated at once by ``RequestThrottle``: the caller's rate (per
user, or per IP for an anonymous caller) and, for a token, whether its identity is locked.
On Redis that is one round trip (a Lua script, ``RedisWindows``); any other cache (the
tests' local memory) does the same in Python (``CacheWindows``).
"""

import math
import re
import secrets
from typing import Protocol

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from alize.accounts.backends import growing_delay
from alize.accounts.roles import token_owner

# How much of a token names its identity: enough to tell apart the tokens of one office,
# too little to say anything about a valid token.
TOKEN_PREFIX_LENGTH = 8
# Failures kept per IP beyond its limit: the delay stops growing long before.
IP_HISTORY_MARGIN = 64
# The attribute on the request naming the lock of the token's identity (set by the
# authentication, read by the throttle).
LOCK_KEY_ATTRIBUTE = "alize_token_lock_key"


class CurrentRateMixin:
    """Reads the rate of ``scope`` from the current API settings."""

    scope: str | None

    def get_rate(self):
        rates = api_settings.DEFAULT_THROTTLE_RATES
        if self.scope not in rates:
            raise ImproperlyConfigured(f"No throttle rate for scope {self.scope!r}.")
        return rates[self.scope]


class Windows(Protocol):
    def hit(
        self, rate_key: str, limit: int, duration: int, now: float, lock_key: str | None
    ) -> float | None:
        """Seconds to wait when ``lock_key`` is locked or the rate's window is full, else
        None, the request being counted in the window."""


class CacheWindows:
    """The sliding window and the lock over the cache's ordinary API (newest time first)."""

    def __init__(self, cache):
        self.cache = cache

    def hit(self, rate_key, limit, duration, now, lock_key):
        values = self.cache.get_many([key for key in (lock_key, rate_key) if key])
        free_at = values.get(lock_key, 0) / 1000 if lock_key else 0
        if free_at > now:
            return free_at - now
        history = [at for at in values.get(rate_key, []) if at > now - duration]
        if len(history) >= limit:
            return duration - (now - history[-1])
        self.cache.set(rate_key, [now, *history], duration)
        return None


# KEYS: the rate's window (a sorted set of request times), then the lock (milliseconds
# since the epoch until which the identity waits), if any. ARGV: now, limit, duration, a
# member unique to this request. Returns the seconds to wait as text, or nil.
HIT_SCRIPT = """
local now = tonumber(ARGV[1])
if KEYS[2] then
  local free_at = tonumber(redis.call('GET', KEYS[2]) or '0') / 1000
  if free_at > now then return tostring(free_at - now) end
end
local duration = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - duration)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tostring(duration - (now - tonumber(oldest[2])))
end
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('EXPIRE', KEYS[1], math.ceil(duration))
return nil
"""


class RedisWindows:
    """The same window and lock in one round trip to Redis (a Lua script)."""

    def __init__(self, cache: RedisCache):
        self.cache = cache

    def hit(self, rate_key, limit, duration, now, lock_key):
        keys = [self.cache.make_and_validate_key(rate_key)]
        if lock_key:
            keys.append(self.cache.make_and_validate_key(lock_key))
        client = self.cache._cache.get_client(keys[0], write=True)
        member = f"{now}:{secrets.token_hex(4)}"
        wait = client.eval(HIT_SCRIPT, len(keys), *keys, now, limit, duration, member)
        return None if wait is None else float(wait)


def windows() -> Windows:
    cache = caches[DEFAULT_CACHE_ALIAS]
    return RedisWindows(cache) if isinstance(cache, RedisCache) else CacheWindows(cache)


class RequestThrottle(CurrentRateMixin, SimpleRateThrottle):
    """Every limit of a request in one evaluation: requests per authenticated caller, token
    or session (scope ``user``), or per IP for an anonymous one (scope ``anon``), and the
    lock of a token's failing identity (``TokenFailureThrottle``)."""

    def __init__(self):
        # The rate depends on the caller: read in allow_request.
        self.wait_seconds: float | None = None

    def allow_request(self, request, view):
        user = request.user
        self.scope = "user" if user and user.is_authenticated else "anon"
        limit, duration = self.parse_rate(self.get_rate())
        if limit is None or duration is None:  # a rate of None: no limit
            return True
        ident = str(user.pk) if self.scope == "user" else self.get_ident(request)
        rate_key = self.cache_format % {"scope": self.scope, "ident": ident}
        lock_key = getattr(request, LOCK_KEY_ATTRIBUTE, None)
        self.wait_seconds = windows().hit(rate_key, limit, duration, self.timer(), lock_key)
        return self.wait_seconds is None

    def wait(self):
        return self.wait_seconds


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
    a delay growing with them. Valid tokens are not counted; a locked identity waits even
    with a valid token.

    What an identity waits for is kept apart from its failures, as one number (``lock_key``:
    milliseconds since the epoch), which ``RequestThrottle`` reads with the caller's rate."""

    scope = "token_failure"
    # Set by SimpleRateThrottle.__init__ from the rate, which get_rate always finds.
    num_requests: int
    duration: int

    def __init__(self, request, prefix: str):
        super().__init__()
        ip = self.get_ident(request)
        self.identity_key = self.cache_format % {"scope": self.scope, "ident": f"{prefix}:{ip}"}
        self.lock_key = self.cache_format % {
            "scope": f"{self.scope}_lock",
            "ident": f"{prefix}:{ip}",
        }
        self.ip_key = self.cache_format % {"scope": f"{self.scope}_ip", "ident": ip}
        self.now = self.timer()

    def _recent(self, history: list[float]) -> list[float]:
        return [at for at in history if at > self.now - self.duration]

    def wait_if_blocked(self) -> int | None:
        """Seconds this identity must wait (locked, or delayed by its last failure), else None."""
        free_at = (self.cache.get(self.lock_key) or 0) / 1000
        return math.ceil(free_at - self.now) if free_at > self.now else None

    def record_failure(self) -> int:
        """Count a bad token against its identity and its IP; returns the delay (seconds) it
        earned the identity, 0 while the IP is within its limit."""
        limit = settings.TOKEN_FAILURE_IP_LIMIT
        ip_failures = [self.now, *self._recent(self.cache.get(self.ip_key, []))]
        self.cache.set(self.ip_key, ip_failures[: limit + IP_HISTORY_MARGIN], self.duration)
        delay = growing_delay(len(ip_failures), free=limit, most=self.duration)
        failures = [self.now, *self._recent(self.cache.get(self.identity_key, []))]
        failures = failures[: self.num_requests]
        self.cache.set(self.identity_key, failures, self.duration)
        free_at = self.now + delay
        if len(failures) >= self.num_requests:
            free_at = max(free_at, failures[-1] + self.duration)
        if free_at > self.now:
            wait = math.ceil(free_at - self.now)
            self.cache.set(self.lock_key, math.ceil(free_at * 1000), wait)
        return delay


class ThrottledTokenAuthentication(TokenAuthentication):
    """Token authentication whose failures count against the token's identity (prefix and
    IP) and its IP: a bad token from a locked or delayed identity, or one that earned a
    delay, answers 429 instead of 401. A valid token's request carries the key of its
    identity's lock, which ``RequestThrottle`` checks with the caller's rate in the same
    round trip."""

    def authenticate(self, request):
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        throttle = TokenFailureThrottle(request, token_prefix(header))
        try:
            result = super().authenticate(request)
        except exceptions.AuthenticationFailed:
            wait = throttle.wait_if_blocked()
            if wait is not None:
                raise exceptions.Throttled(wait=wait) from None
            delay = throttle.record_failure()
            if delay:
                raise exceptions.Throttled(wait=delay) from None
            raise
        setattr(request, LOCK_KEY_ATTRIBUTE, throttle.lock_key)
        return result

    def authenticate_credentials(self, key):
        """DRF's, in one query: the token, its user and the user's role assignments, which
        the view reads next to enter the caller's scope. An unknown token or an inactive
        user is refused by DRF itself, with its own messages."""
        found = token_owner(key)
        if found is None or not found[0].is_active:
            return super().authenticate_credentials(key)
        return found
