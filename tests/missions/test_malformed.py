"""Malformed input on the missions pages: an answer naming the field or a fallback, never
a server error, and nothing saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from missions.models import ClosedMonth, HourLog, SkillMission
from tests.conftest import api_client_for
from tests.missions.test_views import (
    decision_in,
    mission_in,
    setup_people,
    week_param,
)

pytestmark = pytest.mark.django_db


def entries():
    return list(HourLog.unscoped_objects.values_list("mission_id", "date", "hours"))


@pytest.mark.parametrize("value", ["1e400", "99999999999999999999", "25"])
def test_a_cell_beyond_a_day_is_refused_naming_it(world, client, value):
    mission = mission_in(world, world.a)
    monday = dt.date(2026, 6, 1)
    before = entries()
    client.force_login(world.expert_a)
    response = client.post(
        reverse("missions:hours"),
        {"week": week_param(monday), f"h-{mission.pk}-{monday.isoformat()}": value},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 400
    assert "Un jour compte 24 h au plus." in response.content.decode()
    assert entries() == before


@pytest.mark.parametrize("week", ["0001-W01", "9999-W52"])
def test_a_week_at_the_calendars_ends_shows_the_current_week(world, client, week):
    mission_in(world, world.a)
    this_week = "2026-W24"
    client.force_login(world.expert_a)
    page = client.get(reverse("missions:hours"), {"week": week})
    assert page.status_code == 200
    assert f'value="{this_week}"' in page.content.decode()
    posted = client.post(reverse("missions:hours"), {"week": week})
    assert posted.status_code == 302
    assert posted.url.endswith(f"?week={this_week}")


@pytest.mark.parametrize("year", ["0", "-5", "99999999999999999999"])
def test_the_csv_export_of_a_year_out_of_range_answers(world, client, year):
    mission_in(world, world.a)
    client.force_login(world.correspondent_a)
    response = client.get(reverse("missions:firm-hours-export"), {"year": year})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")


@pytest.mark.parametrize("month", ["0001-01", "1900-12"])
def test_a_month_of_long_ago_is_not_closed(world, client, month):
    client.force_login(world.animateur_a)
    response = client.post(
        reverse("missions:closing"), {"dispositif": world.a.pk, "month": month, "confirmed": "1"}
    )
    assert response.status_code == 400
    assert "On ne clôt pas un mois de plus de 20 ans." in response.content.decode()
    assert not ClosedMonth.unscoped_objects.exists()


@pytest.mark.parametrize(
    ("field", "value"), [("starts_on", "0001-01-01"), ("ends_on", "9999-12-31")]
)
def test_a_mission_with_implausible_dates_is_refused_naming_the_field(world, client, field, value):
    people = setup_people(world)
    decision = decision_in(world.a, missions=2)
    data = {
        "skill": people["skill"].pk,
        "firm": world.firm_a.pk,
        "objective": "Mettre en place le contrôle qualité.",
        "planned_hours": "30",
        "starts_on": "2026-06-10",
        "ends_on": "2026-07-10",
    } | {field: value}
    client.force_login(world.animateur_a)
    response = client.post(reverse("missions:propose", args=[decision.pk]), data)
    assert response.status_code == 400
    assert response.context["form"].errors.get(field)
    api = api_client_for(world.animateur_a)
    response = api.post(
        reverse("api:mission-list"), data | {"decision": decision.pk}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not SkillMission.unscoped_objects.filter(decision=decision).exists()


@pytest.mark.parametrize("offset", [-40, 400])
def test_an_adjustment_outside_the_missions_dates_is_refused(missions_world, offset):
    mw = missions_world
    mission = mw.mission_a
    day = (mission.starts_on if offset < 0 else mission.ends_on) + dt.timedelta(days=offset)
    before = entries()
    api = api_client_for(mw.world.animateur_a)
    response = api.post(
        reverse("api:hour-log-adjust"),
        {
            "mission": mission.pk,
            "expert": mw.expert_a.pk,
            "date": day.isoformat(),
            "hours": "2",
            "reason": "Une réunion oubliée.",
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "outside_mission"
    assert "date" in response.json()["fields"]
    assert entries() == before
