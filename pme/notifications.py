"""The pipeline's e-mails, sent through the mail layer (``alize.mail.send_once``), to the
SME's contact, who has no account (the address the request went to, in the platform's
language):

- the request of a follow-up year, with its signed link (key per link);
- a reminder 15 and 30 days after it while nothing is declared (key per link and delay;
  a run that finds both due sends only the later one).

A failed send is logged and left to the next daily run (``send_once`` retries a failed
key), so one refused address never holds the others back.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.urls import reverse
from django.utils import timezone

from alize.links import link_token
from alize.mail import absolute_url, send_once

from .models import DeclarationStatus, FollowUpDeclaration, JobsFollowUp

logger = logging.getLogger(__name__)


def declarations_to_mail(*, dispositif_id: int):
    """The requests the SME can still answer: asked, not declared, the year not recorded
    by the animateur, the link unused and not expired."""
    recorded = JobsFollowUp.objects.filter(project=OuterRef("project"), year=OuterRef("year"))
    return (
        FollowUpDeclaration.objects.filter(
            dispositif_id=dispositif_id,
            status=DeclarationStatus.REQUESTED,
            link__used_at__isnull=True,
            link__expires_at__gt=timezone.now(),
        )
        .exclude(Exists(recorded))
        .select_related("link", "project__company", "dispositif")
        .order_by("requested_at", "id")
    )


def reminder_due(declaration: FollowUpDeclaration, today: dt.date) -> int | None:
    """The reminder the request is at (15 or 30 days after it), or None before the first."""
    age = (today - timezone.localdate(declaration.requested_at)).days
    return max((days for days in settings.FOLLOW_UP_REMINDER_DAYS if age >= days), default=None)


def _context(declaration: FollowUpDeclaration) -> dict:
    path = reverse("pme:follow-up-declare", args=[link_token(declaration.link)])
    return {
        "company": declaration.project.company.name,
        "project": declaration.project.title,
        "year": declaration.year,
        "dispositif": declaration.dispositif.name,
        "link": absolute_url(path),
        "expires_on": timezone.localdate(declaration.link.expires_at),
    }


def send_follow_up_requests(*, dispositif_id: int, today: dt.date | None = None) -> int:
    """Mail each open request of the dispositif, and its reminder when one is due; returns
    how many e-mails this run sent."""
    today = today or timezone.localdate()
    sent = 0
    for declaration in declarations_to_mail(dispositif_id=dispositif_id):
        key = f"pme:follow-up-request:link-{declaration.link_id}"
        mails = [(key, "pme/follow_up_request")]
        reminder = reminder_due(declaration, today)
        if reminder is not None:
            mails.append((f"{key}:reminder-{reminder}", "pme/follow_up_reminder"))
        context = _context(declaration)
        for mail_key, template in mails:
            try:
                sent += send_once(
                    key=mail_key, to=declaration.sent_to, template=template, context=context
                )
            except Exception:
                logger.exception("Follow-up request %s not sent; the next run retries.", mail_key)
    return sent
