"""Invitations that follow the meeting, on a real SMTP server: the agenda mail states date,
time and place and carries a METHOD:REQUEST invitation; moving the committee sends each
member exactly one updated invitation (same UID, SEQUENCE + 1) with a new agenda version
saying what changed; cancelling sends METHOD:CANCEL. Every job runs twice."""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest

from alize.accounts.models import Role
from alize.tenancy import scope
from committees import services as committee_services
from committees.calendar import committee_uid
from reporting.models import Document, DocumentKind
from reporting.runner import build_document
from reporting.tasks import send_cancellations
from tests.clock import TODAY
from tests.factories import user_with_role
from tests.reporting.conftest import make_sitting, pdf_text, stored_bytes


@pytest.fixture
def coming(world):
    """A committee in two weeks, its dossiers on the agenda, nothing decided."""
    return make_sitting(world.a, date=TODAY + dt.timedelta(days=14), decide=False)


def invitation(message) -> icalendar.Calendar:
    (part,) = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return icalendar.Calendar.from_ical(part.get_payload(decode=True))


def event_of(calendar):
    (event,) = calendar.walk("VEVENT")
    return event


def build_twice(document):
    for _run in range(2):
        build_document.apply(kwargs={"document_id": document.pk})


def send_agenda(world, coming):
    with scope([world.a]):
        committee_services.committee_update(
            committee=coming.committee, start_time=dt.time(9, 30), by=world.animateur_a
        )
        committee_services.committee_set_status(
            committee=coming.committee, status="agenda_sent", by=world.animateur_a
        )
    build_twice(Document.objects.get(kind=DocumentKind.AGENDA, version=1))


def test_the_agenda_mail_gives_date_time_place_and_an_invitation(world, coming, smtp_server):
    send_agenda(world, coming)
    (message,) = smtp_server.messages
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "Heure : 09:30" in body and "Lieu : Hôtel de région" in body
    calendar = invitation(message)
    event = event_of(calendar)
    assert str(calendar["METHOD"]) == "REQUEST"
    assert str(event["UID"]) == committee_uid(coming.committee)
    assert int(event["SEQUENCE"]) == 0
    assert event.decoded("DTSTART").replace(tzinfo=None) == dt.datetime.combine(
        TODAY + dt.timedelta(days=14), dt.time(9, 30)
    )
    assert str(event["LOCATION"]) == "Hôtel de région"
    assert str(event["ATTENDEE"]) == f"mailto:{world.member_a.email}"


def test_a_moved_committee_sends_each_member_one_updated_invitation(world, coming, smtp_server):
    second = user_with_role(Role.COMMITTEE_MEMBER, dispositif=world.a, organisation=coming.bank)
    send_agenda(world, coming)
    first = {m["To"]: event_of(invitation(m)) for m in smtp_server.messages}
    assert sorted(first) == sorted([world.member_a.email, second.email])
    smtp_server.clear()

    new_day = TODAY + dt.timedelta(days=21)
    with scope([world.a]):
        committee_services.committee_update(
            committee=coming.committee,
            date=new_day,
            place="CCI Grand Hainaut, Valenciennes",
            by=world.animateur_a,
        )
    updated = Document.objects.get(kind=DocumentKind.AGENDA, is_current=True)
    assert updated.version == 2 and "lieu : Hôtel de région → CCI Grand Hainaut" in (
        updated.change_note
    )
    build_twice(updated)

    received = sorted(smtp_server.messages, key=lambda m: m["To"])
    assert [m["To"] for m in received] == sorted([world.member_a.email, second.email])
    for message in received:
        assert "modifié" in message["Subject"]
        calendar = invitation(message)
        event = event_of(calendar)
        before = first[message["To"]]
        assert str(calendar["METHOD"]) == "REQUEST"
        assert str(event["UID"]) == str(before["UID"])
        assert int(event["SEQUENCE"]) == int(before["SEQUENCE"]) + 1
        assert event.decoded("DTSTART").date() == new_day
        assert str(event["LOCATION"]) == "CCI Grand Hainaut, Valenciennes"
    text = " ".join(pdf_text(stored_bytes(Document.objects.get(pk=updated.pk))).split())
    assert "Version 2" in text and "Modifié : date :" in text


def test_minutes_changes_after_the_meeting_send_no_invitation(world, coming, smtp_server):
    send_agenda(world, coming)
    smtp_server.clear()
    with scope([world.a]):
        committee_services.committee_update(
            committee=coming.committee, minutes="Deux dossiers examinés.", by=world.animateur_a
        )
    assert Document.objects.filter(kind=DocumentKind.AGENDA).count() == 1
    assert smtp_server.messages == []


def test_cancelling_sends_method_cancel_once(world, coming, smtp_server):
    send_agenda(world, coming)
    smtp_server.clear()
    with scope([world.a]):
        committee_services.committee_set_status(
            committee=coming.committee, status="cancelled", by=world.animateur_a
        )
    for _run in range(2):
        send_cancellations.apply(
            kwargs={"committee_id": coming.committee.pk, "dispositif_id": world.a.pk}
        )
    (message,) = smtp_server.messages
    assert "annulé" in message["Subject"]
    calendar = invitation(message)
    event = event_of(calendar)
    assert str(calendar["METHOD"]) == "CANCEL" and str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) == 1
    for item in coming.items:
        item.project.refresh_from_db()
        assert item.project.stage == "in_instruction"
