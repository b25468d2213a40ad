"""The second factor: the roles that move money or read personal data (coordinator,
animateur) enrol a TOTP application before any page, then pass its code at each sign-in;
recovery codes serve once and are stored hashed; failed codes are throttled like failed
logins; API tokens are unaffected."""

import re

import pytest
from django.conf import settings
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from alize.accounts.models import LoginFailure, RecoveryCode
from alize.accounts.second_factor import check_second_factor_roles
from tests.conftest import ROLES, api_client_for

PASSWORD = "secret-password"
OFFICE = "192.0.2.10"
ELSEWHERE = "198.51.100.7"
REQUIRING = {"coordinator", "animateur", "animateur_b"}


@pytest.fixture
def required(settings):
    settings.SECOND_FACTOR_ROLES = ["coordinator", "animateur"]


def password_login(client, user, ip=OFFICE):
    response = client.post(
        reverse("login"), {"email": user.email, "password": PASSWORD}, REMOTE_ADDR=ip
    )
    assert response.status_code == 302
    return response


def code_of(device) -> str:
    """The code the person's application shows now."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{totp.token():0{device.digits}d}"


def enrol(client, user) -> tuple[TOTPDevice, list[str]]:
    """Sign in and enrol through the pages; returns the confirmed device and the recovery
    codes shown."""
    client.force_login(user)
    page = client.get(reverse("second_factor_enrol"))
    assert page.status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    shown = client.post(reverse("second_factor_enrol"), {"code": code_of(device)})
    assert shown.status_code == 200
    codes = re.findall(r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", shown.content.decode())
    device.refresh_from_db()
    assert device.confirmed
    return device, codes


def held_at(response) -> str:
    return response["Location"].split("?")[0] if response.status_code == 302 else ""


def test_an_animateur_enrols_before_any_page(world, client, required, time_machine):
    password_login(client, world.animateur_a)
    for url in [reverse("home"), reverse("dispositifs:list"), "/admin/", reverse("mailbox")]:
        response = client.get(url)
        assert held_at(response) == reverse("second_factor_enrol"), url
    assert client.get(reverse("dispositifs:list"))["Location"].endswith("?next=%2Fdispositifs%2F")

    page = client.get(reverse("second_factor_enrol"))
    content = page.content.decode()
    device = TOTPDevice.objects.get(user=world.animateur_a, confirmed=False)
    assert '<svg class="qr" role="img"' in content  # the QR code, inline
    secret = re.search(r"<code class=\"secret\" data-secret>([A-Z2-7 ]+)</code>", content)
    assert secret and secret.group(1).replace(" ", "") in device.config_url
    assert "Votre rôle donne accès à des fonds" in content

    wrong = client.post(reverse("second_factor_enrol"), {"code": "000000"})
    assert wrong.status_code == 400
    assert "Code incorrect" in wrong.content.decode()
    assert held_at(client.get(reverse("home"))) == reverse("second_factor_enrol")

    shown = client.post(
        reverse("second_factor_enrol") + "?next=/dispositifs/", {"code": code_of(device)}
    )
    assert shown.status_code == 200
    codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", shown.content.decode())
    assert len(codes) == settings.SECOND_FACTOR_RECOVERY_CODES == len(set(codes))
    assert 'href="/dispositifs/"' in shown.content.decode()
    # Stored hashed: no code in clear, one keyed hash each.
    stored = list(RecoveryCode.objects.filter(user=world.animateur_a))
    assert len(stored) == len(codes)
    assert not {row.code_hash for row in stored} & {
        c for code in codes for c in (code, code.replace("-", ""))
    }
    assert all(len(row.code_hash) == 64 for row in stored)
    assert client.get(reverse("home")).status_code == 200
    assert client.get(reverse("dispositifs:list")).status_code == 200


def test_an_animateur_with_a_device_passes_its_code_at_each_sign_in(
    world, client, required, time_machine
):
    device, _codes = enrol(client, world.animateur_a)
    client.logout()
    time_machine.shift(30)  # the next code of the application

    password_login(client, world.animateur_a)
    held = client.get(reverse("dispositifs:list"))
    assert held_at(held) == reverse("second_factor_verify")
    assert client.get(reverse("second_factor_enrol"))["Location"] == reverse(
        "second_factor_verify"
    )  # a new device never stands in for a due code
    page = client.get(held["Location"])
    assert page.status_code == 200 and 'name="code"' in page.content.decode()

    wrong = client.post(reverse("second_factor_verify"), {"code": "123456", "next": "/"})
    assert wrong.status_code == 400
    assert "Code incorrect." in wrong.content.decode()
    assert held_at(client.get(reverse("home"))) == reverse("second_factor_verify")

    right = client.post(
        reverse("second_factor_verify"), {"code": code_of(device), "next": "/dispositifs/"}
    )
    assert right.status_code == 302 and right["Location"] == "/dispositifs/"
    assert client.get(reverse("dispositifs:list")).status_code == 200
    assert client.get(reverse("second_factor_verify"))["Location"] == reverse("home")

    # The same code a second time (another sign-in within its 30 seconds) is refused.
    client.logout()
    password_login(client, world.animateur_a)
    again = client.post(reverse("second_factor_verify"), {"code": code_of(device)})
    assert again.status_code == 400


def test_a_recovery_code_serves_once(world, client, required):
    _device, codes = enrol(client, world.animateur_a)
    client.logout()

    password_login(client, world.animateur_a)
    used = client.post(reverse("second_factor_verify"), {"code": codes[3].upper()}, follow=True)
    assert used.redirect_chain[-1][0] == reverse("home")
    assert "il vous en reste 9" in used.content.decode()
    client.logout()

    password_login(client, world.animateur_a)
    refused = client.post(reverse("second_factor_verify"), {"code": codes[3]})
    assert refused.status_code == 400
    assert held_at(client.get(reverse("home"))) == reverse("second_factor_verify")
    other = client.post(reverse("second_factor_verify"), {"code": codes[4].replace("-", " ")})
    assert other.status_code == 302
    assert RecoveryCode.objects.filter(user=world.animateur_a, used_at__isnull=False).count() == 2


def test_failed_codes_are_throttled_like_failed_logins(world, client, required, time_machine):
    device, _codes = enrol(client, world.animateur_a)
    client.logout()
    time_machine.shift(30)
    password_login(client, world.animateur_a)
    for n in range(settings.LOGIN_FAILURE_LIMIT):
        ip = OFFICE if n % 2 else ELSEWHERE  # the person's failures, from any address
        response = client.post(reverse("second_factor_verify"), {"code": "000000"}, REMOTE_ADDR=ip)
    assert response.status_code == 429
    window = int(settings.LOGIN_FAILURE_WINDOW.total_seconds())
    assert response["Retry-After"] == str(window)
    assert "Trop de tentatives échouées : réessayez dans 15 minutes." in response.content.decode()

    # Even the right code waits out the window; then it passes.
    locked = client.post(reverse("second_factor_verify"), {"code": code_of(device)})
    assert locked.status_code == 429
    assert held_at(client.get(reverse("home"))) == reverse("second_factor_verify")
    time_machine.shift(settings.LOGIN_FAILURE_WINDOW)
    assert (
        client.post(reverse("second_factor_verify"), {"code": code_of(device)}).status_code == 302
    )
    assert not LoginFailure.objects.filter(step=LoginFailure.Step.SECOND_FACTOR).exists()
    # Code failures are not password failures: the password lockout never counted them.
    assert not LoginFailure.objects.filter(step=LoginFailure.Step.PASSWORD).exists()


@pytest.mark.parametrize("role", ROLES)
def test_second_factor_is_required_by_role(world, client, required, role):
    client.force_login(world.user(role))
    response = client.get(reverse("home"))
    if role in REQUIRING:
        assert held_at(response) == reverse("second_factor_enrol")
    else:
        assert response.status_code == 200


def test_not_required_without_the_setting(world, client):
    assert settings.SECOND_FACTOR_ROLES == []
    password_login(client, world.animateur_a)
    assert client.get(reverse("home")).status_code == 200


def test_a_person_of_another_role_who_enrolled_passes_the_code_too(world, client, required):
    client.force_login(world.expert_a)
    assert client.get(reverse("home")).status_code == 200  # not required of an expert
    enrol(client, world.expert_a)
    client.logout()
    password_login(client, world.expert_a)
    assert held_at(client.get(reverse("home"))) == reverse("second_factor_verify")


def test_api_tokens_are_unaffected(world, required):
    TOTPDevice.objects.create(user=world.animateur_a, name="TOTP", confirmed=True)
    response = api_client_for(world.animateur_a).get("/api/v1/dispositifs/")
    assert response.status_code == 200


def test_a_session_held_by_the_second_factor_reaches_no_api(world, client, required):
    password_login(client, world.animateur_a)
    assert held_at(client.get("/api/v1/dispositifs/")) == reverse("second_factor_enrol")


def test_the_second_factor_pages_send_anonymous_visitors_to_the_login(client, db):
    for route in ("second_factor_verify", "second_factor_enrol"):
        assert client.get(reverse(route))["Location"] == reverse("login")
        assert client.post(reverse(route), {"code": "123456"})["Location"] == reverse("login")


def test_a_misspelt_role_in_the_setting_is_an_error(settings):
    settings.SECOND_FACTOR_ROLES = ["coordinator", "animateurs"]
    (error,) = check_second_factor_roles()
    assert error.id == "accounts.E001" and "animateurs" in error.msg
    settings.SECOND_FACTOR_ROLES = ["coordinator", "animateur"]
    assert check_second_factor_roles() == []


def test_a_device_withdrawn_by_the_coordination_stops_asking_for_its_code(world, client, required):
    device, _codes = enrol(client, world.expert_a)
    client.logout()
    password_login(client, world.expert_a)
    assert held_at(client.get(reverse("home"))) == reverse("second_factor_verify")
    device.delete()  # the coordination, in the admin
    page = client.get(reverse("home"), follow=True)
    assert page.status_code == 200 and page.redirect_chain[-1][0] == reverse("home")

    # An animateur without a device goes to enrolment again.
    animateur_device, _codes = enrol(client, world.animateur_a)
    client.logout()
    password_login(client, world.animateur_a)
    animateur_device.delete()
    page = client.get(reverse("home"), follow=True)
    assert page.redirect_chain[-1][0].startswith(reverse("second_factor_enrol"))
