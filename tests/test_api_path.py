"""The API's token requests (alize/api/middleware.py, docs/decisions/0018): a shorter chain
that keeps the security headers, the NUL-byte guard, the log context and the scope, never
touches a session, counts its throttles in one round trip to Redis, and leaves a session's
API call on the web's chain."""

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse

from alize.api.middleware import is_token_api_request
from tests.conftest import api_client_for
from tests.test_security import redis_cache  # noqa: F401 (fixture)


@pytest.fixture
def url():
    return reverse("api:company-list")


def test_a_token_request_keeps_the_security_headers_and_touches_no_session(world, url):
    response = api_client_for(world.animateur_a).get(url, HTTP_X_REQUEST_ID="bench-1234abcd")
    assert response.status_code == 200
    assert response["X-Request-ID"] == "bench-1234abcd"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response
    assert "Cookie" not in response.get("Vary", "")
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    assert settings.CSRF_COOKIE_NAME not in response.cookies


def test_a_token_request_with_a_nul_byte_is_refused(world, url):
    response = api_client_for(world.animateur_a).get(url + "?q=a%00b")
    assert response.status_code == 400
    assert response.json()["code"] == "nul_character"


def test_a_session_s_api_call_still_works(world, client, url):
    client.force_login(world.animateur_a)
    response = client.get(url)
    assert response.status_code == 200
    assert "Cookie" in response.get("Vary", "")


def test_which_requests_take_the_api_chain(rf):
    token = {"HTTP_AUTHORIZATION": "Token abc"}
    assert is_token_api_request(rf.get("/api/v1/companies/", **token))
    assert is_token_api_request(rf.get("/api/v1/companies/", HTTP_AUTHORIZATION="token abc"))
    assert not is_token_api_request(rf.get("/api/v1/companies/"))
    assert not is_token_api_request(rf.get("/api/v1/companies/", HTTP_AUTHORIZATION="Basic x"))
    assert not is_token_api_request(rf.get("/pme/entreprises/", **token))


def test_a_request_s_throttles_cost_one_round_trip(world, url, redis_cache):  # noqa: F811
    """The caller's rate and the token identity's lock: one Lua script, nothing else."""
    import redis

    commands = []
    original = redis.Redis.execute_command

    def counting(self, *args, **options):
        commands.append(args[0])
        return original(self, *args, **options)

    api = api_client_for(world.animateur_a)
    with override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                "user": "2/min",
            },
        }
    ):
        redis.Redis.execute_command = counting
        try:
            assert api.get(url).status_code == 200
        finally:
            redis.Redis.execute_command = original
        assert commands == ["EVAL"]
        assert api.get(url).status_code == 200
        refused = api.get(url)
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 60


def test_a_page_without_filters_builds_no_filterset(world, url, monkeypatch):
    """Only the paginator's parameters: the filterset is not built, and the answer is the
    one django-filter's own backend gives; a filter's parameter still builds it."""
    from django_filters.rest_framework import DjangoFilterBackend

    client = api_client_for(world.animateur_a)
    built = []
    original = DjangoFilterBackend.get_filterset

    def counting(self, request, queryset, view):
        built.append(view)
        return original(self, request, queryset, view)

    monkeypatch.setattr(DjangoFilterBackend, "get_filterset", counting)
    lean = client.get(url + "?page_size=2")
    assert lean.status_code == 200 and built == []
    from pme.api.views import CompanyViewSet

    backends = [DjangoFilterBackend, *CompanyViewSet.filter_backends[1:]]
    monkeypatch.setattr(CompanyViewSet, "filter_backends", backends)
    plain = client.get(url + "?page_size=2")
    monkeypatch.undo()
    monkeypatch.setattr(DjangoFilterBackend, "get_filterset", counting)
    assert plain.content == lean.content and len(built) == 1
    built.clear()
    filtered = client.get(url + "?page_size=2&dispositif=" + world.a.slug)
    assert filtered.status_code == 200 and len(built) == 1
    assert client.get(url + "?created_after=not-a-date").status_code == 400


def test_a_token_its_user_and_their_roles_are_one_query(world, url):
    """The token, its user and the user's role assignments come in one query, the same
    assignments the access policy would read; the list then costs its own query."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.authtoken.models import Token

    from alize.accounts.roles import token_owner

    user = world.animateur_a
    key = Token.objects.get_or_create(user=user)[0].key
    found_user, token = token_owner(key)
    assert (found_user.pk, token.key, token.user_id) == (user.pk, key, user.pk)
    expected = list(user.role_assignments.order_by("id"))
    held = found_user._alize_assignments
    assert [(a.pk, a.role, a.dispositif_id, a.organisation_id, a.region) for a in held] == [
        (a.pk, a.role, a.dispositif_id, a.organisation_id, a.region) for a in expected
    ]
    assert all(a.user is found_user for a in held)
    assert token_owner(key[:-1] + ("0" if key[-1] != "0" else "1")) is None

    client = api_client_for(user)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    tables = [q["sql"] for q in queries.captured_queries]
    assert any("authtoken_token" in sql and "accounts_roleassignment" in sql for sql in tables)
    assert not any(
        "accounts_roleassignment" in sql and "authtoken_token" not in sql for sql in tables
    )


def test_a_role_given_or_a_user_deactivated_counts_at_the_next_request(world, url):
    from rest_framework.test import APIClient

    from alize.accounts.models import Role
    from tests.factories import CompanyFactory, RoleAssignmentFactory, UserFactory

    CompanyFactory(dispositif=world.a)
    user = UserFactory()
    client = api_client_for(user)
    assert client.get(url).json()["results"] == []
    RoleAssignmentFactory(user=user, role=Role.ANIMATEUR, dispositif=world.a)
    assert client.get(url).json()["results"]
    user.is_active = False
    user.save()
    response = client.get(url)
    assert response.status_code == 401
    assert APIClient().get(url, HTTP_AUTHORIZATION="Token nope").status_code == 401
