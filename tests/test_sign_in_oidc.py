"""Sign-in with the organisation's account, end to end: the platform's live server and a
real OpenID Connect provider (tests/oidc_provider, another process) talk over HTTP through
the authorization code flow, driven as a browser would with a requests session.

The person lands on their existing user by verified address; an unknown or unverified
address, an ID token for another audience, an expired ID token and a replayed state are
refused with a message on the login page, and no account nor role is ever created."""

import html
import re
from urllib.parse import urljoin

import pytest
import requests
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from alize.accounts.models import RoleAssignment, User
from tests.oidc_provider import LocalProvider

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.real_clock(
        reason="the provider is another process, on the real clock, and dates its tokens"
    ),
]

CALLBACK = "/connexion/organisation/retour/"
PROVIDER_PASSWORD = "provider-password"
SECRET = "alize-client-secret"
ORGANISATION_BUTTON = "Se connecter avec le compte de votre organisation"
UNKNOWN = "Aucun compte Alizé actif ne correspond à l'adresse de votre compte d'organisation."
UNVERIFIED = "Votre organisation n'a pas confirmé votre adresse e-mail"
FAILED = "La connexion avec le compte de votre organisation a échoué ou a expiré."

# The provider's people: the animateur of the shared world (the factories number users
# from user0 in a fresh transactional test, so the address is set by the test itself), a
# person unknown to the platform, and one whose address the provider did not verify.
PEOPLE_EMAIL = "claire.animatrice@cci.example.fr"
PEOPLE = [
    {"username": "claire", "email": PEOPLE_EMAIL, "email_verified": True},
    {"username": "stranger", "email": "nobody@cci.example.fr", "email_verified": True},
    {
        "username": "unverified",
        "email": "claire.animatrice@cci.example.fr",
        "email_verified": False,
    },
]


@pytest.fixture(scope="session")
def provider(live_server, tmp_path_factory):
    redirect_uri = f"{live_server.url}{CALLBACK}"
    local = LocalProvider(
        tmp_path_factory.mktemp("oidc-provider"),
        people=[{**person, "password": PROVIDER_PASSWORD} for person in PEOPLE],
        clients=[
            {"client_id": "alize", "client_secret": SECRET, "redirect_uri": redirect_uri},
            {
                "client_id": "alize-audience",
                "client_secret": SECRET,
                "redirect_uri": redirect_uri,
                "audience": "another-service",
            },
            {
                "client_id": "alize-expired",
                "client_secret": SECRET,
                "redirect_uri": redirect_uri,
                "expired": True,
            },
        ],
    )
    local.start()
    yield local
    local.stop()


@pytest.fixture
def organisation_login(settings, provider):
    """The platform configured for the provider, as the environment would set it."""
    for name, value in provider.endpoints().items():
        setattr(settings, name, value)
    settings.OIDC_RP_CLIENT_ID = "alize"
    settings.OIDC_RP_CLIENT_SECRET = SECRET
    return provider


@pytest.fixture
def claire(world):
    """The animateur of dispositif A, known to the provider by the same address."""
    world.animateur_a.email = PEOPLE[0]["email"]
    world.animateur_a.save(update_fields=["email"])
    return world.animateur_a


def hidden(page: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page)
    return html.unescape(match.group(1)) if match else ""


def to_callback(browser, live_server, provider, username: str) -> str:
    """From the platform's login page through the provider's login: the callback URL the
    provider sends the browser back to (code and state), not yet followed."""
    login_page = browser.get(f"{live_server.url}{reverse('login')}")
    assert ORGANISATION_BUTTON in login_page.text
    start = browser.get(f"{live_server.url}{reverse('oidc_login')}")
    assert start.url.startswith(f"{provider.url}/login/"), start.url
    signed = browser.post(
        start.url,
        data={
            "csrfmiddlewaretoken": hidden(start.text, "csrfmiddlewaretoken"),
            "next": hidden(start.text, "next"),
            "username": username,
            "password": PROVIDER_PASSWORD,
        },
        allow_redirects=False,
    )
    assert signed.status_code == 302, signed.text[-500:]
    authorized = browser.get(
        urljoin(provider.url, signed.headers["Location"]), allow_redirects=False
    )
    assert authorized.status_code == 302, authorized.text[-500:]
    callback = authorized.headers["Location"]
    assert callback.startswith(f"{live_server.url}{CALLBACK}?code="), callback
    return callback


def sign_in(live_server, provider, username: str) -> tuple[requests.Session, requests.Response]:
    browser = requests.Session()
    answer = browser.get(to_callback(browser, live_server, provider, username))
    return browser, answer


def signed_in(browser, live_server) -> bool:
    home = browser.get(f"{live_server.url}/", allow_redirects=False)
    return home.status_code == 200


def unchanged(before: tuple[int, int]) -> bool:
    return (User.objects.count(), RoleAssignment.objects.count()) == before


def counts() -> tuple[int, int]:
    return User.objects.count(), RoleAssignment.objects.count()


def test_the_round_trip_lands_on_the_existing_user(live_server, organisation_login, claire):
    before = counts()
    browser, home = sign_in(live_server, organisation_login, "claire")
    assert home.status_code == 200
    assert home.url == f"{live_server.url}/"
    assert str(claire) in home.text  # the top bar names the person signed in
    assert signed_in(browser, live_server)
    assert unchanged(before)
    claire.refresh_from_db()
    assert claire.last_login is not None


def test_an_unknown_address_is_refused_and_no_account_is_created(
    live_server, organisation_login, claire
):
    before = counts()
    browser, answer = sign_in(live_server, organisation_login, "stranger")
    assert answer.url == f"{live_server.url}{reverse('login')}"
    assert UNKNOWN in answer.text.replace("&#x27;", "'")
    assert ORGANISATION_BUTTON in answer.text  # the password login stays
    assert not signed_in(browser, live_server)
    assert unchanged(before)
    assert not User.objects.filter(email=PEOPLE[1]["email"]).exists()


def test_an_address_the_provider_did_not_verify_is_refused(live_server, organisation_login, claire):
    browser, answer = sign_in(live_server, organisation_login, "unverified")
    assert answer.url == f"{live_server.url}{reverse('login')}"
    assert UNVERIFIED in answer.text.replace("&#x27;", "'")
    assert not signed_in(browser, live_server)


def test_an_inactive_user_is_refused(live_server, organisation_login, claire):
    claire.is_active = False
    claire.save(update_fields=["is_active"])
    browser, answer = sign_in(live_server, organisation_login, "claire")
    assert UNKNOWN in answer.text.replace("&#x27;", "'")
    assert not signed_in(browser, live_server)


def test_an_id_token_for_another_audience_is_refused(
    live_server, organisation_login, claire, settings
):
    settings.OIDC_RP_CLIENT_ID = "alize-audience"
    browser, answer = sign_in(live_server, organisation_login, "claire")
    assert answer.url == f"{live_server.url}{reverse('login')}"
    assert FAILED in answer.text
    assert not signed_in(browser, live_server)


def test_an_expired_id_token_is_refused(live_server, organisation_login, claire, settings):
    settings.OIDC_RP_CLIENT_ID = "alize-expired"
    browser, answer = sign_in(live_server, organisation_login, "claire")
    assert answer.url == f"{live_server.url}{reverse('login')}"
    assert FAILED in answer.text
    assert not signed_in(browser, live_server)


def test_a_replayed_state_is_refused(live_server, organisation_login, claire):
    browser = requests.Session()
    callback = to_callback(browser, live_server, organisation_login, "claire")

    # Another browser replaying the captured answer: its session was issued no state.
    intruder = requests.Session()
    refused = intruder.get(callback)
    assert refused.url == f"{live_server.url}{reverse('login')}"
    assert FAILED in refused.text
    assert not signed_in(intruder, live_server)

    # The browser it was issued to signs in once; the same state a second time is refused.
    assert browser.get(callback).url == f"{live_server.url}/"
    again = browser.get(callback, allow_redirects=False)
    assert again.status_code == 302 and again.headers["Location"] == reverse("login")
    assert FAILED in browser.get(f"{live_server.url}/").text


def test_an_animateur_with_a_device_passes_the_code_after_the_organisation(
    live_server, organisation_login, claire, settings
):
    settings.SECOND_FACTOR_ROLES = ["coordinator", "animateur"]
    device = TOTPDevice.objects.create(user=claire, name="TOTP", confirmed=True)
    browser, held = sign_in(live_server, organisation_login, "claire")
    assert held.url.startswith(f"{live_server.url}{reverse('second_factor_verify')}")
    assert browser.get(f"{live_server.url}/dispositifs/").url.startswith(held.url.split("?")[0])

    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    answer = browser.post(
        held.url,
        data={
            "csrfmiddlewaretoken": hidden(held.text, "csrfmiddlewaretoken"),
            "next": "/",
            "code": f"{totp.token():06d}",
        },
        headers={"Referer": held.url},
    )
    assert answer.url == f"{live_server.url}/"
    assert signed_in(browser, live_server)


def test_nothing_answers_without_a_provider(client, db):
    assert ORGANISATION_BUTTON not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_login")).status_code == 404
    assert client.get(reverse("oidc_callback"), {"code": "x", "state": "y"}).status_code == 404
