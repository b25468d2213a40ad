"""A PATCH or PUT that touches a field the caller may not change answers 400 naming the
field and changes nothing, on every writable route: the check lives in the serializers'
base (``alize.api.serializers.ModelSerializer``), which every serializer derives from.
Sending back a field's current value (a PUT of what was read) is no change."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework import serializers

from alize.api import serializers as core
from alize.tenancy import project_app_configs, scope
from dispositifs.models import Membership
from loans.models import Advance
from missions.models import HourLog
from partners.models import Expert
from pme.models import Company, JobsFollowUp, Project, Stage
from pme.services import follow_up_record
from tests.conftest import api_client_for
from tests.factories import CompanyFactory, MembershipFactory, ProjectFactory, project_at
from tests.loans.builders import advance_at, approved_decision, make_fund
from tests.missions.conftest import firm_of_b, make_expert, world_expert, world_mission

pytestmark = pytest.mark.django_db

D = Decimal


def every_serializer_class() -> list[type]:
    """The serializer classes of every app's API (``<app>.api.serializers``; the core's
    bases excepted)."""
    classes = []
    for config in project_app_configs():
        if config.name == "alize":
            continue
        try:
            module = importlib.import_module(f"{config.name}.api.serializers")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, serializers.BaseSerializer):
                classes.append(cls)
    return classes


def test_every_serializer_derives_from_the_core_bases():
    classes = every_serializer_class()
    assert len(classes) > 40
    for cls in classes:
        if issubclass(cls, serializers.ModelSerializer):
            assert issubclass(cls, core.ModelSerializer), cls
        else:
            assert issubclass(cls, core.Serializer), cls


def refused_naming(response, *names):
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body["fields"]) == set(names), body
    for name in names:
        assert name in body["fields"][name][0], body
    return body


def snapshot(model, pk, *names):
    with scope(every_dispositif=True, reason="test referee"):
        row = model.objects.get(pk=pk)
        return tuple(getattr(row, name) for name in names)


# The three the outside probe found -------------------------------------------------------


def test_an_advance_keeps_its_status_fund_and_decision(world):
    fund = make_fund(world.a, name="Fonds premier", contributions=(D("100000.00"),))
    other_fund = make_fund(world.a, name="Fonds second", contributions=(D("100000.00"),))
    advance = advance_at("approved", fund)
    other_decision = approved_decision(world.a)
    api = api_client_for(world.animateur_a)
    url = reverse("api:advance-detail", args=[advance.pk])
    fields = ("status", "fund_id", "decision_id", "instalment_count")
    before = snapshot(Advance, advance.pk, *fields)
    for change in (
        {"status": "repaid"},
        {"fund": other_fund.pk},
        {"decision": other_decision.pk},
        {"status": "disbursed", "instalment_count": 24},
    ):
        refused_naming(api.patch(url, change, format="json"), *(set(change) - {"instalment_count"}))
        assert snapshot(Advance, advance.pk, *fields) == before
    current = api.get(url).json()
    put = {name: current[name] for name in ("fund", "decision", "amount", "frequency")}
    put |= {"grace_months": 2, "instalment_count": 12, "status": "written_off"}
    refused_naming(api.put(url, put, format="json"), "status")
    assert snapshot(Advance, advance.pk, *fields) == before
    # The same values sent back are no change: the PUT goes through.
    response = api.put(url, put | {"status": current["status"]}, format="json")
    assert response.status_code == 200, response.content
    assert snapshot(Advance, advance.pk, "grace_months", "instalment_count") == (2, 12)


def test_an_hour_log_keeps_its_date_and_mission(world):
    mission = world_mission(world, world.a)
    other = world_mission(world, world.a)
    api = api_client_for(world.expert_a)
    day = mission.starts_on + dt.timedelta(days=10)
    response = api.post(
        reverse("api:hour-log-list"),
        {"mission": mission.pk, "date": str(day), "hours": "2"},
        format="json",
    )
    assert response.status_code == 201, response.content
    url = reverse("api:hour-log-detail", args=[response.json()["id"]])
    log_id = response.json()["id"]
    fields = ("date", "mission_id", "hours")
    before = snapshot(HourLog, log_id, *fields)
    later = day + dt.timedelta(days=1)
    refused_naming(api.patch(url, {"date": str(later)}, format="json"), "date")
    refused_naming(api.patch(url, {"mission": other.pk, "hours": "3"}, format="json"), "mission")
    refused_naming(
        api.put(url, {"mission": other.pk, "date": str(later), "hours": "3"}, format="json"),
        "mission",
        "date",
    )
    assert snapshot(HourLog, log_id, *fields) == before
    for forbidden in ({"expert": 0}, {"kind": "adjustment"}, {"dispositif": world.b.slug}):
        refused_naming(api.patch(url, forbidden, format="json"), *forbidden)
    assert snapshot(HourLog, log_id, *fields) == before


def test_an_expert_keeps_their_firm(world):
    expert = make_expert(world.firm_a, last_name="Règle")
    api = api_client_for(world.correspondent_a)
    url = reverse("api:expert-detail", args=[expert.pk])
    body = refused_naming(
        api.patch(url, {"organisation": firm_of_b(world).pk}, format="json"), "organisation"
    )
    assert "organisation" in body["message"]
    assert Expert.objects.get(pk=expert.pk).organisation_id == world.firm_a.pk
    refused_naming(api.patch(url, {"has_account": True}, format="json"), "has_account")
    response = api.patch(url, {"organisation": world.firm_a.pk, "job_title": "Qualiticien"})
    assert response.status_code == 200, response.content
    assert Expert.objects.get(pk=expert.pk).job_title == "Qualiticien"


# Every other writable route holds it the same way ---------------------------------------


def test_a_seat_keeps_its_dispositif(world):
    seat = MembershipFactory(dispositif=world.a)
    url = reverse("api:membership-detail", args=[seat.pk])
    response = api_client_for(world.animateur_a).patch(
        url, {"dispositif": world.b.slug}, format="json"
    )
    refused_naming(response, "dispositif")
    assert snapshot(Membership, seat.pk, "dispositif_id") == (world.a.pk,)


def test_a_project_keeps_its_stage_and_company_and_a_company_its_exception(world):
    project = ProjectFactory(company=CompanyFactory(dispositif=world.a))
    api = api_client_for(world.animateur_a)
    url = reverse("api:project-detail", args=[project.pk])
    other = CompanyFactory(dispositif=world.a)
    response = api.patch(url, {"stage": Stage.CLOSED, "company": other.pk}, format="json")
    refused_naming(response, "stage", "company")
    assert snapshot(Project, project.pk, "stage", "company_id") == (
        Stage.REFERRED,
        project.company_id,
    )
    company_url = reverse("api:company-detail", args=[project.company_id])
    response = api.patch(company_url, {"eligibility_exception": True}, format="json")
    refused_naming(response, "eligibility_exception")
    assert snapshot(Company, project.company_id, "eligibility_exception") == (False,)


def test_a_follow_up_keeps_its_project_and_year(world):
    project = project_at(Stage.IN_PROGRESS, dispositif=world.a)
    with scope(every_dispositif=True, reason="test setup"):
        follow_up = follow_up_record(
            project=project,
            year=1,
            headcount=14,
            jobs_created=3,
            jobs_maintained=11,
            source="declared",
            by=None,
        )
    url = reverse("api:follow-up-detail", args=[follow_up.pk])
    response = api_client_for(world.animateur_a).patch(
        url, {"year": 2, "headcount": 20}, format="json"
    )
    refused_naming(response, "year")
    assert snapshot(JobsFollowUp, follow_up.pk, "year", "headcount") == (1, 14)


def test_unknown_keys_stay_ignored_and_the_hour_log_owner_is_not_touched(world):
    """Only fields the serializer knows are checked: an unknown key changes nothing and is
    not an error (as DRF always did); the expert behind an entry stays theirs."""
    world_expert(world)
    mission = world_mission(world, world.a)
    api = api_client_for(world.expert_a)
    created = api.post(
        reverse("api:hour-log-list"),
        {"mission": mission.pk, "date": str(mission.starts_on), "hours": "1"},
        format="json",
    ).json()
    url = reverse("api:hour-log-detail", args=[created["id"]])
    response = api.patch(url, {"hours": "1.5", "colour": "blue"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["expert"] == created["expert"]


@pytest.mark.parametrize("basename", ["fund", "membership", "project", "company", "advance"])
def test_a_put_of_what_was_read_goes_through(world, basename):
    """A client that reads a row, changes one field and sends the whole body back is
    served: every read-only field it returns holds the row's value."""
    fund = make_fund(world.a, name="Fonds relu", contributions=(D("100000.00"),))
    rows = {
        "fund": lambda: fund,
        "membership": lambda: MembershipFactory(dispositif=world.a),
        "project": lambda: ProjectFactory(company=CompanyFactory(dispositif=world.a)),
        "company": lambda: CompanyFactory(dispositif=world.a),
        "advance": lambda: advance_at("approved", fund),
    }
    changes = {
        "fund": {"name": "Fonds relu et renommé"},
        "membership": {"pledged_hours_per_year": 120},
        "project": {"title": "Titre relu"},
        "company": {"name": "Nom relu"},
        "advance": {"grace_months": 4},
    }
    row = rows[basename]()
    api = api_client_for(world.animateur_a)
    url = reverse(f"api:{basename}-detail", args=[row.pk])
    body = api.get(url).json()
    response = api.put(url, body | changes[basename], format="json")
    assert response.status_code == 200, response.content
    (name, value), *_ = changes[basename].items()
    assert response.json()[name] == value
