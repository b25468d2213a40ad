"""The rules of a number of hours hold at every door: quarter hours, no day to come and no
zero hours are refused by the hour services, so the API's entries, its week, its
adjustments and the browser's week grid refuse them alike, naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from alize.tenancy import scope
from missions import services
from missions.models import HourLog
from tests.clock import TODAY
from tests.conftest import api_client_for

from .conftest import world_expert, world_mission

pytestmark = pytest.mark.django_db


YESTERDAY = TODAY - dt.timedelta(days=1)
TOMORROW = TODAY + dt.timedelta(days=1)


def hour_logs(mission) -> list[tuple[dt.date, Decimal]]:
    rows = HourLog.unscoped_objects.filter(mission=mission).order_by("date", "id")
    return [(row.date, row.hours) for row in rows]


def post_entry(world, mission, **payload):
    body = {"mission": mission.pk, "date": str(YESTERDAY), "hours": "2"} | payload
    return api_client_for(world.expert_a).post(reverse("api:hour-log-list"), body, format="json")


@pytest.mark.parametrize("hours", ["0.1", "0.33", "1.01", "7.1"])
def test_the_api_refuses_hours_that_are_not_quarter_hours(world, hours):
    mission = world_mission(world, world.a)
    response = post_entry(world, mission, hours=hours)
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["fields"]) == ["hours"]
    assert "quart d'heure" in body["message"]
    assert hour_logs(mission) == []


def test_the_api_refuses_hours_of_a_day_to_come(world):
    mission = world_mission(world, world.a)
    assert mission.starts_on <= TOMORROW <= mission.ends_on
    response = post_entry(world, mission, date=str(TOMORROW))
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["date"]
    assert hour_logs(mission) == []
    # Today itself is a day one may have worked.
    assert post_entry(world, mission, date=str(TODAY)).status_code == 201
    assert hour_logs(mission) == [(TODAY, Decimal("2"))]


@pytest.mark.parametrize("hours", ["0", "0.00"])
def test_the_api_refuses_zero_hours(world, hours):
    mission = world_mission(world, world.a)
    response = post_entry(world, mission, hours=hours)
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["hours"]
    assert hour_logs(mission) == []


def test_a_patch_holds_the_same_rules_and_keeps_the_entry(world):
    mission = world_mission(world, world.a)
    assert post_entry(world, mission, hours="3").status_code == 201
    (entry,) = HourLog.unscoped_objects.filter(mission=mission)
    url = reverse("api:hour-log-detail", args=[entry.pk])
    api = api_client_for(world.expert_a)
    for hours in ("0.1", "0", "2.6"):
        response = api.patch(url, {"hours": hours}, format="json")
        assert response.status_code == 400, (hours, response.content)
        assert list(response.json()["fields"]) == ["hours"]
    assert hour_logs(mission) == [(YESTERDAY, Decimal("3"))]
    assert api.patch(url, {"hours": "2.75"}, format="json").status_code == 200
    assert hour_logs(mission) == [(YESTERDAY, Decimal("2.75"))]


def test_the_api_week_refuses_such_cells_naming_their_field(world):
    mission = world_mission(world, world.a)
    two_days_ago = TODAY - dt.timedelta(days=2)
    cells = [
        {"mission": mission.pk, "date": str(two_days_ago), "hours": "0.1"},
        {"mission": mission.pk, "date": str(YESTERDAY), "hours": "1.5"},
        {"mission": mission.pk, "date": str(TOMORROW), "hours": "2"},
    ]
    response = api_client_for(world.expert_a).post(
        reverse("api:hour-log-week"), {"cells": cells}, format="json"
    )
    assert response.status_code == 200, response.content
    errors = {(error["date"], error["field"]) for error in response.json()["errors"]}
    assert errors == {(str(two_days_ago), "hours"), (str(TOMORROW), "date")}
    assert hour_logs(mission) == [(YESTERDAY, Decimal("1.5"))]


@pytest.mark.parametrize(
    ("change", "field"),
    [({"hours": "1.1"}, "hours"), ({"hours": "-0.33"}, "hours"), ({"date": TOMORROW}, "date")],
)
def test_adjustments_hold_the_same_rules(world, change, field):
    mission = world_mission(world, world.a)
    expert = world_expert(world)
    payload = {
        "mission": mission.pk,
        "expert": expert.pk,
        "date": str(YESTERDAY),
        "hours": "1",
        "reason": "Atelier oublié dans la saisie.",
    } | {name: str(value) for name, value in change.items()}
    response = api_client_for(world.animateur_a).post(
        reverse("api:hour-log-adjust"), payload, format="json"
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [field]
    assert hour_logs(mission) == []


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_param(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def test_the_week_grid_offers_no_day_to_come_and_refuses_one_sent_anyway(world, client):
    mission = world_mission(world, world.a)
    client.force_login(world.expert_a)
    url = reverse("missions:hours")
    page = client.get(url, {"week": week_param(TOMORROW)}).content.decode()
    if monday_of(TODAY) == monday_of(TOMORROW):
        assert f'name="h-{mission.pk}-{TODAY.isoformat()}"' in page
    assert f'name="h-{mission.pk}-{TOMORROW.isoformat()}"' not in page
    name = f"h-{mission.pk}-{TOMORROW.isoformat()}"
    client.post(url, {"week": week_param(TOMORROW), name: "2"})
    assert hour_logs(mission) == []
    # The service itself refuses it, whoever calls it.
    with scope(every_dispositif=True, reason="test"):
        result = services.hours_save_week(
            expert=world_expert(world),
            cells=[services.HourCell(mission.pk, TOMORROW, "2")],
            by=world.expert_a,
        )
    assert [(error.date, error.field) for error in result.errors] == [(TOMORROW, "date")]
    assert hour_logs(mission) == []


def test_the_week_grid_refuses_a_quarter_less_number_through_the_same_rule(world, client):
    mission = world_mission(world, world.a)
    client.force_login(world.expert_a)
    day = monday_of(TODAY) - dt.timedelta(days=7)
    name = f"h-{mission.pk}-{day.isoformat()}"
    response = client.post(reverse("missions:hours"), {"week": week_param(day), name: "1,1"})
    assert response.status_code == 400
    assert "quart d'heure" in response.content.decode()
    assert hour_logs(mission) == []
