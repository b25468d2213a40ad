"""Accessibility beyond the robot (RGAA / WCAG 2.1 AA), in headless Chromium: the menu and
the missions' week grid with the keyboard alone, a visible focus, a refused form that
announces its errors and links them to their fields, wide tables that scroll in a region
the keyboard reaches, ``<html lang>`` following the language switch, the public
accessibility statement, and axe-core's check proven to fail on a planted fault."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from alize.tenancy import scope
from missions.models import HourLog
from pme.models import Stage
from tests.browser.accessibility import assert_accessible, axe_violations
from tests.browser.conftest import PHONE, log_in, width_of
from tests.clock import TODAY
from tests.factories import CompanyFactory, SkillFactory, project_at
from tests.missions.conftest import approved_decision, make_expert, running_mission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED = "() => document.activeElement"


def tab_to(page, predicate: str, most: int = 40) -> None:
    """Press Tab until ``predicate`` (a JavaScript function of the focused element) holds."""
    for _ in range(most):
        page.keyboard.press("Tab")
        if page.evaluate(f"({predicate})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def focus_ring_of(page) -> tuple[str, float]:
    """The outline style and width (px) of the focused element, as drawn."""
    style, width = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"
    )
    return style, width


def test_the_menu_with_the_keyboard_alone_on_a_desktop(page, world):
    log_in(page, world.animateur_a.email)
    page.goto("/")
    page.keyboard.press("Tab")  # the first stop: the skip link, shown when focused
    skip = page.locator("a.skip-link")
    assert page.evaluate("() => document.activeElement.classList.contains('skip-link')")
    assert skip.is_visible() and skip.bounding_box()["y"] >= 0
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"

    page.goto("/")
    tab_to(page, "e => e.closest('nav.mainnav') && e.textContent.trim() === 'Comités'")
    style, width = focus_ring_of(page)
    assert style != "none" and width >= 2
    page.keyboard.press("Enter")
    page.wait_for_url("**/comites/")
    assert page.locator("nav.mainnav a[aria-current=page]").inner_text() == "Comités"


def test_the_folded_menu_with_the_keyboard_alone_on_a_phone(phone, world):
    log_in(phone, world.animateur_a.email)
    phone.goto("/")
    nav = phone.get_by_role("navigation", name="Navigation principale")
    toggle = phone.locator("button.menu-toggle")
    tab_to(phone, "e => e.classList.contains('menu-toggle')", most=5)
    style, width = focus_ring_of(phone)
    assert style != "none" and width >= 2
    phone.keyboard.press("Enter")
    assert toggle.get_attribute("aria-expanded") == "true" and nav.is_visible()
    phone.keyboard.press("Tab")  # into the unfolded menu
    assert phone.evaluate("() => !!document.activeElement.closest('nav.mainnav')")
    phone.keyboard.press("Escape")  # folds it and gives the focus back to its button
    assert toggle.get_attribute("aria-expanded") == "false" and not nav.is_visible()
    assert phone.evaluate("() => document.activeElement.classList.contains('menu-toggle')")
    phone.keyboard.press("Space")
    assert nav.is_visible()
    tab_to(phone, "e => e.closest('nav.mainnav') && e.textContent.trim() === 'Comités'")
    phone.keyboard.press("Enter")
    phone.wait_for_url("**/comites/")
    assert width_of(phone) <= PHONE["width"]


@pytest.fixture
def mission(world):
    """A's expert on one mission in progress, begun 60 days ago."""
    skill = SkillFactory(name="Qualité (parcours)", slug="qualite-parcours")
    expert = make_expert(world.firm_a, user=world.expert_a, skills=[skill], last_name="Durand")
    return running_mission(
        approved_decision(world.a, missions=1),
        world.firm_a,
        skill,
        animateur=world.animateur_a,
        correspondent=world.correspondent_a,
        experts=[expert],
        objective="Plan qualité",
        starts_on=TODAY - dt.timedelta(days=60),
    )


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_the_week_grid_with_the_keyboard_alone(chromium, live_server, world, mission, viewport):
    size = PHONE if viewport == "phone" else {"width": 1366, "height": 768}
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=size)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        log_in(page, world.expert_a.email)
        page.goto("/missions/hours/")
        cells = page.eval_on_selector_all(
            f"tr[data-row='{mission.pk}'] input[data-hours]", "inputs => inputs.map(i => i.name)"
        )
        assert len(cells) >= 2, cells
        tab_to(page, "e => e.matches('input[data-hours]')")
        assert page.evaluate("() => document.activeElement.name") == cells[0]
        style, width = focus_ring_of(page)
        assert style != "none" and width >= 2
        page.keyboard.type("2")
        page.keyboard.press("ArrowRight")  # the next day of the row
        assert page.evaluate("() => document.activeElement.name") == cells[1]
        page.keyboard.type("3.5")
        total = page.locator(f"tr[data-row='{mission.pk}'] [data-row-total]")
        assert total.inner_text() == "5,5"  # the row's total follows what is typed
        page.keyboard.press("Enter")  # submits the week
        page.locator("#grid-saved").wait_for()
        assert page.locator("#grid-saved").get_attribute("role") == "status"
        assert width_of(page) <= size["width"]
        assert_accessible(page)
    finally:
        context.close()
    with scope([world.a.pk]):
        stored = {log.date.isoformat(): log.hours for log in HourLog.objects.filter(kind="entry")}
    assert stored == {cells[0][-10:]: Decimal("2"), cells[1][-10:]: Decimal("3.5")}


def test_a_refused_form_announces_its_errors_and_links_them_to_their_fields(page, world):
    log_in(page, world.animateur_a.email)
    page.goto("/pme/entreprises/nouvelle/")
    form = page.locator("main form[method=post]").first
    labels = form.evaluate(
        "f => [...f.querySelectorAll('input:not([type=hidden]), select, textarea')]"
        ".filter(i => i.offsetParent !== null)"
        ".map(i => [i.name, [...i.labels].map(l => l.innerText.trim()).join('')])"
    )
    assert labels and all(text for _name, text in labels), labels  # a visible label each

    form.locator("[name=siren]").fill("123")
    with page.expect_navigation():
        form.locator("button[type=submit]").first.click()
    summary = page.locator("[data-error-summary]")
    assert summary.get_attribute("role") == "alert"
    # The summary is announced; the focus is on the first refused field, by its message.
    assert page.evaluate(
        "() => document.activeElement === document.querySelector('main [aria-invalid=true]')"
    )
    siren = page.locator("main [name=siren]")
    assert siren.get_attribute("aria-invalid") == "true"
    described = siren.get_attribute("aria-describedby").split()
    message = page.locator(f"#{described[-1]}")
    assert described[-1] == "id_siren_error" and message.inner_text().strip()
    assert "has-error" in page.locator("[data-field=siren]").get_attribute("class")
    link = summary.locator("a[href='#id_siren']")
    assert message.inner_text().strip() in summary.inner_text()
    page.evaluate("() => document.activeElement.blur()")
    link.click()  # the summary's link leads to the field
    assert page.evaluate("() => document.activeElement.name") == "siren"
    assert_accessible(page)


@pytest.fixture
def long_projects(world):
    company = CompanyFactory(
        dispositif=world.a,
        name="Société industrielle de chaudronnerie et de mécano-soudure du Hainaut",
    )
    for _ in range(3):
        project_at(Stage.IN_INSTRUCTION, company=company, by=world.animateur_a)


def test_a_wide_table_scrolls_in_a_region_the_keyboard_reaches(phone, world, long_projects):
    log_in(phone, world.animateur_a.email)
    phone.goto("/pme/projets/")
    region = phone.locator("main .table-scroll").first
    assert region.get_attribute("role") == "region"
    assert region.get_attribute("tabindex") == "0"
    name = phone.locator(f"#{region.get_attribute('aria-labelledby')}").inner_text()
    assert name.strip()
    assert width_of(phone) <= PHONE["width"]
    tab_to(phone, "e => e.classList.contains('table-scroll')")
    phone.keyboard.press("ArrowRight")
    phone.keyboard.press("ArrowRight")
    phone.wait_for_function(
        "() => document.querySelector('main .table-scroll').scrollLeft > 0", timeout=3_000
    )
    assert_accessible(phone)

    # At desktop width the same table fits: no region, no extra stop for the keyboard.
    phone.set_viewport_size({"width": 1366, "height": 768})
    phone.wait_for_function(
        "() => !document.querySelector('main .table-scroll').hasAttribute('tabindex')",
        timeout=3_000,
    )


def test_html_lang_follows_the_interface_language(page, world):
    page.goto("/accessibilite/")
    assert page.locator("html").get_attribute("lang") == "fr"
    with page.expect_navigation():
        page.click("form.langswitch button[value=en]")
    assert page.locator("html").get_attribute("lang") == "en"
    page.goto("/connexion/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Log in"
    log_in(page, world.animateur_a.email)
    assert page.locator("html").get_attribute("lang") == "en"
    with page.expect_navigation():
        page.click("form.langswitch button[value=fr]")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.get_by_role("link", name="Accueil").first.is_visible()


@pytest.mark.parametrize("viewport", [{"width": 1366, "height": 768}, PHONE])
def test_the_accessibility_statement_is_public_and_linked_from_every_page(
    chromium, live_server, world, viewport
):
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/connexion/")
        with page.expect_navigation():
            page.locator("footer a", has_text="Accessibilité").click()
        assert page.url.endswith("/accessibilite/")
        assert page.locator("h1").inner_text() == "Déclaration d'accessibilité"
        text = page.locator("main").inner_text()
        for part in ("RGAA", "non conforme", "axe-core", "Défenseur des droits", "Contenus"):
            assert part in text, part
        assert width_of(page) <= viewport["width"]
        assert_accessible(page)
        log_in(page, world.member_a.email)
        assert page.locator("footer a[href='/accessibilite/']").count() == 1
    finally:
        context.close()


def test_the_check_fails_on_a_planted_low_contrast_text(page):
    page.goto("/accessibilite/")
    assert axe_violations(page) == []
    page.evaluate(
        """() => {
            const planted = document.createElement('p');
            planted.id = 'planted';
            planted.textContent = 'Texte gris clair sur fond blanc';
            planted.style.color = '#b0b0b0';
            planted.style.background = '#ffffff';
            document.querySelector('main').appendChild(planted);
        }"""
    )
    violations = axe_violations(page)
    assert [v["id"] for v in violations] == ["color-contrast"]
    assert violations[0]["nodes"] == ["#planted"]
    with pytest.raises(AssertionError, match="color-contrast"):
        assert_accessible(page)
