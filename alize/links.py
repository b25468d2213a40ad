"""Signed single-purpose tokens: links sent by mail (confirm a submission, declare a
follow-up…) and stamps carried by a public form (when it was shown).

A token is a small JSON payload signed with ``SECRET_KEY`` and a salt naming its purpose, so a
token made for one purpose is refused by every other. It records when it was issued; the
reader gives the longest age it accepts and gets the payload and the token's age back.
Nothing is stored: whoever needs a link to work once keeps that fact in its own rows (the
token names them). Refusals say why, so a page can tell "expired" from "altered":
``LinkExpired`` and ``LinkInvalid`` (both ``LinkError``).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core import signing

SALT_PREFIX = "alize.links"


class LinkError(Exception):
    """A token that cannot be used; ``reason`` is "expired" or "invalid"."""

    reason = "invalid"


class LinkInvalid(LinkError):
    """Altered, truncated, or made for another purpose."""

    reason = "invalid"


class LinkExpired(LinkError):
    """Genuine, but older than the reader accepts."""

    reason = "expired"


@dataclass(frozen=True)
class Signed:
    """What a valid token carried, and how many seconds ago it was issued."""

    payload: dict[str, Any]
    issued_at: float
    age: float


def _signer(purpose: str) -> signing.Signer:
    if not purpose or ":" in purpose:
        raise ValueError("A link's purpose is a non-empty name without ':'.")
    return signing.Signer(salt=f"{SALT_PREFIX}.{purpose}")


def make(purpose: str, payload: dict[str, Any]) -> str:
    """A URL-safe token carrying ``payload`` (plain JSON values) for ``purpose``, issued now."""
    return _signer(purpose).sign_object({"v": payload, "t": round(time.time(), 3)}, compress=True)


def read(purpose: str, token: str, *, max_age: timedelta | float) -> Signed:
    """The payload of a token of ``purpose`` no older than ``max_age``; raises
    ``LinkInvalid`` (altered, other purpose) or ``LinkExpired``."""
    try:
        content = _signer(purpose).unsign_object(token or "")
        payload, issued_at = content["v"], float(content["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise LinkInvalid(purpose) from None
    if not isinstance(payload, dict):
        raise LinkInvalid(purpose)
    seconds = max_age.total_seconds() if isinstance(max_age, timedelta) else float(max_age)
    age = time.time() - issued_at
    if age > seconds:
        raise LinkExpired(purpose)
    return Signed(payload=payload, issued_at=issued_at, age=age)
