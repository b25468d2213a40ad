"""Every API error answers the one shape ``{"message", "code", "fields", "extra"}``."""

from django.urls import reverse
from rest_framework import exceptions
from rest_framework.test import APIClient, APIRequestFactory

from alize.api.exceptions import exception_handler
from alize.errors import ApplicationError, ConflictError
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
