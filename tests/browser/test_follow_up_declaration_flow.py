"""In Chromium at desktop and phone width: the SME opens the link its contact received over
real SMTP, declares its first follow-up year without an account, and the animateur finds
it on the home page and validates it. Every page passes axe-core and fits the width."""

import re
from contextlib import contextmanager
from urllib.parse import urlsplit

import pytest

from pme.models import DeclarationStatus, FollowUpDeclaration, FollowUpSource, JobsFollowUp
from pme.tasks import send_follow_up_requests
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in, width_of
from tests.pme.test_tasks import approved_project

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = [{"width": 1366, "height": 900}, {"width": 390, "height": 844}]


@contextmanager
def browser_page(chromium, live_server, viewport):
    context = chromium.new_context(
        base_url=live_server.url, viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris"
    )
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def fits(page, viewport) -> None:
    assert width_of(page) <= viewport["width"], page.url
    assert_accessible(page)


@pytest.mark.parametrize("viewport", VIEWPORTS, ids=lambda v: f"{v['width']}px")
def test_the_sme_declares_and_the_animateur_validates(
    chromium, live_server, world, smtp_server, viewport
):
    project = approved_project(world.a, days_ago=370, contact_email="direction@pme-test.fr")
    send_follow_up_requests.apply().get()
    (message,) = smtp_server.messages
    body = message.get_body(("plain",)).get_content()
    (link,) = re.findall(r"https?://\S+/pme/suivi/declarer/\S+/", body)

    with browser_page(chromium, live_server, viewport) as sme:
        sme.goto(urlsplit(link).path)
        assert project.company.name in sme.content()
        fits(sme, viewport)
        sme.fill("input[name=headcount]", "-2")
        sme.fill("input[name=jobs_created]", "4")
        sme.fill("input[name=jobs_maintained]", "22")
        with sme.expect_navigation():
            sme.click("button[type=submit].primary")
        sme.wait_for_selector("[data-field=headcount] .error")
        fits(sme, viewport)  # the refused form, with its error by the field
        sme.fill("input[name=headcount]", "28")
        sme.fill("input[name=turnover]", "3 900 000")
        sme.fill("textarea[name=comment]", "Deux techniciens recrutés.")
        with sme.expect_navigation():
            sme.click("button[type=submit].primary")
        sme.wait_for_selector("#follow-up-declared")
        fits(sme, viewport)
        sme.goto(urlsplit(link).path)  # the link has served
        assert "Ce lien a déjà servi" in sme.content()
        fits(sme, viewport)

    declaration = FollowUpDeclaration.unscoped_objects.get(project=project)
    assert declaration.status == DeclarationStatus.DECLARED

    with browser_page(chromium, live_server, viewport) as animateur:
        log_in(animateur, world.animateur_a.email)
        panel = animateur.locator("#panel-follow-up-declarations")
        panel.get_by_role("link", name=project.title).click()
        animateur.wait_for_selector("#validate-form")
        assert "Deux techniciens recrutés." in animateur.content()
        fits(animateur, viewport)
        with animateur.expect_navigation():
            animateur.click("#validate-form button[type=submit]")
        animateur.wait_for_selector("#suivi")
        assert "validé tel que déclaré par la PME" in animateur.content()
        row = animateur.locator("[data-table=follow-up] tr[data-year='1']")
        assert "Déclaré en ligne par la PME" in row.inner_text()
        fits(animateur, viewport)

    follow_up = JobsFollowUp.unscoped_objects.get(project=project, year=1)
    assert (follow_up.headcount, follow_up.jobs_created, follow_up.source) == (
        28,
        4,
        FollowUpSource.SELF_DECLARED,
    )
