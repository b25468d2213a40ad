"""What a person expects around a mission: the skill the committee decided is the one
preselected; an expert without the mission's skill is assigned only once that is
confirmed (web: a confirmation page; API: ``confirm_without_skill``); « Démarrer » is
offered once an expert is on the mission; hours beyond the planned ones are flagged on the
mission page, the week grid, the month closing and the contribution statement."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from alize.errors import ApplicationError
from alize.tenancy import scope
from committees import services as committee_services
from missions import services
from missions.models import MissionAssignment, MissionStatus
from pme.models import Stage
from tests.clock import TODAY
from tests.conftest import api_client_for
from tests.factories import SkillFactory, project_at, record_quorum

from .conftest import log, make_expert, running_mission

pytestmark = pytest.mark.django_db


def decision_with(dispositif, description: str, *, missions=2, needs=()):
    project = project_at(Stage.ON_AGENDA, dispositif=dispositif)
    with scope([dispositif.pk]):
        if needs:
            project.needs.set(needs)
        item = project.agenda_items.get()
        record_quorum(item.committee)
        return committee_services.committee_record_decision(
            item=item,
            outcome="approved",
            by=None,
            missions_granted=missions,
            missions_description=description,
        )


def proposed(decision, firm, skill, animateur, **fields):
    with scope(every_dispositif=True, reason="test setup"):
        return services.mission_create(
            decision=decision,
            firm=firm,
            skill=skill,
            objective="Plan d'actions.",
            planned_hours=fields.pop("planned_hours", Decimal("60")),
            starts_on=TODAY - dt.timedelta(days=30),
            ends_on=TODAY + dt.timedelta(days=60),
            by=animateur,
        )


@pytest.fixture
def skills():
    return {
        "finance": SkillFactory(name="Finance (test)", slug="finance-test"),
        "qualite": SkillFactory(name="Qualité (test)", slug="qualite-t"),
        "export": SkillFactory(name="Export (test)", slug="export-t"),
    }


# --- The skill the committee decided ---------------------------------------------------


def test_the_skill_named_by_the_decision_is_preselected_then_the_next_one(world, client, skills):
    decision = decision_with(
        world.a, "qualité (test), export (test) (Grande entreprise)", needs=[skills["finance"]]
    )
    client.force_login(world.animateur_a)
    url = reverse("missions:propose", args=[decision.pk])
    assert client.get(url).context["form"].initial["skill"] == skills["qualite"].pk
    proposed(decision, world.firm_a, skills["qualite"], world.animateur_a)
    assert client.get(url).context["form"].initial["skill"] == skills["export"].pk


def test_without_a_skill_in_the_decision_the_project_s_needs_come_next(world, client, skills):
    decision = decision_with(world.a, "", needs=[skills["finance"], skills["export"]])
    client.force_login(world.animateur_a)
    url = reverse("missions:propose", args=[decision.pk])
    proposed(decision, world.firm_a, skills["export"], world.animateur_a)
    assert client.get(url).context["form"].initial["skill"] == skills["finance"].pk


# --- An expert without the mission's skill ----------------------------------------------


@pytest.fixture
def accepted(world, skills):
    decision = decision_with(world.a, "qualité (test)")
    mission = proposed(decision, world.firm_a, skills["qualite"], world.animateur_a)
    with scope([world.a.pk]):
        services.mission_accept(mission=mission, by=world.correspondent_a)
    return mission


def test_the_service_asks_to_confirm_an_expert_without_the_skill(world, skills, accepted):
    novice = make_expert(world.firm_a, skills=[skills["finance"]], last_name="Novice")
    with scope([world.a.pk]), pytest.raises(ApplicationError) as refused:
        services.mission_assign_expert(mission=accepted, expert=novice, by=world.correspondent_a)
    assert refused.value.code == "expert_lacks_skill" and refused.value.field == "expert"
    assert "Qualité (test)" in refused.value.message and "Novice" in refused.value.message
    assert not MissionAssignment.unscoped_objects.filter(mission=accepted).exists()
    with scope([world.a.pk]):
        services.mission_assign_expert(
            mission=accepted, expert=novice, by=world.correspondent_a, confirm_without_skill=True
        )
    assert MissionAssignment.unscoped_objects.filter(mission=accepted, expert=novice).exists()


def test_the_page_asks_before_assigning_an_expert_without_the_skill(
    world, client, skills, accepted
):
    novice = make_expert(world.firm_a, skills=[skills["finance"]], last_name="Novice")
    client.force_login(world.correspondent_a)
    page = client.get(reverse("missions:detail", args=[accepted.pk])).content.decode()
    assert "sans la compétence" in page  # the choice says so before anything is sent
    url = reverse("missions:assign", args=[accepted.pk])
    response = client.post(url, {"experts": [novice.pk]})
    assert response.status_code == 200
    text = response.content.decode()
    assert "pas la compétence « Qualité (test) »" in text and 'name="confirmed"' in text
    assert not MissionAssignment.unscoped_objects.filter(mission=accepted).exists()
    response = client.post(url, {"experts": [novice.pk], "confirmed": "1"})
    assert response.status_code == 302
    assert MissionAssignment.unscoped_objects.filter(mission=accepted, expert=novice).exists()


def test_the_api_refuses_without_the_confirmation_flag(world, skills, accepted):
    novice = make_expert(world.firm_a, skills=[skills["finance"]], last_name="Novice")
    api = api_client_for(world.correspondent_a)
    url = reverse("api:mission-assign", args=[accepted.pk])
    response = api.post(url, {"expert": novice.pk}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "expert_lacks_skill"
    response = api.post(url, {"expert": novice.pk, "confirm_without_skill": True}, format="json")
    assert response.status_code in (200, 201), response.content


# --- Starting ---------------------------------------------------------------------------


def test_start_is_offered_only_once_an_expert_is_on_the_mission(world, client, skills, accepted):
    client.force_login(world.animateur_a)
    url = reverse("missions:detail", args=[accepted.pk])
    page = client.get(url).content.decode()
    assert 'data-move="in_progress"' not in page
    assert "Le correspondant de l'entreprise affecte d'abord un expert" in page
    with scope([world.a.pk]), pytest.raises(ApplicationError) as refused:
        services.mission_start(mission=accepted, by=world.animateur_a)
    assert refused.value.code == "no_expert"
    expert = make_expert(world.firm_a, skills=[skills["qualite"]])
    with scope([world.a.pk]):
        services.mission_assign_expert(mission=accepted, expert=expert, by=world.correspondent_a)
    assert 'data-move="in_progress"' in client.get(url).content.decode()


# --- Hours beyond the planned hours -------------------------------------------------------


@pytest.fixture
def over_planned(world, skills):
    expert = make_expert(world.firm_a, user=world.expert_a, skills=[skills["qualite"]])
    decision = decision_with(world.a, "qualité (test)", missions=1)
    mission = running_mission(
        decision,
        world.firm_a,
        skills["qualite"],
        animateur=world.animateur_a,
        correspondent=world.correspondent_a,
        experts=[expert],
        planned_hours=Decimal("60"),
        starts_on=TODAY - dt.timedelta(days=40),
    )
    day = TODAY - dt.timedelta(days=20)
    for n, hours in enumerate(["12"] * 8 + ["3.5"]):
        log(mission, expert, day + dt.timedelta(days=n), hours)
    return mission


def test_the_mission_page_flags_hours_beyond_the_plan(world, client, over_planned):
    client.force_login(world.animateur_a)
    page = client.get(reverse("missions:detail", args=[over_planned.pk])).content.decode()
    assert "data-over-planned" in page
    assert "39,5 h au-delà des 60 h prévues" in page


def test_the_week_grid_flags_the_mission_beyond_its_plan(world, client, over_planned):
    client.force_login(world.expert_a)
    page = client.get(reverse("missions:hours")).content.decode()
    assert f'data-row="{over_planned.pk}" data-over-planned' in page


def test_the_month_closing_lists_the_missions_beyond_their_plan(world, client, over_planned):
    client.force_login(world.animateur_a)
    page = client.get(reverse("missions:closing")).content.decode()
    assert 'id="over-planned"' in page and f'data-mission="{over_planned.pk}"' in page
    month = TODAY.replace(day=1) - dt.timedelta(days=1)
    confirm = client.post(
        reverse("missions:closing"), {"dispositif": world.a.pk, "month": f"{month:%Y-%m}"}
    ).content.decode()
    assert "au-delà de leurs heures prévues" in confirm


def test_the_contribution_statement_flags_the_mission_beyond_its_plan(world, over_planned):
    from reporting.selectors import firm_contribution

    with scope(every_dispositif=True, reason="test"):
        contribution = firm_contribution(world.firm_a.pk, TODAY.year)
    (row,) = contribution.missions
    assert (row.planned, row.over_planned) == (Decimal("60"), Decimal("39.5"))


def test_an_expert_without_the_skill_can_still_be_chosen_when_accepting(world, skills):
    decision = decision_with(world.a, "qualité (test)")
    mission = proposed(decision, world.firm_a, skills["qualite"], world.animateur_a)
    novice = make_expert(world.firm_a, skills=[], last_name="Novice")
    with scope([world.a.pk]), pytest.raises(ApplicationError):
        services.mission_accept(mission=mission, by=world.correspondent_a, experts=[novice])
    with scope([world.a.pk]):
        services.mission_accept(
            mission=mission,
            by=world.correspondent_a,
            experts=[novice],
            confirm_without_skill=True,
        )
        mission.refresh_from_db()
    assert mission.status == MissionStatus.ACCEPTED
