"""Agendas and minutes e-mailed to the committee's members through the mail layer, on a
real SMTP server: each member once, with the PDF attached, however often the job runs."""

from __future__ import annotations

from alize.accounts.models import Role
from alize.tenancy import scope
from committees import services as committee_services
from reporting import services
from reporting.models import Document, DocumentKind, DocumentStatus
from reporting.runner import build_document
from tests.factories import user_with_role
from tests.reporting.conftest import stored_bytes


def pdf_attachments(message) -> list[tuple[str, bytes]]:
    return [
        (part.get_filename(), part.get_content())
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    ]


def test_members_receive_the_agenda_once_each_with_the_pdf(world, sitting, smtp_server):
    second = user_with_role(Role.COMMITTEE_MEMBER, dispositif=world.a, organisation=sitting.region)
    user_with_role(Role.COMMITTEE_MEMBER, dispositif=world.b, organisation=sitting.bank)
    with scope([world.a]):
        document = services.document_request(
            kind=DocumentKind.AGENDA, committee=sitting.committee, by=world.animateur_a
        )
    for _run in range(2):
        assert build_document.apply(kwargs={"document_id": document.pk}).get() == "done"
    done = Document.objects.get(pk=document.pk)
    assert done.status == DocumentStatus.DONE
    received = sorted(smtp_server.messages, key=lambda m: m["To"])
    assert [m["To"] for m in received] == sorted([world.member_a.email, second.email])
    for message in received:
        assert world.a.name in message["Subject"]
        assert pdf_attachments(message) == [(done.filename, stored_bytes(done))]


def test_minutes_go_to_the_members_when_minutes_are_sent(world, sitting, smtp_server):
    with scope([world.a]):
        committee_services.committee_set_status(committee=sitting.committee, status="held")
    with scope([world.a]):
        committee_services.committee_set_status(
            committee=sitting.committee, status="minutes_sent", by=world.animateur_a
        )
    document = Document.objects.get(kind=DocumentKind.MINUTES)
    build_document.apply(kwargs={"document_id": document.pk})
    (message,) = smtp_server.messages
    assert message["To"] == world.member_a.email
    assert "relevé de décisions" in message["Subject"]
    assert pdf_attachments(message)[0][0] == Document.objects.get(pk=document.pk).filename


def test_a_regenerated_agenda_is_sent_again_as_its_new_version(world, sitting, smtp_server):
    with scope([world.a]):
        first = services.document_request(
            kind=DocumentKind.AGENDA, committee=sitting.committee, by=None
        )
    build_document.apply(kwargs={"document_id": first.pk})
    with scope([world.a]):
        second = services.document_request(
            kind=DocumentKind.AGENDA, committee=sitting.committee, by=None, regenerate=True
        )
    build_document.apply(kwargs={"document_id": second.pk})
    build_document.apply(kwargs={"document_id": second.pk})
    assert len(smtp_server.messages) == 2


def test_a_build_without_delivery_stores_the_agenda_and_mails_nobody(world, sitting, smtp_server):
    """The demo's documents are built by the worker this way: nothing is e-mailed."""
    with scope([world.a]):
        document = services.document_request(
            kind=DocumentKind.AGENDA, committee=sitting.committee, by=None
        )
    result = build_document.apply(kwargs={"document_id": document.pk, "deliver": False})
    assert result.get() == DocumentStatus.DONE
    assert Document.objects.get(pk=document.pk).status == DocumentStatus.DONE
    assert smtp_server.messages == []
