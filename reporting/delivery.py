"""E-mails of documents: a committee's agenda and minutes go to the people holding the
committee-member role in its dispositif, the PDF attached, through the platform's mail
layer. Each member receives a version once: the idempotency key names the committee, the
member and the version (a regenerated agenda is a new version, sent again)."""

from __future__ import annotations

import time

from django.urls import reverse

from alize.mail import send_once
from committees.calendar import MIMETYPE, invitation_filename, invitation_ics
from committees.models import Committee
from committees.selectors import committee_member_users

from .models import COMMITTEE_KINDS, Document, DocumentKind, DocumentStatus


def delivery_key(document: Document, user_id: int) -> str:
    return (
        f"reporting:{document.kind}:committee-{document.committee_id}:"
        f"member-{user_id}:v{document.version}"
    )


def deliver(document: Document, *, pause: float = 0) -> int:
    """Send a done agenda or minutes to every member not yet sent this version; returns how
    many messages went out now. Other documents are only downloaded. ``pause`` (seconds,
    tests only) waits after each member, so a test can stop a worker between two mails."""
    if (
        document.kind not in COMMITTEE_KINDS
        or document.status != DocumentStatus.DONE
        or document.committee_id is None
    ):
        return 0
    with document.file.open("rb") as stored:
        content = stored.read()
    committee = Committee.objects.select_related("dispositif", "host").get(pk=document.committee_id)
    agenda = document.kind == DocumentKind.AGENDA
    sent = 0
    for assignment in committee_member_users(document.dispositif_id):
        attachments = [(document.filename, content, document.content_type)]
        if agenda:
            # The invitation of the meeting as it stands (its current SEQUENCE).
            invitation = invitation_ics(committee, attendee=assignment.user)
            attachments.append((invitation_filename(committee), invitation, MIMETYPE))
        sent += send_once(
            key=delivery_key(document, assignment.user_id),
            to=assignment.user,
            template=f"reporting/{document.kind}",
            context={
                **_meeting(committee),
                "download_path": reverse("reporting:download", args=[document.pk]),
                "version": document.version,
                "change_note": document.change_note,
            },
            attachments=attachments,
        )
        if pause:
            time.sleep(pause)
    return sent


def _meeting(committee: Committee) -> dict:
    return {
        "dispositif": committee.dispositif.name,
        "committee_date": committee.date,
        "start_time": committee.start_time,
        "place": committee.place,
        "host": committee.host.name if committee.host_id else "",
    }


def cancellation_key(committee: Committee, user_id: int) -> str:
    return f"committees:cancel:committee-{committee.pk}:member-{user_id}:s{committee.sequence}"


def deliver_cancellation(committee: Committee) -> int:
    """Tell every member that the committee is cancelled, with the METHOD:CANCEL invitation
    that removes it from their calendar; each member once."""
    sent = 0
    for assignment in committee_member_users(committee.dispositif_id):
        sent += send_once(
            key=cancellation_key(committee, assignment.user_id),
            to=assignment.user,
            template="reporting/cancellation",
            context=_meeting(committee),
            attachments=[
                (
                    invitation_filename(committee),
                    invitation_ics(committee, attendee=assignment.user),
                    MIMETYPE,
                )
            ],
        )
    return sent
