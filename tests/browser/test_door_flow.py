"""The SMEs' public door in Chromium (docs/architecture.md §16): an anonymous visitor submits
a project to Valenciennes at desktop width, the confirmation mail arrives on a real SMTP
server, its link lands the project on the Valenciennes animateur's to-do and nowhere in
Chambéry; robots store nothing; the form fits a phone. Every public page passes axe-core."""

import re
from urllib.parse import urlsplit

import pytest

from pme.models import Company, Project, ProjectSource, SelfReferral
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PHONE, log_in, width_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1366, "height": 768}


@pytest.fixture
def desktop(chromium, live_server):
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=DESKTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture(autouse=True)
def door_settings(settings, monkeypatch):
    """The mails run at once; a person here fills the form in a second or more."""
    from alize.celery import app

    monkeypatch.setitem(app.conf, "task_always_eager", True)
    settings.SELF_REFERRAL_MIN_FILL_SECONDS = 1
    return settings


def fill(page, *, email="claire.dupont@chaudronnerie.example"):
    form = page.locator("form.card")
    form.locator("[name=siret]").fill("552 081 317 00018")
    form.locator("[name=name]").fill("Chaudronnerie du Hainaut")
    form.locator("[name=naf_code]").fill("25.62B")
    form.locator("[name=creation_date]").fill("2012-05-14")
    form.locator("[name=headcount]").fill("38")
    form.locator("[name=commune_code]").fill("Valenciennes")
    form.locator("[name=contact_name]").fill("Claire Dupont")
    form.locator("[name=contact_email]").fill(email)
    form.locator("[name=contact_phone]").fill("03 27 00 00 00")
    form.locator("[name=title]").fill("Nouvelle ligne de découpe laser")
    form.locator("[name=project_type]").select_option("investment")
    form.locator("[name=description]").fill("Une ligne de découpe laser pour le ferroviaire.")
    form.locator("[name=jobs_at_start]").fill("38")
    form.locator("[name=jobs_planned_3y]").fill("46")
    form.locator("[name=financing_plan]").fill("Prêt bancaire de 300 000 €.")
    return form


def send(page, form):
    page.wait_for_timeout(1200)  # a person takes at least the minimum fill time
    with page.expect_navigation():
        form.locator("button[type=submit].primary").click()


def test_a_visitor_submits_to_valenciennes_and_it_reaches_its_animateur_only(
    desktop, world, smtp_server, chromium, live_server
):
    page = desktop
    page.goto("/deposer-un-projet/")
    assert_accessible(page)
    page.get_by_role("link", name="Alizé Valenciennes test").click()
    page.wait_for_url("**/deposer-un-projet/valenciennes-test/")
    assert page.get_by_role("heading", name="Ce que deviennent vos données").is_visible()
    assert_accessible(page)

    form = fill(page)
    send(page, form)
    page.wait_for_url("**/valenciennes-test/envoye/")
    assert page.get_by_role("heading", name="Vérifiez votre messagerie").is_visible()
    assert_accessible(page)
    assert Project.unscoped_objects.count() == 0  # nothing reaches the animateur yet

    (message,) = smtp_server.messages
    assert message["To"] == "claire.dupont@chaudronnerie.example"
    text = message.get_body(preferencelist=("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+/deposer-un-projet/confirmer/\S+/", text)
    page.goto(urlsplit(link).path)
    assert_accessible(page)
    with page.expect_navigation():
        page.get_by_role("button", name="Confirmer et transmettre").click()
    assert page.get_by_role("heading", name="Votre projet est transmis").is_visible()
    assert_accessible(page)

    project = Project.unscoped_objects.get()
    assert (project.dispositif_id, project.source) == (world.a.pk, ProjectSource.SELF_REFERRAL)
    assert len(smtp_server.messages) == 2  # and the acknowledgement

    # The Valenciennes animateur finds it on the to-do list…
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=DESKTOP)
    animateur = context.new_page()
    log_in(animateur, world.animateur_a.email)
    panel = animateur.locator("#panel-self-referrals")
    assert "Nouvelle ligne de découpe laser" in panel.inner_text()
    context.close()
    # …and nothing of it shows in Chambéry.
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=DESKTOP)
    chambery = context.new_page()
    log_in(chambery, world.animateur_b.email)
    assert "Nouvelle ligne de découpe laser" not in chambery.content()
    response = chambery.goto(f"/pme/projets/{project.pk}/")
    assert response.status == 404
    chambery.goto("/pme/projets/")
    assert "Nouvelle ligne de découpe laser" not in chambery.content()
    context.close()


def test_robots_store_nothing(desktop, world, smtp_server, door_settings):
    page = desktop
    # One fills the field people never see.
    page.goto("/deposer-un-projet/valenciennes-test/")
    form = fill(page, email="robot@example.org")
    page.evaluate("document.querySelector('[name=website]').value = 'https://spam.example'")
    send(page, form)
    page.wait_for_url("**/valenciennes-test/envoye/")
    # Another sends the form faster than a person could.
    door_settings.SELF_REFERRAL_MIN_FILL_SECONDS = 60
    page.goto("/deposer-un-projet/valenciennes-test/")
    form = fill(page, email="fast@example.org")
    with page.expect_navigation():
        form.locator("button[type=submit].primary").click()
    assert "Formulaire envoyé trop vite" in page.locator(".errorlist.nonfield").inner_text()
    assert_accessible(page)
    assert SelfReferral.unscoped_objects.count() == 0
    assert (Company.unscoped_objects.count(), smtp_server.messages) == (0, [])


def test_the_public_pages_fit_a_phone(phone, world, smtp_server):
    phone.goto("/deposer-un-projet/")
    assert width_of(phone) <= PHONE["width"]
    assert_accessible(phone)
    phone.goto("/deposer-un-projet/valenciennes-test/")
    assert width_of(phone) <= PHONE["width"]
    assert_accessible(phone)
    # A commune outside every perimeter: the answer lists the dispositifs, on a phone too.
    form = fill(phone)
    form.locator("[name=commune_code]").fill("Paris (75056)")
    send(phone, form)
    assert "Aucun dispositif Alizé ne couvre cette commune" in phone.content()
    assert phone.locator("#autres-dispositifs").is_visible()
    assert width_of(phone) <= PHONE["width"]
    assert_accessible(phone)
    assert SelfReferral.unscoped_objects.count() == 0


def test_the_sixth_submission_from_one_address_in_an_hour_waits(desktop, world, smtp_server):
    """Five submissions from one IP address in an hour go through (each to its own e-mail
    address, under the per-address limit); the sixth answers 429 with Retry-After, keeps what
    was typed, says how long to wait, and stores nothing."""
    page = desktop
    for n in range(5):
        page.goto("/deposer-un-projet/valenciennes-test/")
        send(page, fill(page, email=f"dirigeant{n}@example.org"))
        page.wait_for_url("**/valenciennes-test/envoye/")
    assert SelfReferral.unscoped_objects.count() == 5
    page.goto("/deposer-un-projet/valenciennes-test/")
    form = fill(page, email="dirigeant5@example.org")
    page.wait_for_timeout(1200)
    with page.expect_navigation() as answer:
        form.locator("button[type=submit].primary").click()
    response = answer.value
    assert response.status == 429
    assert int(response.headers["retry-after"]) > 0
    assert page.locator("[name=contact_email]").input_value() == "dirigeant5@example.org"
    assert page.locator("[role=alert]").first.is_visible()
    assert_accessible(page)
    assert SelfReferral.unscoped_objects.count() == 5
