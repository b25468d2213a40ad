"""The main menu: its sections hold on one row at 1366 px for every role, open and close
from the keyboard alone, mark the current section, fold on a phone with every entry still
reachable, and still lead everywhere without JavaScript."""

import pytest

from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PHONE, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}


@pytest.fixture
def laptop(chromium, live_server):
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=LAPTOP)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def no_script(chromium, live_server):
    context = chromium.new_context(
        locale="fr-FR", base_url=live_server.url, viewport=LAPTOP, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


def menu_rows(page) -> dict:
    """The menu's height beside its tallest item's: one row when they are the same."""
    return page.evaluate(
        """() => {
            const menu = document.querySelector('.mainnav .menu');
            const items = Array.from(menu.children).map(li => li.getBoundingClientRect());
            const row = Math.max(...items.map(r => r.height));
            const bar = Array.from(document.querySelectorAll(
                '.topbar > *, .topbar-menu > *, .topbar-right > *'
            )).map(e => e.getBoundingClientRect()).filter(r => r.height > 0);
            return {
                menu: menu.getBoundingClientRect().height,
                row: row,
                // The bar's parts (brand, menu, language switch, account) share one row.
                bar_rows: Math.max(...bar.map(r => r.top)) - Math.min(...bar.map(r => r.top)),
            };
        }"""
    )


def link_labels(page) -> list[str]:
    return page.locator(".mainnav a").all_inner_texts()


@pytest.mark.parametrize("role", ["coordinator", "animateur"])
def test_the_menu_holds_on_one_row_at_1366_px(laptop, world, role):
    user = world.coordinator if role == "coordinator" else world.animateur_a
    log_in(laptop, user.email)
    laptop.goto("/pme/projets/")
    rows = menu_rows(laptop)
    assert rows["menu"] <= rows["row"] + 1, rows
    # The whole bar, with the language switch and the account menu, is one row too.
    assert rows["bar_rows"] < rows["row"] / 2, rows
    # Every entry is still there: behind the sections' buttons.
    assert len(link_labels(laptop)) >= (14 if role == "coordinator" else 12)
    assert_accessible(laptop)


def test_sections_open_and_close_from_the_keyboard(laptop, world):
    log_in(laptop, world.animateur_a.email)
    laptop.goto("/pme/projets/")
    nav = laptop.get_by_role("navigation", name="Navigation principale")
    pipeline = nav.get_by_role("button", name="Pipeline")
    financing = nav.get_by_role("button", name="Financement")
    # The current section is marked, and so is the current page inside it.
    assert pipeline.get_attribute("aria-current") == "true"
    assert financing.get_attribute("aria-current") is None
    assert nav.locator('a[aria-current="page"]').all_inner_texts() == ["Projets"]
    # Closed, its links are out of sight.
    companies = nav.get_by_role("link", name="Entreprises", exact=True)
    assert pipeline.get_attribute("aria-expanded") == "false" and not companies.is_visible()
    assert_accessible(laptop)

    pipeline.focus()
    laptop.keyboard.press("Enter")
    assert pipeline.get_attribute("aria-expanded") == "true" and companies.is_visible()
    assert_accessible(laptop)
    laptop.keyboard.press("Tab")
    assert laptop.evaluate("document.activeElement.textContent") == "Entreprises"
    laptop.keyboard.press("Escape")
    assert pipeline.get_attribute("aria-expanded") == "false" and not companies.is_visible()
    assert laptop.evaluate("document.activeElement.textContent") == "Pipeline"

    # Space opens too; opening another section closes the first.
    laptop.keyboard.press(" ")
    assert pipeline.get_attribute("aria-expanded") == "true"
    financing.focus()
    laptop.keyboard.press("Enter")
    assert financing.get_attribute("aria-expanded") == "true"
    assert pipeline.get_attribute("aria-expanded") == "false"
    # Tabbing out of a section closes it; a click elsewhere too.
    for _link in range(3):
        laptop.keyboard.press("Tab")
    laptop.keyboard.press("Tab")
    assert financing.get_attribute("aria-expanded") == "false"
    financing.click()
    assert financing.get_attribute("aria-expanded") == "true"
    laptop.locator("footer").click()
    assert financing.get_attribute("aria-expanded") == "false"

    # An entry of a section leads to its page, which its section then marks.
    financing.click()
    nav.get_by_role("link", name="Impayés").click()
    laptop.wait_for_url("**/advances/arrears/")
    assert financing.get_attribute("aria-current") == "true"
    assert pipeline.get_attribute("aria-current") is None


def test_on_a_phone_the_folded_menu_opens_and_every_entry_is_reachable(phone, world):
    log_in(phone, world.coordinator.email)
    phone.goto("/")
    nav = phone.get_by_role("navigation", name="Navigation principale")
    toggle = phone.locator("button.menu-toggle")
    assert not nav.is_visible()
    assert_accessible(phone)
    toggle.click()
    assert nav.is_visible()
    assert_accessible(phone)
    reached = set()
    for button in nav.get_by_role("button").all():
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        section = button.locator("xpath=..")
        for link in section.get_by_role("link").all():
            assert link.is_visible()
            box = link.bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 1
            reached.add(link.inner_text())
        assert_accessible(phone)
    for link in nav.locator(":scope > ul > li > a").all():
        assert link.is_visible()
        reached.add(link.inner_text())
    assert reached == set(link_labels(phone)), reached
    assert {"Accueil", "Projets", "Avances", "Missions", "Documents", "Organisations"} <= reached
    # Escape folds the menu back, the focus on its button.
    phone.keyboard.press("Escape")  # closes the open section
    phone.keyboard.press("Escape")  # then the menu
    assert not nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"


def test_without_javascript_every_entry_shows_under_its_heading(no_script, world):
    log_in(no_script, world.animateur_a.email)
    no_script.goto("/pme/projets/")
    nav = no_script.get_by_role("navigation", name="Navigation principale")
    assert not nav.get_by_role("button").first.is_visible()
    links = nav.get_by_role("link").all()
    assert len(links) >= 12 and all(link.is_visible() for link in links)
    assert nav.locator(".menu-heading", has_text="Pipeline").is_visible()
