"""E-mails of documents: a committee's agenda and minutes go to the people holding the
committee-member role in its dispositif, the PDF attached, through the platform's mail
layer. Each member receives a version once: the idempotency key names the committee, the
member and the version (a regenerated agenda is a new version, sent again)."""

from __future__ import annotations

import time

from django.urls import reverse

from alize.mail import send_once

from . import selectors
from .models import COMMITTEE_KINDS, Document, DocumentStatus


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
    committee = document.committee
    sent = 0
    for assignment in selectors.committee_member_users(document.dispositif_id):
        sent += send_once(
            key=delivery_key(document, assignment.user_id),
            to=assignment.user,
            template=f"reporting/{document.kind}",
            context={
                "dispositif": document.dispositif.name,
                "committee_date": committee.date,
                "place": committee.place,
                "host": committee.host.name if committee.host_id else "",
                "download_path": reverse("reporting:download", args=[document.pk]),
                "version": document.version,
            },
            attachments=[(document.filename, content, document.content_type)],
        )
        if pause:
            time.sleep(pause)
    return sent
