"""Jobs of the public door (``alize.tasks.ScopedTask``, in the scope of the submission's
dispositif): the confirmation mail and the acknowledgement once confirmed. Registered
through ``pme.tasks``, beside the daily purge of submissions never confirmed."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task
from django.conf import settings

from alize.mail import send_once
from alize.tasks import ScopedTask

from ..models import SelfReferral, SelfReferralStatus
from .tokens import confirmation_url

MAIL_RETRIES = {"autoretry_for": (OSError, SMTPException), "retry_backoff": True, "max_retries": 5}


def _contact(dispositif) -> dict:
    return {
        "dispositif": dispositif.name,
        "contact_name": dispositif.public_contact_name,
        "contact_email": dispositif.public_contact_email,
        "contact_phone": dispositif.public_contact_phone,
    }


@shared_task(base=ScopedTask, name="pme.tasks.send_self_referral_confirmation", **MAIL_RETRIES)
def send_self_referral_confirmation(*, dispositif, referral_id: int, language: str = "") -> bool:
    """Mail the link that confirms a submission (made here, so it never travels through
    the broker); once per submission."""
    referral = SelfReferral.objects.filter(
        pk=referral_id, status=SelfReferralStatus.PENDING
    ).first()
    if referral is None:
        return False
    hours = int(settings.SELF_REFERRAL_CONFIRM_WINDOW.total_seconds() // 3600)
    return send_once(
        key=f"pme:self-referral:{referral.pk}:confirm",
        to=referral.email,
        language=language or None,
        template="pme/self_referral_confirm",
        context={
            **_contact(dispositif),
            "company": referral.data.get("company", {}).get("name", ""),
            "project": referral.data.get("project", {}).get("title", ""),
            "confirm_url": confirmation_url(referral_id=referral.pk, dispositif_id=dispositif.pk),
            "valid_hours": hours,
        },
    )


@shared_task(base=ScopedTask, name="pme.tasks.send_self_referral_received", **MAIL_RETRIES)
def send_self_referral_received(*, dispositif, referral_id: int, language: str = "") -> bool:
    """Acknowledge a confirmed submission to the SME: what happens next, and who calls."""
    referral = (
        SelfReferral.objects.select_related("project", "company")
        .filter(pk=referral_id, status=SelfReferralStatus.CONFIRMED)
        .first()
    )
    if referral is None or referral.project is None:
        return False
    return send_once(
        key=f"pme:self-referral:{referral.pk}:received",
        to=referral.email,
        language=language or None,
        template="pme/self_referral_received",
        context={
            **_contact(dispositif),
            "company": referral.company.name if referral.company else "",
            "project": referral.project.title,
        },
    )
