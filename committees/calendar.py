"""Calendar invitations of committees (iCalendar, RFC 5545, with the ``icalendar`` library).

Each committee has one stable UID; its ``sequence`` rises each time a sent invitation
changes (date, time or place), so calendars replace the event instead of adding one. The
agenda mail carries a METHOD:REQUEST invitation, a cancelled committee a METHOD:CANCEL one;
a member's private feed (``calendar_feed``) publishes every committee of their dispositifs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from email.utils import parseaddr
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vCalAddress, vText

from .models import Committee, CommitteeStatus

PRODID = "-//Alizé//Comités//FR"
CONTENT_TYPE = "text/calendar; charset=utf-8"  # a download or the feed
MIMETYPE = "text/calendar"  # an attachment (the mail layer adds the charset)
# A committee without a time is shown from 9:00; a meeting lasts about three hours.
DEFAULT_START = dt.time(9, 0)
DURATION = dt.timedelta(hours=3)


def committee_uid(committee: Committee) -> str:
    """The committee's invitation UID: the same for every version of its invitation."""
    host = urlparse(settings.SITE_URL).hostname or "alize"
    return f"committee-{committee.pk}@{host}"


def _organizer() -> vCalAddress:
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = vCalAddress(f"mailto:{address}")
    if name:
        organizer.params["cn"] = vText(name)
    return organizer


def _event(committee: Committee, *, cancelled: bool, attendee=None) -> Event:
    zone = ZoneInfo(settings.TIME_ZONE)
    start = dt.datetime.combine(committee.date, committee.start_time or DEFAULT_START, zone)
    event = Event()
    event.add("uid", committee_uid(committee))
    event.add("sequence", committee.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", start)
    event.add("dtend", start + DURATION)
    event.add(
        "summary",
        _("Comité %(dispositif)s") % {"dispositif": committee.dispositif.name},
    )
    if committee.place:
        event.add("location", committee.place)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("organizer", _organizer())
    if attendee is not None and getattr(attendee, "email", ""):
        address = vCalAddress(f"mailto:{attendee.email}")
        address.params["cn"] = vText(attendee.get_full_name() or attendee.email)
        address.params["role"] = vText("REQ-PARTICIPANT")
        event.add("attendee", address)
    return event


def _calendar(method: str | None) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    if method:
        calendar.add("method", method)
    return calendar


def invitation_ics(committee: Committee, *, attendee=None) -> bytes:
    """The invitation to ``committee`` as sent by mail: METHOD:REQUEST, or METHOD:CANCEL
    once the committee is cancelled."""
    cancelled = committee.status == CommitteeStatus.CANCELLED
    calendar = _calendar("CANCEL" if cancelled else "REQUEST")
    calendar.add_component(_event(committee, cancelled=cancelled, attendee=attendee))
    return calendar.to_ical()


def calendar_feed(committees: Iterable[Committee], *, name: str) -> bytes:
    """A subscribed calendar (METHOD:PUBLISH) of ``committees``."""
    calendar = _calendar("PUBLISH")
    calendar.add("x-wr-calname", name)
    for committee in committees:
        calendar.add_component(
            _event(committee, cancelled=committee.status == CommitteeStatus.CANCELLED)
        )
    return calendar.to_ical()


def invitation_filename(committee: Committee) -> str:
    return f"comite-{committee.date.isoformat()}.ics"
