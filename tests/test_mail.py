"""The mail layer (``alize.mail.send_once``) against a real SMTP server: rendering in the
recipient's language, attachments, and a key that never sends twice, also under races,
rollbacks and SMTP failures."""

import threading

import pytest
from django.db import transaction
from django.urls import reverse

from alize.mail import send_once
from alize.models import SentMail, SentMailStatus
from tests.factories import UserFactory
from tests.smtp import free_port

RESET = "accounts/password_reset"


def reset_context(**extra):
    return {"email": "x@example.org", "reset_url": "http://testserver/r/", "valid_days": 3, **extra}


def text_of(message) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


@pytest.mark.django_db
def test_a_user_receives_the_mail_in_their_language(smtp_server):
    french = UserFactory(email="fr@example.org", full_name="Jeanne Martin", language="fr")
    english = UserFactory(email="en@example.org", full_name="John Smith", language="en")

    assert send_once(key="t:fr", to=french, template=RESET, context=reset_context())
    assert send_once(key="t:en", to=english, template=RESET, context=reset_context())

    fr_message, en_message = smtp_server.messages
    assert fr_message["To"] == "fr@example.org"
    assert fr_message["Subject"] == "Alizé : choisir un nouveau mot de passe"
    assert "Bonjour Jeanne Martin," in text_of(fr_message)
    assert en_message["Subject"] == "Alizé: choose a new password"
    assert "Hello John Smith," in text_of(en_message)
    html = en_message.get_body(preferencelist=("html",)).get_content()
    assert '<a href="http://testserver/r/">' in html and 'lang="en"' in html
    assert smtp_server.envelopes[1][1] == ["en@example.org"]
    sent = SentMail.objects.get(key="t:en")
    assert (sent.status, sent.recipient, sent.language, sent.attempts) == (
        SentMailStatus.SENT,
        "en@example.org",
        "en",
        1,
    )
    assert sent.sent_at is not None and sent.subject == "Alizé: choose a new password"


@pytest.mark.django_db
def test_an_address_gets_french_unless_a_language_is_given(smtp_server):
    send_once(key="t:addr-fr", to="someone@example.org", template=RESET, context=reset_context())
    send_once(
        key="t:addr-en",
        to="other@example.org",
        template=RESET,
        context=reset_context(),
        language="en",
    )
    subjects = [message["Subject"] for message in smtp_server.messages]
    assert subjects == ["Alizé : choisir un nouveau mot de passe", "Alizé: choose a new password"]


@pytest.mark.django_db
def test_text_is_not_html_escaped_and_attachments_arrive(smtp_server):
    pdf = b"%PDF-1.4 fake agenda"
    send_once(
        key="t:attach",
        to="someone@example.org",
        template=RESET,
        context=reset_context(reset_url="http://testserver/r/?a=1&b=2"),
        attachments=[("ordre-du-jour.pdf", pdf, "application/pdf")],
    )
    (message,) = smtp_server.messages
    assert "http://testserver/r/?a=1&b=2" in text_of(message)
    (attachment,) = list(message.iter_attachments())
    assert attachment.get_filename() == "ordre-du-jour.pdf"
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content() == pdf


@pytest.mark.django_db
def test_the_same_key_never_sends_twice(smtp_server):
    assert send_once(key="t:once", to="a@example.org", template=RESET, context=reset_context())
    assert not send_once(key="t:once", to="a@example.org", template=RESET, context=reset_context())
    assert len(smtp_server.messages) == 1
    assert SentMail.objects.filter(key="t:once").count() == 1


def test_a_bad_recipient_or_key_is_refused():
    with pytest.raises(ValueError):
        send_once(key="t:bad", to="not an address", template=RESET, context=reset_context())
    with pytest.raises(ValueError):
        send_once(key="", to="a@example.org", template=RESET, context=reset_context())


@pytest.mark.django_db(transaction=True)
def test_two_workers_sending_the_same_key_at_once_send_one_mail(smtp_server):
    """Two threads, each on its own database connection and inside a transaction of its
    own (as two workers running the same job), claim the same key at the same moment."""
    start = threading.Barrier(2)
    results, errors = [], []

    def worker():
        from django.db import connections

        try:
            with transaction.atomic():
                start.wait(5)
                results.append(
                    send_once(
                        key="t:race", to="a@example.org", template=RESET, context=reset_context()
                    )
                )
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert not errors
    assert sorted(results) == [False, True]
    assert len(smtp_server.messages) == 1
    assert SentMail.objects.get(key="t:race").status == SentMailStatus.SENT


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_job_does_not_send_again_when_retried(smtp_server):
    class JobFailed(Exception):
        pass

    with pytest.raises(JobFailed), transaction.atomic():
        assert send_once(key="t:retry", to="a@example.org", template=RESET, context=reset_context())
        raise JobFailed
    with transaction.atomic():
        assert not send_once(
            key="t:retry", to="a@example.org", template=RESET, context=reset_context()
        )
    assert len(smtp_server.messages) == 1
    assert SentMail.objects.get(key="t:retry").status == SentMailStatus.SENT


@pytest.mark.django_db
def test_a_failed_smtp_send_is_recorded_and_retried(smtp_server, settings):
    settings.EMAIL_PORT = free_port()  # nobody listens there
    with pytest.raises(OSError):
        send_once(key="t:fail", to="a@example.org", template=RESET, context=reset_context())
    failed = SentMail.objects.get(key="t:fail")
    assert failed.status == SentMailStatus.FAILED and "Connection" in failed.error

    settings.EMAIL_PORT = smtp_server.port
    assert send_once(key="t:fail", to="a@example.org", template=RESET, context=reset_context())
    sent = SentMail.objects.get(key="t:fail")
    assert (sent.status, sent.attempts, sent.error) == (SentMailStatus.SENT, 2, "")
    assert len(smtp_server.messages) == 1


@pytest.mark.django_db(transaction=True)
def test_a_claim_left_sending_by_a_killed_worker_is_not_sent_again(smtp_server):
    """A worker killed between the SMTP acceptance and the row update leaves "sending":
    the mail may have left, so it is never sent again automatically."""
    SentMail.objects.create(key="t:stale", recipient="a@example.org", template=RESET, language="fr")
    assert not send_once(key="t:stale", to="a@example.org", template=RESET, context=reset_context())
    assert smtp_server.messages == []
    assert SentMail.objects.get(key="t:stale").status == SentMailStatus.SENDING


@pytest.mark.django_db
def test_the_language_switch_stores_a_signed_in_users_language(client):
    user = UserFactory(language="fr")
    client.force_login(user)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.language == "en"
    client.post(reverse("set_language"), {"language": "xx", "next": "/"})
    user.refresh_from_db()
    assert user.language == "en"


@pytest.mark.django_db(transaction=True)
def test_the_coordination_releases_a_stale_claim_in_the_admin(client, smtp_server):
    coordinator = UserFactory(is_staff=True, is_superuser=True)
    stale = SentMail.objects.create(
        key="t:released", recipient="a@example.org", template=RESET, language="fr"
    )
    client.force_login(coordinator)
    changelist = reverse("admin:alize_sentmail_changelist")
    assert client.get(changelist, {"status": "sending"}).status_code == 200
    assert client.get(reverse("admin:alize_sentmail_change", args=[stale.pk])).status_code == 200
    response = client.post(
        changelist, {"action": "release_for_retry", "_selected_action": [stale.pk]}
    )
    assert response.status_code == 302
    stale.refresh_from_db()
    assert stale.status == SentMailStatus.FAILED
    assert send_once(key="t:released", to="a@example.org", template=RESET, context=reset_context())
    assert len(smtp_server.messages) == 1
