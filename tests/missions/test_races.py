"""Races on two real database connections: the 12-hour rule under two concurrent saves,
and a month closed while a save is in flight.

The expert logs 8 h on two missions of the same day at the same time: the first save is
paused inside its transaction after its write; the second waits on the expert's row lock,
then sees the first one's hours and is refused. Without the lock both would pass (each
reading 0 h)."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal

import pytest
from django.db import connections
from django.urls import reverse

from alize.tenancy import scope
from missions import services
from missions.models import ClosedMonth, HourLog
from missions.services import hours as hour_services
from tests.test_races import WAIT, _waiting_on_a_lock, assert_refused, client_of, race

from .conftest import LAST_MONDAY, approved_decision, running_mission

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
    day = LAST_MONDAY + dt.timedelta(days=1)

    def attempt(mission):
        def call():
            return client_of(mw.expert_a.user).post(
                reverse("api:hour-log-list"),
                {"mission": mission.pk, "date": str(day), "hours": "8"},
                format="json",
            )

        return call

    first, second = race(
        monkeypatch, hour_services, "_save_entry", attempt(mw.mission_a), attempt(second_mission)
    )
    assert first.status_code == 201, first.content
    body = assert_refused(second, "hours")
    assert body["code"] == "day_over_12_hours"
    logged = HourLog.unscoped_objects.filter(expert=mw.expert_a, date=day)
    assert [log.hours for log in logged] == [Decimal("8")]


def test_a_month_never_closes_under_a_write_that_found_it_open(missions_world, monkeypatch):
    """The expert's save is paused after its write; closing that month meanwhile waits on
    the month's lock, then closes it once the save has committed."""
    mw = missions_world
    world = mw.world
    day = LAST_MONDAY + dt.timedelta(days=2)
    real = hour_services._save_entry
    wrote, release = threading.Event(), threading.Event()

    def paused(**kwargs):
        result = real(**kwargs)
        wrote.set()
        assert release.wait(WAIT), "the save was never released"
        return result

    monkeypatch.setattr(hour_services, "_save_entry", paused)
    outcome = {}

    def run(key, call):
        try:
            outcome[key] = call()
        except Exception as error:  # noqa: BLE001 - reported by the assertions below
            outcome[key] = error
        finally:
            connections.close_all()

    def save():
        return client_of(mw.expert_a.user).post(
            reverse("api:hour-log-list"),
            {"mission": mw.mission_a.pk, "date": str(day), "hours": "3"},
            format="json",
        )

    def close():
        with scope([world.a.pk]):
            return services.month_close(dispositif=world.a, month=day, by=world.animateur_a)

    writer = threading.Thread(target=run, args=("save", save))
    writer.start()
    assert wrote.wait(WAIT)
    closer = threading.Thread(target=run, args=("close", close))
    closer.start()
    deadline = time.monotonic() + WAIT
    while not _waiting_on_a_lock():
        assert closer.is_alive(), outcome.get("close")
        assert time.monotonic() < deadline, "closing the month did not wait for the write"
        time.sleep(0.02)
    assert not ClosedMonth.unscoped_objects.filter(dispositif=world.a).exists()
    release.set()
    writer.join(WAIT)
    closer.join(WAIT)
    assert outcome["save"].status_code == 201, outcome["save"].content
    assert isinstance(outcome["close"], ClosedMonth), outcome["close"]
    assert HourLog.unscoped_objects.filter(expert=mw.expert_a, date=day).exists()
