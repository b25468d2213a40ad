"""In Chromium at phone width: "Mot de passe oublié ?" from the login page, the mail
received by a real SMTP server, its link, a new password, and a login with it."""

import re
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import PHONE, log_in, width_of
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "Mistral-sur-la-Drome-88"


def test_forgotten_password_by_mail_then_login(phone, smtp_server, monkeypatch):
    from alize.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)  # the mail job runs at once
    UserFactory(email="oubli@example.org", full_name="Lucie Oubli", language="fr")
    phone.goto("/connexion/")
    phone.click("text=Mot de passe oublié ?")
    phone.fill("input[name=email]", "oubli@example.org")
    phone.click("button[type=submit].primary")
    phone.wait_for_url("**/accounts/password-reset/sent/")
    assert "Vérifiez votre messagerie" in phone.content()

    (message,) = smtp_server.messages
    assert message["Subject"] == "Alizé : choisir un nouveau mot de passe"
    text = message.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+/accounts/password-reset/\S+/", text)

    phone.goto(urlsplit(link).path)
    assert width_of(phone) <= PHONE["width"]
    phone.fill("input[name=new_password1]", "1234")
    phone.fill("input[name=new_password2]", "1234")
    phone.click("button[type=submit].primary")
    phone.wait_for_selector("[data-field=new_password2] .error")  # the refused form is back
    assert phone.locator("[data-field=new_password2] .error").count() >= 1

    phone.fill("input[name=new_password1]", NEW_PASSWORD)
    phone.fill("input[name=new_password2]", NEW_PASSWORD)
    phone.click("button[type=submit].primary")
    phone.wait_for_url("**/accounts/password-reset/done/")

    log_in(phone, "oubli@example.org", NEW_PASSWORD)
    assert "/connexion/" not in phone.url


def test_the_local_mailbox_fits_a_phone(phone, world, tmp_path, settings):
    from tests.test_mailbox import deliver

    settings.DEMO_MAILBOX_DIR = tmp_path
    deliver(
        tmp_path,
        subject="Ordre du jour du comité de Valenciennes du jeudi 3 décembre " * 2,
        to="un.destinataire.au.nom.tres.long@collectivite-territoriale.example.org",
        attachment=("ordre-du-jour-comite-valenciennes-decembre.pdf", b"%PDF-1.4"),
    )
    coordinator = world.coordinator
    coordinator.set_password("secret-password")
    coordinator.save()
    log_in(phone, coordinator.email)
    phone.goto("/mailbox/")
    assert width_of(phone) <= PHONE["width"]
    phone.click("text=Ordre du jour du comité")
    phone.wait_for_selector(".mail-body")
    assert width_of(phone) <= PHONE["width"]
    assert "ordre-du-jour-comite-valenciennes-decembre.pdf" in phone.content()
