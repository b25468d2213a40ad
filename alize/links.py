"""Signed single-purpose links: URLs sent to people without an account (an SME leader
confirming a submission, an SME declaring its follow-up) and stamps carried by a public form
(docs/architecture.md §3.6).

Every token is ``django.core.signing`` with a salt per purpose (``alize.links.<purpose>``):
a token made for one purpose never opens another, and any character changed fails the
signature before anything is read. Two ways to use it, on the same signer:

- **Tokens that store nothing** (``make``/``read``): a small JSON payload and when it was
  issued; the reader gives the longest age it accepts. Whoever needs such a link to work
  once keeps that fact in its own rows (the public door's submission, §16). Refusals say
  why: ``LinkExpired`` and ``LinkInvalid`` (both ``LinkError``).
- **Stored links used once** (``link_issue`` → ``link_token`` → ``link_open`` →
  ``link_check``/``link_use``): the token signs ``{dispositif, object, nonce}``; the nonce is
  stored in ``alize.models.SignedLink`` with the object, the expiry and ``used_at`` (never
  the token). Using a link is one conditional ``UPDATE``, so two requests racing with the
  same link cannot both use it. The dispositif comes from the signed token only: the view
  opens the stored row in ``alize.tenancy.public_door_scope`` for ``link.dispositif_id``.
  Refusals are ``LinkRefused`` (a ``LinkError``) with a ``LinkRefusal`` reason, its page's
  status (400 invalid, 410 expired or used) and message.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.models import SignedLink

SALT_PREFIX = "alize.links"


class LinkError(Exception):
    """A token that cannot be used; ``reason`` is "expired", "used" or "invalid"."""

    reason: str = "invalid"


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


# -- Tokens that store nothing -----------------------------------------------------------------


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


# -- Stored links, used once ---------------------------------------------------------------------


class LinkRefusal(StrEnum):
    """Why a link opens nothing."""

    INVALID = "invalid"  # not a token of this purpose (altered, truncated, forged, revoked)
    EXPIRED = "expired"
    USED = "used"


class LinkRefused(LinkError):
    """A link that opens nothing, with the reason a page can say (400 for a link that is
    not one, 410 for a link that was one and no longer is)."""

    def __init__(self, reason: LinkRefusal):
        super().__init__(reason.value)
        self.reason = reason

    @property
    def status(self) -> int:
        return 400 if self.reason == LinkRefusal.INVALID else 410

    @property
    def message(self) -> str:
        return {
            LinkRefusal.INVALID: _(
                "Ce lien n'est pas valide : vérifiez qu'il a été copié en entier depuis "
                "l'e-mail reçu."
            ),
            LinkRefusal.EXPIRED: _("Ce lien a expiré."),
            LinkRefusal.USED: _("Ce lien a déjà servi : il ne s'utilise qu'une fois."),
        }[LinkRefusal(self.reason)]


@dataclass(frozen=True)
class OpenedLink:
    """What a valid signature says: the purpose, the dispositif and the object it opens,
    and the nonce of its stored row."""

    purpose: str
    dispositif_id: int
    object_id: int
    nonce: str


def link_issue(*, purpose: str, dispositif_id: int, object_id: int, lifetime: dt.timedelta):
    """Store a new link for ``object_id`` in ``dispositif_id``, expiring after ``lifetime``.
    Called by a service, in a scope that includes the dispositif."""
    now = timezone.now()
    return SignedLink.objects.create(
        dispositif_id=dispositif_id,
        purpose=purpose,
        nonce=secrets.token_urlsafe(24),
        object_id=object_id,
        created_at=now,
        expires_at=now + lifetime,
    )


def link_token(link: SignedLink) -> str:
    """The token of the link's URL (the same for the same link: a reminder repeats it)."""
    payload = {"d": link.dispositif_id, "o": link.object_id, "n": link.nonce}
    return _signer(link.purpose).sign_object(payload)


def link_open(purpose: str, token: str) -> OpenedLink:
    """Read a token of ``purpose`` without touching the database; raises ``LinkRefused``
    (invalid) when the signature does not hold."""
    try:
        payload = _signer(purpose).unsign_object(token)
        return OpenedLink(
            purpose=purpose,
            dispositif_id=int(payload["d"]),
            object_id=int(payload["o"]),
            nonce=str(payload["n"]),
        )
    except (signing.BadSignature, ValueError, TypeError, KeyError) as error:
        raise LinkRefused(LinkRefusal.INVALID) from error


def _stored(link: OpenedLink):
    return SignedLink.objects.filter(
        dispositif_id=link.dispositif_id,
        purpose=link.purpose,
        object_id=link.object_id,
        nonce=link.nonce,
    )


def link_check(link: OpenedLink) -> SignedLink:
    """The stored row of a link that still opens its object; raises ``LinkRefused`` (used,
    expired, or invalid when the row is gone). Inside the scope of the link's dispositif."""
    stored = _stored(link).first()
    if stored is None:
        raise LinkRefused(LinkRefusal.INVALID)
    if stored.used_at is not None:
        raise LinkRefused(LinkRefusal.USED)
    if stored.expires_at <= timezone.now():
        raise LinkRefused(LinkRefusal.EXPIRED)
    return stored


def link_use(link: OpenedLink) -> None:
    """Use the link, once: one conditional update; raises ``LinkRefused`` when another
    request used it first, or it expired, or it is gone. Call it in the transaction that
    writes what the link was for, so that a refused write leaves the link unused."""
    now = timezone.now()
    if _stored(link).filter(used_at__isnull=True, expires_at__gt=now).update(used_at=now) != 1:
        link_check(link)  # says why
        raise LinkRefused(LinkRefusal.USED)


def link_revoke(links) -> int:
    """Delete stored links (a queryset of ``SignedLink``): their tokens stop opening
    anything. Returns how many were revoked."""
    deleted, _rows = links.delete()
    return deleted
