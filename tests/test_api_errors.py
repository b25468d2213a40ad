"""Every API error answers the one shape ``{"message", "code", "fields", "extra"}``, and
service errors land on browser forms through one mapping."""

import psycopg.errors
import pytest
from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from rest_framework import exceptions
from rest_framework.test import APIClient, APIRequestFactory

from alize.api.exceptions import exception_handler
from alize.errors import (
    ApplicationError,
    ConflictError,
    apply_service_error,
    service_error_text,
)
from alize.web import ServiceCall
from tests.conftest import api_client_for
from tests.factories import CompanyFactory

SHAPE = {"message", "code", "fields", "extra"}


def assert_shape(response, status, code):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == SHAPE, body
    assert body["code"] == code, body
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["fields"], dict)
    return body


def test_400_names_the_fields(world):
    api = api_client_for(world.animateur_a)
    response = api.post(reverse("api:company-list"), {"dispositif": world.a.slug}, format="json")
    body = assert_shape(response, 400, "invalid")
    assert {"siren", "name"} <= set(body["fields"])
    assert all(isinstance(m, str) for messages in body["fields"].values() for m in messages)
    assert body["message"] == "Données invalides."


def test_a_single_error_is_also_the_message(world):
    api = api_client_for(world.animateur_a)
    url = reverse("api:membership-list")
    payload = {"dispositif": world.a.slug, "organisation": 0, "kind": "partner_firm"}
    response = api.post(url, payload, format="json")
    body = assert_shape(response, 400, "invalid")
    assert list(body["fields"]) == ["organisation"]
    assert body["message"] == body["fields"]["organisation"][0]


def test_400_from_a_malformed_body(world):
    api = api_client_for(world.animateur_a)
    response = api.post(reverse("api:company-list"), "{not json", content_type="application/json")
    assert_shape(response, 400, "parse_error")


def test_401_for_a_bad_token(db):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    response = api.get(reverse("api:company-list"))
    assert_shape(response, 401, "authentication_failed")
    assert response["WWW-Authenticate"]


def test_401_for_anonymous(db):
    assert_shape(APIClient().get(reverse("api:company-list")), 401, "not_authenticated")


def test_403_for_an_api_client_writing(world):
    api = api_client_for(world.api_client_user)
    response = api.post(reverse("api:company-list"), {"dispositif": world.a.slug}, format="json")
    assert_shape(response, 403, "permission_denied")


def test_404_outside_the_scope(world):
    company = CompanyFactory(dispositif=world.b)
    api = api_client_for(world.animateur_a)
    assert_shape(api.get(reverse("api:company-detail", args=[company.pk])), 404, "not_found")


def test_405_on_an_unsupported_method(world):
    api = api_client_for(world.animateur_a)
    response = api.put(reverse("api:company-list"), {}, format="json")
    assert_shape(response, 405, "method_not_allowed")


def test_application_error_keeps_its_field_code_and_extra():
    error = ApplicationError("Refusé.", field="amount", code="too_high", extra={"max": "15000"})
    response = exception_handler(error, {})
    assert response.status_code == 400
    assert response.data == {
        "message": "Refusé.",
        "code": "too_high",
        "fields": {"amount": ["Refusé."]},
        "extra": {"max": "15000"},
    }


def test_conflict_answers_409():
    response = exception_handler(ConflictError("Déjà pris.", field="project"), {})
    assert response.status_code == 409
    assert response.data["code"] == "conflict"
    assert response.data["fields"] == {"project": ["Déjà pris."]}


def test_429_keeps_retry_after():
    request = APIRequestFactory().get("/api/v1/companies/")
    response = exception_handler(exceptions.Throttled(wait=42), {"request": request})
    assert response.status_code == 429
    assert response.data["code"] == "throttled"
    assert response["Retry-After"] == "42"


def test_nested_errors_are_flattened_to_dotted_names():
    error = exceptions.ValidationError({"lines": [{}, {"amount": ["Trop élevé."]}]})
    response = exception_handler(error, {})
    assert response.data["fields"] == {"lines.1.amount": ["Trop élevé."]}
    assert response.data["code"] == "invalid"


class TwoFieldForm(forms.Form):
    siren = forms.CharField(required=False)
    name = forms.CharField(required=False)


def bound_form():
    form = TwoFieldForm(data={})
    assert form.is_valid()
    return form


def test_service_error_lands_on_its_field_or_on_the_form():
    form = bound_form()
    apply_service_error(form, ApplicationError("SIREN pris.", field="siren"))
    apply_service_error(form, ApplicationError("Ailleurs.", field="outcome"))
    assert form.errors == {"siren": ["SIREN pris."], "__all__": ["Ailleurs."]}


def test_django_validation_errors_keep_every_message():
    form = bound_form()
    error = ValidationError(
        {"name": ["Trop court.", "Interdit."], NON_FIELD_ERRORS: ["Global."], "other": ["Loin."]}
    )
    apply_service_error(form, error)
    assert form.errors == {"name": ["Trop court.", "Interdit."], "__all__": ["Global.", "Loin."]}
    form = bound_form()
    apply_service_error(form, ValidationError(["Un.", "Deux."]))
    assert form.errors == {"__all__": ["Un.", "Deux."]}
    assert service_error_text(ValidationError(["Un.", "Deux."])) == "Un. Deux."


def test_service_call_puts_a_refusal_on_the_form_once():
    form = bound_form()
    with ServiceCall(form) as call:
        raise ApplicationError("SIREN pris.", field="siren")
    assert call.refused
    assert form.errors == {"siren": ["SIREN pris."]}
    assert call.message == "SIREN pris."
    with ServiceCall() as call:
        raise ValidationError({"name": ["Trop court."], NON_FIELD_ERRORS: ["Global."]})
    assert call.refused and call.message == "Trop court. Global."


def test_service_call_lets_success_and_other_errors_through():
    form = bound_form()
    with ServiceCall(form) as call:
        pass
    assert not call.refused and call.error is None and form.errors == {}
    with pytest.raises(Http404), ServiceCall(form):
        raise Http404
    assert form.errors == {}


def test_a_unique_violation_that_escapes_the_services_is_a_409(db):
    try:
        raise IntegrityError("duplicate key") from psycopg.errors.UniqueViolation("duplicate key")
    except IntegrityError as error:
        with transaction.atomic():
            response = exception_handler(error, {})
            assert transaction.get_rollback()
    assert response.status_code == 409
    assert response.data["code"] == "conflict" and response.data["message"]


def test_other_integrity_errors_stay_server_errors():
    try:
        raise IntegrityError("check") from psycopg.errors.CheckViolation("check")
    except IntegrityError as error:
        assert exception_handler(error, {}) is None


def test_an_application_error_rolls_the_request_back(db):
    with transaction.atomic():
        exception_handler(ApplicationError("Refusé."), {})
        assert transaction.get_rollback()


def test_an_unknown_api_address_answers_404_in_the_error_shape(world, settings):
    settings.DEBUG = False
    api = api_client_for(world.animateur_a)
    response = api.get("/api/v1/projects/1/no-such-action/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"message", "code", "fields", "extra"} and body["code"] == "not_found"
