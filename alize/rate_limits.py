"""Counted limits on anonymous requests, kept in the Django cache (Redis): at most ``limit``
hits of one identity (an IP, an e-mail address) in a window that starts with its first hit.

The counter is Redis's atomic ``INCR`` (two concurrent hits never both take the last
place); a second key holds when the window started, for the ``Retry-After`` answer.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from datetime import timedelta

from django.core.cache import cache


@dataclass(frozen=True)
class RateLimit:
    """``limit`` hits per identity in ``window``, under the cache keys of ``name``."""

    name: str
    limit: int
    window: timedelta

    def _keys(self, identity: str) -> tuple[str, str]:
        # Identities can be e-mail addresses: hashed, they make safe keys and leave no
        # address in Redis.
        digest = hashlib.sha256(identity.strip().lower().encode()).hexdigest()[:32]
        base = f"rate-limit:{self.name}:{digest}"
        return base, f"{base}:since"

    def wait(self, identity: str) -> int | None:
        """Seconds until ``identity`` may hit again when it has used up its window, else None."""
        count_key, since_key = self._keys(identity)
        if (cache.get(count_key) or 0) < self.limit:
            return None
        return self._left(since_key)

    def hit(self, identity: str) -> int | None:
        """Count one hit; None when it is within the limit, else the seconds to wait (the
        hit is counted anyway: hammering does not shorten the wait)."""
        count_key, since_key = self._keys(identity)
        seconds = int(self.window.total_seconds())
        cache.add(since_key, time.time(), timeout=seconds)
        cache.add(count_key, 0, timeout=seconds)
        try:
            count = cache.incr(count_key)
        except ValueError:  # expired between add and incr: a new window
            cache.set(since_key, time.time(), timeout=seconds)
            cache.set(count_key, 1, timeout=seconds)
            count = 1
        return None if count <= self.limit else self._left(since_key)

    def _left(self, since_key: str) -> int:
        seconds = self.window.total_seconds()
        since = cache.get(since_key)
        if since is None:
            return int(seconds)
        return max(1, int(since + seconds - time.time() + 0.999))
