"""In Chromium: the public register, then the coordination finds an expert by name, reads
what is held about her, and erases it through the confirmation page; every page passes
axe-core, and the erase form is used from the keyboard."""

import pytest

from partners.models import Expert
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import log_in
from tests.missions.conftest import make_expert

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_register_search_export_and_erasure(page, world):
    expert = make_expert(
        world.firm_a, first_name="Ermengarde", last_name="Quillebeuf", email="eq@test.test"
    )
    page.goto("/donnees-personnelles/")
    assert page.locator("h2#experts-title").is_visible()
    assert_accessible(page)

    log_in(page, world.coordinator.email)
    page.get_by_role("navigation").get_by_role("button", name="Administration").click()
    page.get_by_role("link", name="Données personnelles").click()
    page.fill("input[name=q]", "quillebeuf")
    page.keyboard.press("Enter")
    with page.expect_navigation():
        page.get_by_role("link", name="Ermengarde Quillebeuf").click()
    page.get_by_role("heading", name="Sa fiche").wait_for()
    assert_accessible(page)

    page.get_by_role("link", name="Effacer ses données").click()
    assert_accessible(page)
    page.get_by_label("Motif de l'effacement").fill("Demande écrite de la personne, 2 juin.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # « Continuer », from the keyboard
    page.wait_for_selector("text=Avant de confirmer")
    assert_accessible(page)
    page.get_by_role("button", name="Confirmer").click()
    page.wait_for_selector("text=Les données de la personne sont effacées.")
    assert_accessible(page)
    assert Expert.objects.get(pk=expert.pk).first_name == "Personne effacée"
