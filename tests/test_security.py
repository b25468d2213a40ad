"""Hardening: lockout per address and IP, API throttling, bounded JSON and date-time input,
CSP, private caching, schema access, idle timeout and password change."""

import re
from datetime import timedelta
from pathlib import Path

import django_filters
import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import get_resolver, reverse
from rest_framework.settings import api_settings
from rest_framework.test import APIClient

from alize.accounts.models import LoginFailure
from alize.accounts.tasks import purge_login_failures
from alize.filters import BoundedDateTimeField
from tests.clock import NOW
from tests.conftest import api_client_for
from tests.factories import UserFactory

ATTACKER = "203.0.113.66"
VICTIM = "198.51.100.7"
PASSWORD = "secret-password"


def login(client, email, password, ip):
    return client.post(reverse("login"), {"email": email, "password": password}, REMOTE_ADDR=ip)


def logged_in(client):
    return "_auth_user_id" in client.session


# --- Finding 4: lockout per (address, IP), limit per IP, clean-up -------------------------


def test_victim_still_logs_in_from_another_ip_while_the_attacker_ip_is_locked(world, client):
    email = world.coordinator.email
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert login(client, email, "wrong", ATTACKER).status_code == 400
    locked = login(client, email, PASSWORD, ATTACKER)
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(settings.LOGIN_FAILURE_WINDOW.total_seconds()))
    assert "Trop de tentatives échouées : réessayez dans 15 minutes." in locked.content.decode()
    assert not logged_in(client)

    assert login(client, email, PASSWORD, VICTIM).status_code == 302
    assert logged_in(client)


def test_lock_lifts_after_the_cool_off(world, client, time_machine):
    email = world.coordinator.email
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        login(client, email, "wrong", ATTACKER)
    assert login(client, email, PASSWORD, ATTACKER).status_code == 429
    time_machine.shift(settings.LOGIN_FAILURE_WINDOW)
    assert login(client, email, PASSWORD, ATTACKER).status_code == 302


def test_one_ip_spraying_many_accounts_is_slowed_but_its_valid_logins_are_served(world, client):
    for n in range(settings.LOGIN_FAILURE_IP_LIMIT):
        assert login(client, f"sprayed-{n}@example.org", "wrong", ATTACKER).status_code == 400
    # Past the IP's limit, each failure answers 429 with a delay that grows...
    first = login(client, "sprayed-a@example.org", "wrong", ATTACKER)
    second = login(client, "sprayed-b@example.org", "wrong", ATTACKER)
    assert (first.status_code, first["Retry-After"]) == (429, "1")
    assert (second.status_code, second["Retry-After"]) == (429, "2")
    # ...while a real account with its right password is served from the spraying IP.
    response = login(client, world.animateur_a.email, PASSWORD, ATTACKER)
    assert response.status_code == 302
    assert logged_in(client)
    assert not LoginFailure.objects.filter(email=world.animateur_a.email).exists()


def test_success_clears_only_the_failures_of_that_address_and_ip(world, client):
    email = world.animateur_a.email
    login(client, email, "wrong", ATTACKER)
    login(client, email, "wrong", VICTIM)
    assert login(client, email, PASSWORD, VICTIM).status_code == 302
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == [ATTACKER]


@override_settings(TRUSTED_PROXY_COUNT=1)
def test_behind_the_proxy_the_client_ip_comes_from_x_forwarded_for(world, client):
    email = world.coordinator.email
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(
            reverse("login"),
            {"email": email, "password": "wrong"},
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR=f"1.2.3.4, {ATTACKER}",
        )
    assert set(LoginFailure.objects.values_list("ip", flat=True)) == {ATTACKER}
    response = client.post(
        reverse("login"),
        {"email": email, "password": PASSWORD},
        REMOTE_ADDR="10.0.0.2",
        HTTP_X_FORWARDED_FOR=VICTIM,
    )
    assert response.status_code == 302


def test_without_a_trusted_proxy_x_forwarded_for_is_ignored(world, client):
    client.post(
        reverse("login"),
        {"email": world.coordinator.email, "password": "wrong"},
        REMOTE_ADDR=ATTACKER,
        HTTP_X_FORWARDED_FOR=VICTIM,
    )
    assert list(LoginFailure.objects.values_list("ip", flat=True)) == [ATTACKER]


def test_clean_up_removes_old_failures_and_keeps_recent_ones(db):
    old = LoginFailure.objects.create(email="a@example.org", ip=ATTACKER)
    LoginFailure.objects.filter(pk=old.pk).update(
        at=NOW - settings.LOGIN_FAILURE_RETENTION - timedelta(minutes=1)
    )
    recent = LoginFailure.objects.create(email="b@example.org", ip=ATTACKER)
    assert purge_login_failures.apply().get() == 1
    assert list(LoginFailure.objects.values_list("pk", flat=True)) == [recent.pk]


def test_clean_up_is_scheduled_by_beat():
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert purge_login_failures.name in tasks


# --- Finding 4: API throttling through Redis ----------------------------------------------

REDIS_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": settings.REDIS_URL,
        "KEY_PREFIX": "alize-test-throttle",
    }
}


def rates(**overrides):
    return {**api_settings.DEFAULT_THROTTLE_RATES, **overrides}


@pytest.fixture
def redis_cache():
    """The real Redis as the Django cache, emptied of this test's keys before and after."""
    from django.core.cache import cache

    with override_settings(CACHES=REDIS_CACHE):
        cache.clear()
        yield cache
        cache.clear()


def test_bad_tokens_get_429_with_retry_after_through_redis(world, redis_cache):
    limit = 3
    with override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": rates(token_failure=f"{limit}/hour"),
        }
    ):
        attacker = APIClient(REMOTE_ADDR=ATTACKER)
        attacker.credentials(HTTP_AUTHORIZATION="Token " + "0" * 40)
        url = reverse("api:company-list")
        for _ in range(limit):
            assert attacker.get(url).status_code == 401
        refused = attacker.get(url)
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 3600
        assert any(key.startswith("alize-test-throttle") for key in _redis_keys())

        # A valid token is served from anywhere, the attacker's IP included.
        good = api_client_for(world.animateur_a)
        assert good.get(url, REMOTE_ADDR=VICTIM).status_code == 200
        assert good.get(url, REMOTE_ADDR=ATTACKER).status_code == 200


def _redis_keys():
    import redis

    return [k.decode() for k in redis.Redis.from_url(settings.REDIS_URL).keys("*")]


def test_api_clients_are_throttled_with_retry_after(world, redis_cache):
    with override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": rates(user="2/min"),
        }
    ):
        regional = api_client_for(world.api_client_user)
        url = reverse("api:dispositif-list")
        assert regional.get(url).status_code == 200
        assert regional.get(url).status_code == 200
        refused = regional.get(url)
        assert refused.status_code == 429
        assert 0 < int(refused["Retry-After"]) <= 60
        assert api_client_for(world.animateur_a).get(url).status_code == 200


def test_production_rates_are_set_for_every_throttle():
    from alize.settings import base

    configured = base.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    assert set(configured) == {"anon", "user", "token_failure"}
    assert (
        "alize.api.throttling.ThrottledTokenAuthentication"
        in (base.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"])
    )


# --- Finding 5: JSON depth and size, date-time offsets ------------------------------------


def test_deeply_nested_json_answers_400(world, api_a):
    body = "[" * 100_000 + "]" * 100_000
    response = api_a.post(reverse("api:company-list"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert "32" in response.content.decode()


def test_brackets_inside_strings_do_not_count_as_depth(world, api_a):
    name = "[" * 200 + "{"
    response = api_a.post(
        reverse("api:company-list"),
        data=f'{{"name": "{name}", "siren": "x"}}',
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "imbriqué" not in response.content.decode()
    assert "siren" in response.json()["fields"]


@override_settings(API_JSON_MAX_BYTES=1000)
def test_oversized_json_answers_400(world, api_a):
    body = '{"name": "%s"}' % ("x" * 2000)
    response = api_a.post(reverse("api:company-list"), data=body, content_type="application/json")
    assert response.status_code == 400
    assert "1000" in response.content.decode()


def test_json_parser_is_the_default():
    assert api_settings.DEFAULT_PARSER_CLASSES[0].__name__ == "BoundedJSONParser"


@pytest.mark.parametrize("offset", ["+16:45", "-14:30", "+23:59"])
def test_datetime_filter_with_an_impossible_offset_answers_400(world, api_a, offset):
    response = api_a.get(
        reverse("api:stage-transition-list"), {"after": f"2024-01-01T00:00:00{offset}"}
    )
    assert response.status_code == 400
    assert "after" in response.json()["fields"]


@pytest.mark.parametrize("offset", ["+14:00", "-12:00", "Z", ""])
def test_datetime_filter_accepts_real_offsets(world, api_a, offset):
    response = api_a.get(
        reverse("api:stage-transition-list"), {"before": f"2024-01-01T00:00:00{offset}"}
    )
    assert response.status_code == 200


def _all_filtersets():
    get_resolver().url_patterns  # import every view, hence every FilterSet
    seen, pending = set(), [django_filters.FilterSet]
    while pending:
        for sub in pending.pop().__subclasses__():
            if sub not in seen:
                seen.add(sub)
                pending.append(sub)
    return seen


def test_every_datetime_filter_bounds_its_offset():
    """Guard rail: a new date-time filter must use ``alize.filters.BoundedDateTimeFilter``."""
    unbounded = [
        f"{fs.__module__}.{fs.__name__}.{name}"
        for fs in _all_filtersets()
        for name, flt in fs.base_filters.items()
        if issubclass(flt.field_class, django_filters.fields.forms.DateTimeField)
        and not issubclass(flt.field_class, BoundedDateTimeField)
    ]
    assert len(_all_filtersets()) > 5
    assert unbounded == []


# --- Finding 10: CSP, caching, schema, idle timeout, password change ---------------------

TEMPLATES = Path(settings.BASE_DIR) / "templates"


def test_templates_hold_no_inline_script_or_event_handler():
    """Guard rail: scripts and style sheets come from static files only (the CSP forbids
    inline ones)."""
    inline_script = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
    handler = re.compile(r"\son[a-z]+\s*=", re.IGNORECASE)
    javascript_url = re.compile(r"javascript:|<style", re.IGNORECASE)
    offending = [
        str(path.relative_to(TEMPLATES))
        for path in TEMPLATES.rglob("*.html")
        for text in [path.read_text()]
        if inline_script.search(text) or handler.search(text) or javascript_url.search(text)
    ]
    assert offending == []


def test_pages_carry_a_csp_without_inline_script(world, web_a):
    policy = web_a.get(reverse("home"))["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert directives["default-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "'unsafe-inline'" not in directives["style-src"]


def test_signed_in_pages_and_api_responses_are_private_and_not_stored(world, web_a, api_a):
    page = web_a.get(reverse("home"))
    api = api_a.get(reverse("api:company-list"))
    anonymous_api = APIClient().get(reverse("api:company-list"))
    for response in (page, api, anonymous_api):
        directives = {d.strip() for d in response["Cache-Control"].split(",")}
        assert {"private", "no-store"} <= directives
        assert "public" not in directives


def test_schema_and_docs_need_a_signed_in_user_or_a_token(world, client):
    assert client.get(reverse("api-schema")).status_code == 401
    docs = client.get(reverse("api-docs"))
    assert docs.status_code == 302
    assert docs["Location"].startswith(reverse("login"))
    assert client.get(reverse("api-docs") + "?script=").status_code == 302

    token_client = api_client_for(world.api_client_user)
    assert token_client.get(reverse("api-schema")).status_code == 200

    client.force_login(world.animateur_a)
    assert client.get(reverse("api-schema")).status_code == 200
    page = client.get(reverse("api-docs"))
    assert page.status_code == 200
    html = page.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html
    script = client.get(reverse("api-docs") + "?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_session_expires_after_a_working_day_of_inactivity(world, web_a):
    assert 8 * 3600 <= settings.SESSION_COOKIE_AGE <= 10 * 3600
    response = web_a.get(reverse("home"))
    assert int(response.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == (
        settings.SESSION_COOKIE_AGE
    )
    remaining = web_a.session.get_expiry_age()
    assert settings.SESSION_COOKIE_AGE - 60 <= remaining <= settings.SESSION_COOKIE_AGE


def test_reading_pages_does_not_rewrite_the_session_each_time(world, web_a):
    """Activity renews the expiry at most every SESSION_ACTIVITY_REFRESH seconds."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from alize.middleware import SessionIdleTimeoutMiddleware
    from alize.row_security import without_declaration

    def statement(query) -> str:
        return without_declaration(query["sql"])

    web_a.get(reverse("home"))
    with CaptureQueriesContext(connection) as queries:
        web_a.get(reverse("home"))
    assert not [q for q in queries if statement(q).startswith('UPDATE "django_session"')]
    session = web_a.session
    session[SessionIdleTimeoutMiddleware.KEY] -= settings.SESSION_ACTIVITY_REFRESH + 1
    session.save()
    with CaptureQueriesContext(connection) as queries:
        web_a.get(reverse("home"))
    assert [q for q in queries if statement(q).startswith('UPDATE "django_session"')]


def test_password_pages_send_anonymous_visitors_to_login(db, client):
    for name in ("password_change", "password_change_done"):
        for method in (client.get, client.post, client.put):
            response = method(reverse(name))
            assert response.status_code == 302 and reverse("login") in response["Location"]


def test_password_change_page_is_linked_and_works(world, client):
    assert client.get(reverse("password_change")).status_code == 302
    client.force_login(world.animateur_a)
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("password_change")}"' in home

    wrong = client.post(
        reverse("password_change"),
        {
            "old_password": "nope",
            "new_password1": "Nouveau-2026!x",
            "new_password2": "Nouveau-2026!x",
        },
    )
    assert wrong.status_code == 400
    assert "old_password" in wrong.context["form"].errors
    assert logged_in(client)
    done = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "Nouveau-2026!x",
            "new_password2": "Nouveau-2026!x",
        },
    )
    assert done["Location"] == reverse("password_change_done")
    assert logged_in(client)
    assert client.get(reverse("password_change_done")).status_code == 200

    other = type(client)()
    assert login(other, world.animateur_a.email, PASSWORD, VICTIM).status_code == 400
    assert login(other, world.animateur_a.email, "Nouveau-2026!x", VICTIM).status_code == 302


def test_user_factory_password_is_the_shared_one(db):
    assert UserFactory().check_password(PASSWORD)
