"""The confirmation link of a submission: a signed token (``alize.links``) naming the
pending row and its dispositif, valid for ``SELF_REFERRAL_CONFIRM_WINDOW``."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from alize import links
from alize.mail import absolute_url

CONFIRM_PURPOSE = "pme-door-confirm"


def confirmation_url(*, referral_id: int, dispositif_id: int) -> str:
    token = links.make(CONFIRM_PURPOSE, {"r": referral_id, "d": dispositif_id})
    return absolute_url(reverse("door:confirm", args=[token]))


def read_confirmation(token: str) -> tuple[int, int]:
    """(referral id, dispositif id) of a genuine, unexpired token; raises
    ``alize.links.LinkExpired`` or ``LinkInvalid``."""
    signed = links.read(CONFIRM_PURPOSE, token, max_age=settings.SELF_REFERRAL_CONFIRM_WINDOW)
    referral_id, dispositif_id = signed.payload.get("r"), signed.payload.get("d")
    if not all(
        isinstance(v, int) and not isinstance(v, bool) for v in (referral_id, dispositif_id)
    ):
        raise links.LinkInvalid(CONFIRM_PURPOSE)
    return referral_id, dispositif_id
