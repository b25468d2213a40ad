"""A member's private calendar feed: a signed URL that calendar applications subscribe to,
revocable at any time."""

from __future__ import annotations

import secrets

from django.core import signing
from django.db import transaction

from ..models import CalendarFeed

SALT = "committees.calendar-feed"


def calendar_feed_token(feed: CalendarFeed) -> str:
    """The token of the feed's URL: its key, signed (a guessed or altered token is refused
    before any lookup)."""
    return signing.Signer(salt=SALT).sign(feed.key)


@transaction.atomic
def calendar_feed_open(*, user) -> CalendarFeed:
    """The person's feed, created with a fresh random key when they have none."""
    feed, _created = CalendarFeed.objects.get_or_create(
        user=user, defaults={"key": secrets.token_urlsafe(32)}
    )
    return feed


@transaction.atomic
def calendar_feed_revoke(*, user) -> bool:
    """Revoke the person's feed: its URL stops answering. Returns whether there was one."""
    deleted, _rows = CalendarFeed.objects.filter(user=user).delete()
    return bool(deleted)


def calendar_feed_owner(token: str):
    """The active person a feed token belongs to, or None (bad signature, revoked feed)."""
    try:
        key = signing.Signer(salt=SALT).unsign(token)
    except signing.BadSignature:
        return None
    feed = CalendarFeed.objects.select_related("user").filter(key=key).first()
    if feed is None or not feed.user.is_active:
        return None
    return feed.user
