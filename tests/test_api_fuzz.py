"""OpenAPI schema fuzzing: generated requests to every API operation never cause a 500.

Bad input must come back as a 4xx naming the field; a crash is a bug. Requests carry the
token of dispositif A's animateur, so writes really reach the services.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from alize.wsgi import application
from tests.factories import MembershipFactory, OrganisationFactory, project_at


@pytest.fixture
def api_schema(token):
    # Like Django's test client: the WSGI handler must not close the test's connection
    # (and with it the transaction that holds the test data) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        # The schema is served to signed-in users and token holders only.
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/", application, headers={"Authorization": f"Token {token}"}
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token(world):
    firm = OrganisationFactory(kind="large_firm")
    MembershipFactory(dispositif=world.a, organisation=firm)
    project_at("approved", dispositif=world.a)
    project_at("in_instruction", dispositif=world.a)
    return Token.objects.create(user=world.animateur_a).key


def test_no_operation_answers_a_server_error(api_schema, token):
    headers = {"Authorization": f"Token {token}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 40

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=8,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case):
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        fuzz()


def test_nul_characters_are_refused_before_any_view(world, client):
    from django.urls import reverse

    from pme.models import Company
    from tests.conftest import api_client_for

    api = api_client_for(world.animateur_a)
    payload = {"dispositif": world.a.slug, "siren": "552081317", "name": "Nul\u0000SA"}
    response = api.post(reverse("api:company-list"), payload, format="json")
    assert response.status_code == 400
    assert api.get(reverse("api:company-list"), {"q": "a\x00b"}).status_code == 400
    client.force_login(world.animateur_a)
    response = client.post(reverse("pme:company-create"), {"name": "Nul\x00SA"})
    assert response.status_code == 400
    assert Company.unscoped_objects.count() == 0
