"""Throttles that stop only the failing: failed logins and bad tokens slow down, then lock,
the failing identity (address or token prefix, with the IP), while a valid login or token
from the same IP (an office behind one address) is served at once."""

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from rest_framework.test import APIClient

from tests.clock import NOW
from tests.conftest import api_client_for

OFFICE = "192.0.2.10"
ELSEWHERE = "198.51.100.7"
PASSWORD = "secret-password"


def login(client, email, password, ip=OFFICE):
    return client.post(reverse("login"), {"email": email, "password": password}, REMOTE_ADDR=ip)


def logged_in(client):
    return "_auth_user_id" in client.session


def errors(response) -> list[str]:
    return [str(error) for error in response.context["form"].non_field_errors()]


ACCOUNTS = itertools.count()


def fail_logins(client, count, ip=OFFICE):
    """``count`` failed logins from ``ip``, each of another account (none locked nor delayed
    by its own failures)."""
    for _ in range(count):
        login(client, f"colleague-{next(ACCOUNTS)}@example.org", "wrong", ip)


@pytest.fixture
def clock():
    """A clock that moves only when told to, so that delays are exact."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


# --- Logins ----------------------------------------------------------------------------


def test_a_valid_login_is_served_from_an_address_with_30_failed_logins(world, client):
    fail_logins(client, 30)
    response = login(client, world.animateur_a.email, PASSWORD)
    assert response.status_code == 302
    assert logged_in(client)


def test_past_the_address_limit_failures_wait_a_growing_delay(world, client, clock):
    fail_logins(client, settings.LOGIN_FAILURE_IP_LIMIT)
    waits = []
    for n in range(4):
        response = login(client, f"guess-{n}@example.org", "wrong")
        assert response.status_code == 429
        waits.append(int(response["Retry-After"]))
    assert waits == [1, 2, 4, 8]
    assert errors(response) == [
        "Adresse e-mail ou mot de passe incorrect.",
        "Trop de tentatives échouées : réessayez dans 8 secondes.",
    ]


def test_the_delay_reaches_minutes_and_stops_at_the_window(world, client, clock):
    fail_logins(client, settings.LOGIN_FAILURE_IP_LIMIT + 8)
    response = login(client, "guess@example.org", "wrong")
    assert response["Retry-After"] == "256"
    assert "Trop de tentatives échouées : réessayez dans 5 minutes." in errors(response)
    fail_logins(client, 10)
    response = login(client, "guess-again@example.org", "wrong")
    assert response["Retry-After"] == str(int(settings.LOGIN_FAILURE_WINDOW.total_seconds()))


def test_a_delayed_identity_waits_even_with_its_password_and_no_one_else_does(world, client, clock):
    email = world.animateur_a.email
    fail_logins(client, settings.LOGIN_FAILURE_IP_LIMIT + 3)
    delayed = login(client, email, "wrong")
    assert (delayed.status_code, delayed["Retry-After"]) == (429, "8")
    clock.shift(3)
    refused = login(client, email, PASSWORD)
    assert (refused.status_code, refused["Retry-After"]) == (429, "5")
    assert errors(refused) == ["Trop de tentatives échouées : réessayez dans 5 secondes."]
    assert not logged_in(client)
    # Other people of the office, and this person elsewhere, are not held up meanwhile.
    assert login(client, world.coordinator.email, PASSWORD).status_code == 302
    client.logout()
    assert login(client, email, PASSWORD, ELSEWHERE).status_code == 302
    client.logout()
    clock.shift(5)
    assert login(client, email, PASSWORD).status_code == 302


def test_the_failing_identity_is_locked_while_the_office_logs_in(world, client):
    email = world.animateur_a.email
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        assert login(client, email, "wrong").status_code == 400
    fail_logins(client, 30)
    locked = login(client, email, PASSWORD)
    assert locked.status_code == 429
    assert locked["Retry-After"] == str(int(settings.LOGIN_FAILURE_WINDOW.total_seconds()))
    assert errors(locked) == ["Trop de tentatives échouées : réessayez dans 15 minutes."]
    assert not logged_in(client)
    assert login(client, world.coordinator.email, PASSWORD).status_code == 302


def test_an_unknown_address_and_a_wrong_password_get_the_same_answers(world, client, clock):
    other_office = "192.0.2.20"
    fail_logins(client, settings.LOGIN_FAILURE_IP_LIMIT, OFFICE)
    fail_logins(client, settings.LOGIN_FAILURE_IP_LIMIT, other_office)
    unknown = login(client, "nobody@example.org", "wrong", OFFICE)
    wrong = login(client, world.animateur_a.email, "wrong", other_office)
    assert unknown.status_code == wrong.status_code == 429
    assert unknown["Retry-After"] == wrong["Retry-After"] == "1"
    assert errors(unknown) == errors(wrong)
    # While delayed, the right password and any other get the same refusal.
    unknown = login(client, "nobody@example.org", "wrong", OFFICE)
    right = login(client, world.animateur_a.email, PASSWORD, other_office)
    assert unknown.status_code == right.status_code == 429
    assert errors(unknown) == errors(right)


# --- Tokens ------------------------------------------------------------------------------


def production_rates(**overrides):
    rates = {"anon": "60/min", "user": "600/min", "token_failure": "20/hour", **overrides}
    return override_settings(
        REST_FRAMEWORK={**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates},
        TOKEN_FAILURE_IP_LIMIT=20,
    )


def bad_token_client(n: int, ip=OFFICE) -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"Token {n:08x}" + "0" * 32)
    return client


@pytest.fixture
def url():
    return reverse("api:company-list")


def test_a_valid_token_is_served_from_an_address_with_30_bad_tokens(world, url):
    with production_rates():
        for n in range(30):
            assert bad_token_client(n).get(url).status_code in (401, 429)
        good = api_client_for(world.animateur_a)
        assert good.get(url, REMOTE_ADDR=OFFICE).status_code == 200


def test_cycling_bad_tokens_past_the_address_limit_wait_a_growing_delay(world, url):
    with production_rates():
        for n in range(20):
            assert bad_token_client(n).get(url).status_code == 401
        waits = []
        for n in range(20, 24):
            response = bad_token_client(n).get(url)
            assert (response.status_code, response.json()["code"]) == (429, "throttled")
            waits.append(int(response["Retry-After"]))
        assert waits == [1, 2, 4, 8]
        # The token that earned a delay is refused before any look-up until it passed...
        again = bad_token_client(23).get(url)
        assert again.status_code == 429 and 0 < int(again["Retry-After"]) <= 8
        # ...the same bad token from elsewhere is only a bad token, and a valid one is served.
        assert bad_token_client(23, ELSEWHERE).get(url).status_code == 401
        good = api_client_for(world.animateur_a)
        assert good.get(url, REMOTE_ADDR=OFFICE).status_code == 200


def test_the_failing_token_identity_is_locked_while_the_office_is_served(world, url):
    with production_rates(token_failure="3/hour"):
        attacker = bad_token_client(7)
        for _ in range(3):
            assert attacker.get(url).status_code == 401
        locked = attacker.get(url)
        assert locked.status_code == 429
        assert 3590 < int(locked["Retry-After"]) <= 3600
        assert bad_token_client(8).get(url).status_code == 401
        good = api_client_for(world.animateur_a)
        assert good.get(url, REMOTE_ADDR=OFFICE).status_code == 200
        with time_machine.travel(NOW + timedelta(hours=1, seconds=1), tick=False):
            assert attacker.get(url).status_code == 401
