"""Browser checks of the foundation: login, scope in the page, 404 elsewhere, language switch."""

import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_animateur_logs_in_sees_own_dispositif_and_404_elsewhere(page, world):
    page.goto("/")
    assert "/connexion/" in page.url
    page.fill("input[name=email]", world.animateur_a.email)
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit].primary")
    assert page.locator(".errorlist").inner_text().strip() != ""
    log_in(page, world.animateur_a.email)
    assert page.locator("h2", has_text="Mes dispositifs").is_visible()
    assert page.get_by_role("link", name=world.a.name).is_visible()
    assert page.get_by_text(world.b.name).count() == 0
    response = page.goto(f"/dispositifs/{world.b.slug}/")
    assert response.status == 404


def test_language_switch_to_english_and_back(page, world):
    log_in(page, world.coordinator.email)
    account = page.get_by_role("button", name=str(world.coordinator))
    account.click()  # the account menu: password, second factor, log out
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    page.click("form.langswitch button[value=en]")
    page.wait_for_load_state()
    account.click()
    assert page.get_by_role("button", name="Log out").is_visible()
    page.click("form.langswitch button[value=fr]")
    page.wait_for_load_state()
    account.click()
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
