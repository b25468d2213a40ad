"""REST endpoints of missions, hour logs and experts, with the generic route bases (every
role of the shared world; A's rows reach exactly the readers, B's never), plus the
isolation the issue names and the write actions."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse

from alize.tenancy import scope
from missions.models import HourLog, HourLogKind, MissionStatus, SkillMission
from partners.models import Expert
from tests.api_base import AnonymousMixin, APIReadTestBase, CreateMixin, ListMixin, RetrieveMixin
from tests.clock import TODAY
from tests.conftest import api_client_for
from tests.factories import SkillFactory

from .conftest import (
    approved_decision,
    firm_of_b,
    make_expert,
    world_expert,
    world_mission,
)

pytestmark = pytest.mark.django_db

_days = itertools.count(0)
MISSION_READERS = frozenset({"coordinator", "animateur", "correspondent", "expert"})


def action_url(basename, name, pk=None):
    args = [pk] if pk is not None else []
    return reverse(f"api:{basename}-{name}", args=args)


def a_day() -> dt.date:
    """A different past day for every log (one entry per mission and day)."""
    return TODAY - dt.timedelta(days=1 + next(_days) % 50)


class TestMissionAPI(APIReadTestBase, CreateMixin):
    basename = "mission"
    model = SkillMission
    readers = MISSION_READERS
    writers = frozenset({"coordinator", "animateur"})

    def make(self, world, dispositif):
        return world_mission(world, dispositif)

    def create_payload(self, world, dispositif):
        decision = approved_decision(dispositif, missions=1)
        firm = world.firm_a if dispositif.pk == world.a.pk else firm_of_b(world)
        return {
            "decision": decision.pk,
            "firm": firm.pk,
            "skill": SkillFactory(name="Export test", slug="export-test").pk,
            "objective": "Premier diagnostic export.",
            "planned_hours": "24.00",
            "starts_on": "2026-06-10",
            "ends_on": "2026-09-08",
        }

    def cross_tenant_payload(self, world):
        # A's decision, proposed to a firm that has no seat in A and lends nobody.
        return self.create_payload(world, world.a) | {"firm": firm_of_b(world).pk}

    def test_the_correspondent_answers_and_assigns_through_actions(self, world):
        mission = world_mission(world, world.a, status="proposed")
        expert = world_expert(world)
        correspondent = api_client_for(world.correspondent_a)
        outsider = api_client_for(world.animateur_a)
        assert outsider.post(action_url("mission", "accept", mission.pk), {}).status_code == 403
        # The world's experts lack the mission's skill: the firm says it knows.
        response = correspondent.post(
            action_url("mission", "accept", mission.pk),
            {"experts": [expert.pk], "confirm_without_skill": True},
            format="json",
        )
        assert response.status_code == 200, response.content
        assert response.json()["status"] == "accepted"
        assert response.json()["experts"] == [expert.pk]
        second = make_expert(world.firm_a, last_name="Second")
        response = correspondent.post(
            action_url("mission", "assign", mission.pk),
            {"expert": second.pk, "confirm_without_skill": True},
            format="json",
        )
        assert sorted(response.json()["experts"]) == sorted([expert.pk, second.pk])
        response = api_client_for(world.animateur_a).post(
            action_url("mission", "start", mission.pk)
        )
        assert response.json()["status"] == "in_progress"

    def test_decline_needs_a_reason_and_is_kept(self, world):
        mission = world_mission(world, world.a, status="proposed")
        api = api_client_for(world.correspondent_a)
        url = action_url("mission", "decline", mission.pk)
        response = api.post(url, {"reason": "non"}, format="json")
        assert response.status_code == 400 and "reason" in response.json()["fields"]
        response = api.post(url, {"reason": "Aucun expert disponible."}, format="json")
        assert response.status_code == 200
        assert response.json()["decline_reason"] == "Aucun expert disponible."
        with scope([world.a.pk]):
            assert SkillMission.objects.get(pk=mission.pk).status == MissionStatus.DECLINED

    def test_evaluations_then_completion_then_no_cancel(self, world):
        mission = world_mission(world, world.a)
        animateur = api_client_for(world.animateur_a)
        expert = api_client_for(world.expert_a)
        complete = action_url("mission", "complete", mission.pk)
        refused = animateur.post(complete)
        assert refused.status_code == 400 and refused.json()["code"] == "evaluation_missing"
        evaluate = action_url("mission", "evaluate", mission.pk)
        assert (
            animateur.post(evaluate, {"party": "sme", "text": "Utile.", "rating": 4}).status_code
            == 200
        )
        assert expert.post(evaluate, {"party": "expert", "text": "Bon accueil."}).status_code == 200
        assert animateur.post(complete).json()["status"] == "completed"
        response = animateur.post(
            action_url("mission", "cancel", mission.pk), {"reason": "Trop tard pour annuler."}
        )
        assert response.status_code == 400 and response.json()["code"] == "illegal_transition"

    def test_cancel(self, world):
        mission = world_mission(world, world.a, status="proposed")
        response = api_client_for(world.animateur_a).post(
            action_url("mission", "cancel", mission.pk), {"reason": "La PME a changé d'avis."}
        )
        assert response.status_code == 200 and response.json()["status"] == "cancelled"

    def test_suggestions_list_matching_experts_with_their_firms_year(self, world):
        skill = SkillFactory(name="Qualité test", slug="qualite-test")
        expert = world_expert(world)
        expert.skills.add(skill)
        decision = approved_decision(world.a)
        url = action_url("mission", "suggestions")
        query = {"decision": decision.pk, "skill": skill.pk}
        response = api_client_for(world.animateur_a).get(url, query)
        assert response.status_code == 200, response.content
        (row,) = response.json()
        assert row["expert"] == expert.pk and row["has_skill"] is True
        assert row["firm"]["pledged"] == "200.00" and row["firm"]["over_pledge"] is False
        # B's animateur does not reach A's decision; the correspondent does not manage.
        assert api_client_for(world.animateur_b).get(url, query).status_code == 400
        assert api_client_for(world.correspondent_a).get(url, query).status_code in (400, 404)


class TestHourLogAPI(AnonymousMixin, ListMixin, RetrieveMixin, CreateMixin):
    basename = "hour-log"
    model = HourLog
    readers = MISSION_READERS
    writers = frozenset({"expert"})

    def writer(self, world):
        return world.expert_a

    def make(self, world, dispositif):
        mission = world_mission(world, dispositif)
        (expert,) = mission.assignments.values_list("expert", flat=True)
        expert = Expert.objects.get(pk=expert)
        from missions import services

        return services.hour_log_save(
            mission=mission, expert=expert, date=a_day(), hours=Decimal("2"), by=expert.user
        )

    def create_payload(self, world, dispositif):
        mission = world_mission(world, dispositif)
        return {"mission": mission.pk, "date": str(a_day()), "hours": "3.50", "note": "Atelier"}

    def cross_tenant_payload(self, world):
        # An A-side expert logging on B's mission: B's mission is not found for them.
        return self.create_payload(world, world.b)

    def test_patch_and_delete_while_the_month_is_open(self, world):
        with scope(every_dispositif=True, reason="test setup"):
            log = self.make(world, world.a)
        api = api_client_for(world.expert_a)
        url = reverse("api:hour-log-detail", args=[log.pk])
        response = api.patch(url, {"hours": "4.25"}, format="json")
        assert response.status_code == 200 and response.json()["hours"] == "4.25"
        response = api.put(url, {"mission": log.mission_id, "date": str(log.date), "hours": "5"})
        assert response.status_code == 200 and response.json()["hours"] == "5.00"
        assert api_client_for(world.animateur_a).delete(url).status_code == 403
        assert api.delete(url).status_code == 204
        assert not HourLog.unscoped_objects.filter(pk=log.pk).exists()

    def test_week_saves_valid_cells_and_names_refused_days(self, world):
        mission = world_mission(world, world.a)
        day = dt.date(2026, 6, 7)
        cells = [
            {"mission": mission.pk, "date": str(day), "hours": "6"},
            {"mission": mission.pk, "date": str(day - dt.timedelta(days=1)), "hours": "12.5"},
        ]
        response = api_client_for(world.expert_a).post(
            action_url("hour-log", "week"), {"cells": cells}, format="json"
        )
        assert response.status_code == 200, response.content
        body = response.json()
        assert [row["hours"] for row in body["saved"]] == ["6.00"]
        (error,) = body["errors"]
        assert error["date"] == "2026-06-06" and error["field"] == "hours"

    def test_adjustments_are_their_own_lines(self, world):
        with scope(every_dispositif=True, reason="test setup"):
            log = self.make(world, world.a)
        payload = {
            "mission": log.mission_id,
            "expert": log.expert_id,
            "date": str(log.date),
            "hours": "-0.50",
            "reason": "Réunion comptée deux fois.",
            "corrects": log.pk,
        }
        url = action_url("hour-log", "adjust")
        assert api_client_for(world.animateur_b).post(url, payload).status_code in (400, 404)
        response = api_client_for(world.animateur_a).post(url, payload)
        assert response.status_code == 201, response.content
        assert response.json()["kind"] == HourLogKind.ADJUSTMENT
        assert response.json()["corrects"] == log.pk
        assert HourLog.unscoped_objects.get(pk=log.pk).hours == Decimal("2")

    def test_an_edf_expert_cannot_read_or_log_on_a_saint_gobain_mission(self, world):
        """The issue's isolation: another firm's mission is 404 to read and to log on."""
        saint_gobain = world_mission(world, world.b)
        api = api_client_for(world.expert_a)
        world_expert(world)
        assert api.get(reverse("api:mission-detail", args=[saint_gobain.pk])).status_code == 404
        response = api.post(
            reverse("api:hour-log-list"),
            {"mission": saint_gobain.pk, "date": str(a_day()), "hours": "1"},
        )
        assert response.status_code == 400
        assert not HourLog.unscoped_objects.filter(mission=saint_gobain, hours=1).exists()


class TestExpertAPI(AnonymousMixin, ListMixin, RetrieveMixin):
    basename = "expert"
    model = Expert
    readers = frozenset({"coordinator", "animateur", "correspondent"})

    def make(self, world, dispositif):
        firm = world.firm_a if dispositif.pk == world.a.pk else firm_of_b(world)
        return make_expert(firm, phone="06 12 34 56 78")

    def rows(self):
        return Expert.objects.count()

    def test_personal_data_only_for_those_who_manage_and_the_expert(self, world):
        (expert,) = self.make_in(world, world.a)
        own = world_expert(world)
        for user, sees in (
            (world.coordinator, True),
            (world.correspondent_a, True),
            (world.animateur_a, False),
        ):
            body = api_client_for(user).get(reverse("api:expert-detail", args=[expert.pk])).json()
            assert ("email" in body and "phone" in body) == sees, user
        body = api_client_for(world.expert_a).get(reverse("api:expert-detail", args=[own.pk]))
        assert "email" in body.json()
        assert (
            api_client_for(world.expert_a)
            .get(reverse("api:expert-detail", args=[expert.pk]))
            .status_code
            == 404
        )

    def test_the_correspondent_manages_its_firms_experts_only(self, world):
        skill = SkillFactory(name="Achats test", slug="achats-test")
        api = api_client_for(world.correspondent_a)
        payload = {
            "organisation": world.firm_a.pk,
            "first_name": "Inès",
            "last_name": "Martin",
            "email": "ines.martin@example.org",
            "skills": [skill.pk],
            "hours_per_month": 16,
        }
        response = api.post(reverse("api:expert-list"), payload, format="json")
        assert response.status_code == 201, response.content
        created = Expert.objects.get(pk=response.json()["id"])
        assert list(created.skills.all()) == [skill]
        other = payload | {"organisation": firm_of_b(world).pk, "email": "x@example.org"}
        response = api.post(reverse("api:expert-list"), other, format="json")
        assert response.status_code == 400 and "organisation" in response.json()["fields"]
        url = reverse("api:expert-detail", args=[created.pk])
        response = api.patch(url, {"lends_across_territories": True}, format="json")
        assert response.status_code == 200
        assert Expert.objects.get(pk=created.pk).lends_across_territories
        response = api.put(url, payload | {"job_title": "Acheteuse"}, format="json")
        assert response.status_code == 200 and response.json()["job_title"] == "Acheteuse"
        for user in (world.animateur_a, world.expert_a, world.api_client_user):
            assert api_client_for(user).patch(url, {"last_name": "X"}).status_code in (403, 404)
        assert (
            api_client_for(world.correspondent_a)
            .post(reverse("api:expert-list"), payload | {"email": ""}, format="json")
            .status_code
            == 201
        )
        b_expert = Expert.objects.filter(organisation=firm_of_b(world)).first()
        b_url = reverse("api:expert-detail", args=[b_expert.pk])
        assert api.patch(b_url, {"last_name": "X"}).status_code == 404

    def test_invite_gives_an_account_with_the_expert_role(
        self, world, django_capture_on_commit_callbacks
    ):
        (expert,) = self.make_in(world, world.a)
        api = api_client_for(world.correspondent_a)
        url = action_url("expert", "invite", expert.pk)
        assert api_client_for(world.animateur_a).post(url).status_code == 403
        response = api.post(url)
        assert response.status_code == 200, response.content
        assert response.json()["has_account"] is True
        expert.refresh_from_db()
        assert expert.user.email == expert.email
        assert expert.user.role_assignments.get().organisation_id == world.firm_a.pk
        assert not expert.user.has_usable_password()


def test_an_expert_cannot_log_on_another_firms_mission_in_their_own_dispositif(world):
    """EDF and Saint-Gobain both sit in A: the EDF expert reaches A, yet Saint-Gobain's
    mission there is 404 to read and to log on."""
    from alize.accounts.models import Role
    from tests.factories import MembershipFactory, OrganisationFactory, user_with_role

    from .conftest import approved_decision, running_mission

    saint_gobain = OrganisationFactory(name="Saint-Gobain test", kind="large_firm")
    MembershipFactory(dispositif=world.a, organisation=saint_gobain)
    sg_expert = make_expert(
        saint_gobain, user=user_with_role(Role.EXPERT, organisation=saint_gobain)
    )
    mission = running_mission(
        approved_decision(world.a),
        saint_gobain,
        SkillFactory(name="Qualité test", slug="qualite-test"),
        animateur=world.animateur_a,
        correspondent=user_with_role(Role.FIRM_CORRESPONDENT, organisation=saint_gobain),
        experts=[sg_expert],
    )
    world_expert(world)
    edf = api_client_for(world.expert_a)
    assert edf.get(reverse("api:mission-detail", args=[mission.pk])).status_code == 404
    response = edf.post(
        reverse("api:hour-log-list"), {"mission": mission.pk, "date": str(a_day()), "hours": "1"}
    )
    assert response.status_code == 404
    assert not HourLog.unscoped_objects.filter(mission=mission).exists()
