"""Row reach of missions: a correspondent sees their firm's missions and logs in every
dispositif (a cross-territory one included), an expert only their own, an animateur their
dispositif's; the firm's reach comes from seats and missions, registered by the missions
app without the tenant layer importing it."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from alize.accounts.models import Role
from alize.actions import Action
from dispositifs.access import dispositif_ids, row_reach
from tests.conftest import api_client_for
from tests.factories import user_with_role

from .conftest import LAST_MONDAY, approved_decision, log, make_expert, running_mission

pytestmark = pytest.mark.django_db


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.fixture
def lent(missions_world):
    """A's firm lends an expert to B: a cross-territory mission of B with logged hours."""
    mw = missions_world
    world = mw.world
    lent_user = user_with_role(Role.EXPERT, organisation=world.firm_a)
    expert = make_expert(world.firm_a, user=lent_user, skills=[mw.skill], lends=True)
    mission = running_mission(
        approved_decision(world.b),
        world.firm_a,
        mw.skill,
        animateur=world.animateur_b,
        correspondent=get_user_model().objects.get(pk=world.correspondent_a.pk),
        experts=[expert],
    )
    return mission, expert, log(mission, expert, LAST_MONDAY, "3")


def test_the_firm_reaches_a_dispositif_through_a_mission_without_a_seat(missions_world, lent):
    world = missions_world.world
    correspondent = get_user_model().objects.get(pk=world.correspondent_a.pk)
    assert dispositif_ids(correspondent, Action.VIEW_MISSION) == {world.a.pk, world.b.pk}
    assert dispositif_ids(correspondent, Action.VIEW_DISPOSITIF) == {world.a.pk}
    reach = row_reach(correspondent, Action.VIEW_MISSION)
    assert (reach.dispositif_ids, reach.organisations, reach.own) == (
        frozenset(),
        frozenset({world.firm_a.pk}),
        False,
    )
    expert_reach = row_reach(world.expert_a, Action.LOG_HOURS)
    assert expert_reach.own and not expert_reach.organisations
    assert row_reach(world.animateur_a, Action.VIEW_MISSION).dispositif_ids == {world.a.pk}
    assert row_reach(world.coordinator, Action.VIEW_MISSION).everything
    assert row_reach(None, Action.VIEW_MISSION).is_empty


def test_a_correspondent_sees_only_their_firm_across_dispositifs(missions_world, lent):
    mw = missions_world
    mission, _expert, entry = lent
    api = api_client_for(mw.world.correspondent_a)
    assert ids(api.get(reverse("api:mission-list"))) == {mw.mission_a.pk, mission.pk}
    assert ids(api.get(reverse("api:hour-log-list"))) == {mw.log_a.pk, entry.pk}
    assert api.get(reverse("api:mission-detail", args=[mw.mission_b.pk])).status_code == 404
    other = api_client_for(mw.correspondent_b)
    assert ids(other.get(reverse("api:mission-list"))) == {mw.mission_b.pk}


def test_an_expert_sees_only_their_own_missions_and_logs(missions_world, lent):
    mw = missions_world
    mission, expert, entry = lent
    api = api_client_for(mw.world.expert_a)
    assert ids(api.get(reverse("api:mission-list"))) == {mw.mission_a.pk}
    assert ids(api.get(reverse("api:hour-log-list"))) == {mw.log_a.pk}
    assert api.get(reverse("api:hour-log-detail", args=[entry.pk])).status_code == 404
    colleague = api_client_for(expert.user)
    assert ids(colleague.get(reverse("api:mission-list"))) == {mission.pk}
    assert ids(colleague.get(reverse("api:hour-log-list"))) == {entry.pk}


def test_an_animateur_sees_only_their_dispositifs_missions(missions_world, lent):
    mw = missions_world
    mission, _expert, entry = lent
    animateur_a = api_client_for(mw.world.animateur_a)
    assert ids(animateur_a.get(reverse("api:mission-list"))) == {mw.mission_a.pk}
    assert ids(animateur_a.get(reverse("api:hour-log-list"))) == {mw.log_a.pk}
    # B's animateur sees B's missions, the one A's firm lends included.
    animateur_b = api_client_for(mw.world.animateur_b)
    assert ids(animateur_b.get(reverse("api:mission-list"))) == {mw.mission_b.pk, mission.pk}
    assert ids(animateur_b.get(reverse("api:hour-log-list"))) == {mw.log_b.pk, entry.pk}
