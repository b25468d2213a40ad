"""The 12-hour rule under two concurrent saves on two real database connections.

The expert logs 8 h on two missions of the same day at the same time: the first save is
paused inside its transaction after its write; the second waits on the expert's row lock,
then sees the first one's hours and is refused. Without the lock both would pass (each
reading 0 h)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from partners.missions import services
from partners.missions.models import HourLog
from tests.test_races import assert_refused, client_of, race

from .conftest import approved_decision, last_monday, running_mission

pytestmark = pytest.mark.django_db(transaction=True)


def test_twelve_hours_hold_under_two_concurrent_saves(missions_world, monkeypatch):
    mw = missions_world
    world = mw.world
    second_mission = running_mission(
        approved_decision(world.a),
        world.firm_a,
        mw.skill,
        animateur=world.animateur_a,
        correspondent=world.correspondent_a,
        experts=[mw.expert_a],
    )
    day = last_monday() + dt.timedelta(days=1)

    def attempt(mission):
        def call():
            return client_of(mw.expert_a.user).post(
                reverse("api:hour-log-list"),
                {"mission": mission.pk, "date": str(day), "hours": "8"},
                format="json",
            )

        return call

    first, second = race(
        monkeypatch, services, "_save_entry", attempt(mw.mission_a), attempt(second_mission)
    )
    assert first.status_code == 201, first.content
    body = assert_refused(second, "hours")
    assert body["code"] == "day_over_12_hours"
    logged = HourLog.unscoped_objects.filter(expert=mw.expert_a, date=day)
    assert [log.hours for log in logged] == [Decimal("8")]
