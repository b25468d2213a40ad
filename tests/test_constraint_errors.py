"""API writes that break a model check constraint answer 400 on the field at fault, never
an IntegrityError (500), and store nothing."""

import datetime as dt
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import CheckConstraint
from django.urls import reverse

from alize.constraints import FieldCheckConstraint
from alize.tenancy import scope
from dispositifs.models import Dispositif, Membership
from partners.models import Organisation
from tests.conftest import api_client_for
from tests.factories import MembershipFactory, OrganisationFactory


def assert_field_error(response, field, code):
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["fields"]) == [field], body
    assert body["fields"][field][0]
    assert body["code"] == "invalid"
    return body


class TestMembership:
    def payload(self, world, organisation, **overrides):
        return {
            "dispositif": world.a.slug,
            "organisation": organisation.pk,
            "kind": "partner_firm",
            "joined_on": "2024-05-01",
            "left_on": "2024-04-30",
            "pledged_hours_per_year": 10,
        } | overrides

    def test_create_left_before_joined(self, world):
        firm = OrganisationFactory()
        api = api_client_for(world.animateur_a)
        response = api.post(reverse("api:membership-list"), self.payload(world, firm))
        assert_field_error(response, "left_on", "invalid")
        with scope(every_dispositif=True, reason="test referee"):
            assert not Membership.objects.filter(organisation=firm).exists()

    def test_update_left_before_joined(self, world):
        seat = MembershipFactory(dispositif=world.a, joined_on=dt.date(2024, 5, 1))
        api = api_client_for(world.animateur_a)
        url = reverse("api:membership-detail", args=[seat.pk])
        response = api.patch(url, {"left_on": "2024-01-01"}, format="json")
        assert_field_error(response, "left_on", "invalid")
        with scope(every_dispositif=True, reason="test referee"):
            assert Membership.objects.get(pk=seat.pk).left_on is None

    def test_valid_update_is_stored(self, world):
        seat = MembershipFactory(dispositif=world.a, joined_on=dt.date(2024, 5, 1))
        api = api_client_for(world.animateur_a)
        url = reverse("api:membership-detail", args=[seat.pk])
        response = api.patch(url, {"left_on": "2025-01-31"}, format="json")
        assert response.status_code == 200, response.content
        with scope(every_dispositif=True, reason="test referee"):
            assert Membership.objects.get(pk=seat.pk).left_on == dt.date(2025, 1, 31)


class TestDispositif:
    @pytest.mark.parametrize("years", [11, 99])
    def test_follow_up_years_over_ten_on_update(self, world, years):
        api = api_client_for(world.coordinator)
        url = reverse("api:dispositif-detail", args=[world.a.pk])
        response = api.patch(url, {"follow_up_years": years}, format="json")
        assert_field_error(response, "follow_up_years", "invalid")
        with scope(every_dispositif=True, reason="test referee"):
            assert Dispositif.objects.get(pk=world.a.pk).follow_up_years == 3

    def test_follow_up_years_over_ten_on_create(self, world):
        api = api_client_for(world.coordinator)
        payload = {
            "name": "Alizé Nouveau",
            "slug": "nouveau",
            "region": "32",
            "departements": ["59"],
            "perimeter": ["59606"],
            "follow_up_years": 11,
        }
        response = api.post(reverse("api:dispositif-list"), payload, format="json")
        assert_field_error(response, "follow_up_years", "invalid")
        with scope(every_dispositif=True, reason="test referee"):
            assert not Dispositif.objects.filter(slug="nouveau").exists()
        payload["follow_up_years"] = 10
        response = api.post(reverse("api:dispositif-list"), payload, format="json")
        assert response.status_code == 201, response.content
        with scope(every_dispositif=True, reason="test referee"):
            assert Dispositif.objects.get(slug="nouveau").follow_up_years == 10


class TestOrganisation:
    def test_public_level_on_a_firm_on_create(self, world):
        api = api_client_for(world.coordinator)
        payload = {"name": "EDF test", "slug": "edf-test", "kind": "large_firm"}
        response = api.post(
            reverse("api:organisation-list"), payload | {"public_level": "region"}, format="json"
        )
        assert_field_error(response, "public_level", "invalid")
        assert not Organisation.objects.filter(slug="edf-test").exists()
        response = api.post(reverse("api:organisation-list"), payload, format="json")
        assert response.status_code == 201, response.content

    def test_kind_changed_under_a_public_level(self, world):
        body = world.member_organisation_a
        api = api_client_for(world.coordinator)
        url = reverse("api:organisation-detail", args=[body.pk])
        response = api.patch(url, {"kind": "large_firm"}, format="json")
        assert_field_error(response, "public_level", "invalid")
        assert Organisation.objects.get(pk=body.pk).kind == "public_body"


# Constraints whose violation the services refuse earlier with their own field error; they
# keep Django's generic message until their models get the same treatment.
GENERIC_MESSAGE_ALLOWED = {
    "role_scope_matches_role": "role assignments are written by accounts services only",
    "commitment_amount_positive": "commitment_record refuses the amount on its field",
    "decision_advance_only_when_approved": "committee_record_decision refuses it by field",
    "decision_missions_only_when_approved": "committee_record_decision refuses it by field",
    "document_scope_shape": "document_request derives the scope's dispositif or firm itself",
    "document_progress_percent": "progress is written by the job runner only, never from input",
    "document_done_has_file": "the job runner marks a document done only with its file",
}


def project_check_constraints():
    root = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if root not in path.parents or ".venv" in path.parts:
            continue
        for model in config.get_models():
            for constraint in model._meta.constraints:
                if isinstance(constraint, CheckConstraint):
                    yield model, constraint


def test_every_check_constraint_names_its_field_or_has_a_message():
    """A constraint broken by input must come back as a readable error, never a 500 or
    Django's « Constraint “…” is violated. »."""
    found = list(project_check_constraints())
    assert len(found) >= 8
    generic = {
        constraint.name
        for model, constraint in found
        if not isinstance(constraint, FieldCheckConstraint)
        and constraint.violation_error_message == constraint.default_violation_error_message
    }
    assert generic <= set(GENERIC_MESSAGE_ALLOWED), sorted(generic - set(GENERIC_MESSAGE_ALLOWED))
    assert set(GENERIC_MESSAGE_ALLOWED) <= {c.name for _, c in found}
