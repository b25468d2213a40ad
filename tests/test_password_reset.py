"""Forgotten password, end to end through a real SMTP server: the request, the mail in the
user's language, the single-use link, the project's password validators, the new login."""

import re
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Vent-du-Nord-2026!"


@pytest.fixture(autouse=True)
def jobs_run_at_once(monkeypatch):
    """The reset mail is a job queued on commit; here it runs in the test, at once."""
    from alize.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
def ask_reset(client, django_capture_on_commit_callbacks):
    """POST the forgotten-password form, running what the request queued on commit."""

    def ask(email):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("password_reset"), {"email": email})

    return ask


def link_in(message) -> str:
    text = message.get_body(preferencelist=("plain",)).get_content()
    (url,) = re.findall(r"https?://\S+/accounts/password-reset/\S+/", text)
    return urlsplit(url).path


def test_a_user_resets_a_forgotten_password_and_logs_in_with_it(client, ask_reset, smtp_server):
    user = UserFactory(email="john@example.org", full_name="John Smith", language="en")
    user.set_password("old-password-1234")
    user.save()
    login_page = client.get(reverse("login")).content.decode()
    assert reverse("password_reset") in login_page

    assert client.get(reverse("password_reset")).status_code == 200
    response = ask_reset("John@Example.org")
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_done")
    assert client.get(reverse("password_reset_done")).status_code == 200

    (message,) = smtp_server.messages
    assert message["To"] == "john@example.org"
    assert message["Subject"] == "Alizé: choose a new password"
    link = link_in(message)

    opened = client.get(link)
    assert opened.status_code == 302  # Django moves the token into the session
    form_url = opened["Location"]
    assert client.get(form_url).status_code == 200

    weak = client.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 400
    assert "new_password2" in weak.context["form"].errors

    done = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302 and done["Location"] == reverse("password_reset_complete")
    assert client.get(reverse("password_reset_complete")).status_code == 200

    logged_in = client.post(
        reverse("login"), {"email": "john@example.org", "password": NEW_PASSWORD}
    )
    assert logged_in.status_code == 302 and logged_in["Location"] == reverse("home")

    client.logout()
    reused = client.get(link)
    assert reused.status_code == 200 and not reused.context["validlink"]


def test_a_french_user_receives_the_mail_in_french(client, ask_reset, smtp_server):
    UserFactory(email="jeanne@example.org", language="fr")
    ask_reset("jeanne@example.org")
    (message,) = smtp_server.messages
    assert message["Subject"] == "Alizé : choisir un nouveau mot de passe"


def test_an_unknown_address_gets_the_same_answer_and_no_mail(client, ask_reset, smtp_server):
    UserFactory(email="known@example.org")
    known = ask_reset("known@example.org")
    unknown = ask_reset("nobody@example.org")
    assert (unknown.status_code, unknown["Location"]) == (known.status_code, known["Location"])
    assert [message["To"] for message in smtp_server.messages] == ["known@example.org"]


def test_the_mail_leaves_after_the_answer_with_the_same_queries_for_any_address(
    client, smtp_server, django_capture_on_commit_callbacks
):
    """Nothing during the request tells a known address from an unknown one: the mail is a
    job queued on commit, and both requests run the same statements."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    UserFactory(email="known@example.org")
    counts = []
    for email in ("known@example.org", "nobody@example.org"):
        with (
            django_capture_on_commit_callbacks(execute=False) as queued,
            CaptureQueriesContext(connection) as queries,
        ):
            client.post(reverse("password_reset"), {"email": email})
        counts.append(len(queries))
        assert len(queued) == (1 if email.startswith("known") else 0)
    assert counts[0] == counts[1]
    assert smtp_server.messages == []


def test_each_request_sends_its_own_mail(client, ask_reset, smtp_server):
    UserFactory(email="twice@example.org")
    ask_reset("twice@example.org")
    ask_reset("twice@example.org")
    assert len(smtp_server.messages) == 2


def test_requests_are_limited_per_address_known_or_not(client, ask_reset, smtp_server, settings):
    UserFactory(email="known@example.org")
    for email in ("known@example.org", "nobody@example.org"):
        statuses = [ask_reset(email).status_code for _ in range(settings.PASSWORD_RESET_LIMIT + 1)]
        assert statuses == [302] * settings.PASSWORD_RESET_LIMIT + [429]
    assert len(smtp_server.messages) == settings.PASSWORD_RESET_LIMIT


def test_requests_are_limited_per_ip(client, ask_reset, smtp_server, settings):
    settings.PASSWORD_RESET_IP_LIMIT = 2
    statuses = [ask_reset(f"n{i}@example.org").status_code for i in range(3)]
    assert statuses == [302, 302, 429]
    refused = ask_reset("n9@example.org")
    assert refused.status_code == 429 and "Retry-After" in refused


def test_an_invalid_address_is_refused_with_its_field(client, ask_reset, smtp_server):
    response = ask_reset("not-an-address")
    assert response.status_code == 400 and "email" in response.context["form"].errors
    assert smtp_server.messages == []


def test_put_changes_nothing_and_sends_nothing(client, smtp_server):
    user = UserFactory(email="put@example.org")
    password_hash = user.password
    response = client.put(reverse("password_reset"), "email=put@example.org")
    assert response.status_code == 400
    bogus = reverse("password_reset_confirm", kwargs={"uidb64": "MQ", "token": "bogus-token"})
    response = client.put(bogus, "new_password1=x&new_password2=x")
    assert response.status_code == 200 and not response.context["validlink"]
    user.refresh_from_db()
    assert user.password == password_hash
    assert smtp_server.messages == []


def test_the_job_sends_nothing_to_an_account_deactivated_meanwhile(smtp_server):
    from alize.accounts.tasks import send_password_reset

    user = UserFactory(email="gone@example.org", is_active=False)
    assert send_password_reset(user_id=user.pk, key="accounts:password-reset:test-gone") is False
    assert smtp_server.messages == []
