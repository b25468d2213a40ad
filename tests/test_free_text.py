"""Free text never stores control characters: one validator
(``alize.validators.NoControlCharacters``) is on every text column of the project's models
(so the services' ``full_clean`` refuses it), on every text field of the API's serializers
and of the browser's forms. Line feed, carriage return and tab are kept. The refusal names
the field."""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from alize.forms import FreeTextMixin
from alize.tenancy import project_app_configs, scope
from alize.validators import NoControlCharacters
from committees.models import Committee
from loans.models import Fund
from missions import services as mission_services
from missions.models import MissionStatus, SkillMission
from pme.models import Company
from tests.api_base import count_rows
from tests.clock import TODAY
from tests.conftest import api_client_for
from tests.factories import CommitteeFactory, SkillFactory
from tests.missions.conftest import approved_decision
from tests.pme.test_views import COMPANY_POST

pytestmark = pytest.mark.django_db

CONTROLS = ["\u0003", "\u0007", "\u000b", "\u000c", "\u001b", "\u007f", "\u0085"]


@pytest.mark.parametrize("control", CONTROLS)
def test_the_api_refuses_a_fund_name_with_a_control_character(world, control):
    before = count_rows(Fund)
    with translation.override("fr"):
        response = api_client_for(world.animateur_a).post(
            reverse("api:fund-list"),
            {"dispositif": world.a.slug, "name": f"Fonds{control} d'avances"},
            format="json",
        )
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["fields"]) == ["name"]
    assert "nom" in body["message"] and "contrôle" in body["message"]
    assert count_rows(Fund) == before


def test_newline_carriage_return_and_tab_are_kept(world):
    committee = CommitteeFactory(dispositif=world.a)
    minutes = "Présents :\r\n\t- CCI\n\t- Région\nDécisions en annexe."
    response = api_client_for(world.animateur_a).patch(
        reverse("api:committee-detail", args=[committee.pk]), {"minutes": minutes}, format="json"
    )
    assert response.status_code == 200, response.content
    assert Committee.unscoped_objects.get(pk=committee.pk).minutes == minutes
    response = api_client_for(world.animateur_a).patch(
        reverse("api:committee-detail", args=[committee.pk]),
        {"minutes": "Présents :\u0008 CCI"},
        format="json",
    )
    assert response.status_code == 400 and list(response.json()["fields"]) == ["minutes"]
    assert Committee.unscoped_objects.get(pk=committee.pk).minutes == minutes


def proposed_mission(world) -> SkillMission:
    skill = SkillFactory(name="Qualité texte", slug="qualite-texte")
    with scope(every_dispositif=True, reason="test setup"):
        return mission_services.mission_create(
            decision=approved_decision(world.a, missions=1),
            firm=world.firm_a,
            skill=skill,
            objective="Structurer la démarche qualité.",
            planned_hours=Decimal("20"),
            starts_on=TODAY,
            ends_on=TODAY + dt.timedelta(days=30),
            by=world.animateur_a,
        )


def test_an_action_parameter_holds_it_too(world):
    """A reason given to an action (not a column of the serializer's model) is refused."""
    mission = proposed_mission(world)
    response = api_client_for(world.correspondent_a).post(
        reverse("api:mission-decline", args=[mission.pk]),
        {"reason": "Personne de libre\u001b[31m avant mars."},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == ["reason"]
    assert SkillMission.unscoped_objects.get(pk=mission.pk).status == MissionStatus.PROPOSED


def test_the_browser_forms_refuse_it_on_the_field(world, client):
    client.force_login(world.animateur_a)
    before = count_rows(Company)
    with translation.override("fr"):
        response = client.post(
            reverse("pme:company-create"), COMPANY_POST | {"name": "Forges\u0003 de l'Escaut"}
        )
    assert response.status_code in (200, 400)
    errors = response.context["form"].errors
    assert list(errors) == ["name"] and "contrôle" in errors["name"][0]
    assert count_rows(Company) == before
    mission = proposed_mission(world)
    client.force_login(world.correspondent_a)
    response = client.post(
        reverse("missions:answer", args=[mission.pk]),
        {"answer": "decline", "reason": "Personne de libre\u0007 avant mars."},
    )
    assert response.status_code == 400
    assert 'data-field="reason"' in response.content.decode()
    assert SkillMission.unscoped_objects.get(pk=mission.pk).status == MissionStatus.PROPOSED


def test_the_services_refuse_it_through_full_clean(world):
    """Whatever the door (an admin page, a command, an import), ``full_clean`` refuses it."""
    with scope([world.a.pk]):
        fund = Fund(dispositif=world.a, name="Fonds\u0003")
        with pytest.raises(ValidationError) as refused:
            fund.full_clean()
    assert list(refused.value.message_dict) == ["name"]


def test_the_validator_names_the_field_and_keeps_line_breaks():
    check = NoControlCharacters(label="motif")
    check("Ligne 1\nLigne 2\r\n\tfin")
    with translation.override("fr"), pytest.raises(ValidationError) as refused:
        check("a\u0003b")
    assert "« motif »" in refused.value.messages[0] and "U+0003" in refused.value.messages[0]
    assert NoControlCharacters(label="motif") == NoControlCharacters(label="motif")


def test_every_form_of_the_apps_derives_from_the_core_bases():
    """The apps' forms (``<app>.forms``) derive from ``alize.forms.Form`` or ``ModelForm``,
    so a new form cannot forget the check (sign-in forms, in the core, hold passwords)."""
    found = []
    for config in project_app_configs():
        if config.name.split(".")[0] == "alize":
            continue
        try:
            module = importlib.import_module(f"{config.name}.forms")
        except ModuleNotFoundError:
            continue
        for _name, cls in inspect.getmembers(module, inspect.isclass):
            if cls.__module__ == module.__name__ and issubclass(cls, forms.BaseForm):
                found.append(cls)
                assert issubclass(cls, FreeTextMixin), cls
    assert len(found) > 20
