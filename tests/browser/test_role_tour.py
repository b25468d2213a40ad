"""The role tour: every demo login, at desktop (1366 px) and phone (390 px) widths, opens
every entry of its menu (read from the page, as a person sees it) on the demo data, and one
step further the first row's page and the first other page each of them links to, with every
disclosure (``<details>``) open. No page is wider than the screen, logs a console error,
answers 4xx/5xx (nor any request it makes), shows a field without a visible label or an
image without a text alternative, or breaks a WCAG 2.1 A/AA rule that axe-core checks
(docs/architecture.md §12).

The demo is seeded once for the module, committed, and served by a live server of the
module's own; the tables are emptied when the module ends, as a transactional test does.
"""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test.utils import modify_settings
from pytest_django.live_server_helper import LiveServer

from alize.demo import DEMO_PASSWORD
from tests.browser.accessibility import axe_violations
from tests.clock import before_the_tests
from tests.conftest import ensure_reference_data
from tests.demo_data import demo_of

# The tests' own connection reads nothing: the plain (rolled back) database mark only has
# the test database set up; the live server's connection reads the committed demo.
pytestmark = [pytest.mark.browser, pytest.mark.django_db]

ROLES = {
    "coordination": "coordination@demo.alize.fr",
    "animateur": "animateur.valenciennes@demo.alize.fr",
    "membre": "membre.valenciennes@demo.alize.fr",
    "correspondant": "correspondant.saint-gobain@demo.alize.fr",
    "expert": "expert.saint-gobain@demo.alize.fr",
}
FIRST = "coordination"  # who also tours the account's pages (password, second factor)
WIDTHS = {"desktop": 1366, "phone": 390}
# Every login above works in Valenciennes (Saint-Gobain holds a seat there): seeding that one
# dispositif rather than the whole demo keeps the module short.
TOURED_DISPOSITIFS = ("valenciennes",)
# Entries that lead out of the pages a role tours: the Django admin, signing out.
OUTSIDE = re.compile(r"^/(admin|deconnexion|logout|i18n)/")


@pytest.fixture(scope="module")
def demo_site(django_db_setup, django_db_blocker):
    """The demo data, committed, behind a live server; the tables are emptied afterwards."""
    with django_db_blocker.unblock():
        ensure_reference_data()
        with before_the_tests(), demo_of(TOURED_DISPOSITIFS):
            call_command("seed_demo", stdout=StringIO())
        server = LiveServer("localhost")
        hosts = modify_settings(ALLOWED_HOSTS={"append": "localhost"})
        hosts.enable()
        try:
            yield server
        finally:
            hosts.disable()
            server.stop()
            # As a transactional test ends: every table emptied, then content types and
            # permissions put back by post_migrate.
            call_command("flush", interactive=False, verbosity=0, reset_sequences=False)


def menu_entries(page, account_pages: bool) -> list[str]:
    """The paths of the menu's entries (and of the account's links of the header, the same
    pages for every role, with ``account_pages``), in order, the home page first."""
    links = "header a[href]" if account_pages else "header nav a[href]"
    hrefs = page.eval_on_selector_all(links, "links => links.map(a => a.getAttribute('href'))")
    return [
        href
        for href in dict.fromkeys(["/", *hrefs])
        if href.startswith("/") and not OUTSIDE.match(href)
    ]


# The form fields of the page that have no visible label: a <label> shown on screen, or, in a
# grid of inputs (the week grid), the header cells of the table around an aria-label.
UNLABELLED_FIELDS = """() => {
    const visible = element => element.checkVisibility({visibilityProperty: true});
    const shown = element => element && visible(element) && element.textContent.trim();
    const byId = id => shown(document.getElementById(id));
    const inGrid = field => field.closest('td') && field.closest('table').querySelector('th');
    const labelled = field => [...field.labels].some(shown)
        || (field.getAttribute('aria-labelledby') || '').split(' ').some(byId)
        || (field.getAttribute('aria-label') && inGrid(field));
    return [...document.querySelectorAll('main input, main select, main textarea')]
        .filter(field => !['hidden', 'submit', 'button', 'reset'].includes(field.type))
        .filter(field => visible(field) && !labelled(field))
        .map(field => field.name || field.id);
}"""
# The images of the page without a text alternative: every SVG not hidden is an image with a
# name (aria-label or title), and a chart (alize/charts.py) has a description too.
IMAGES_WITHOUT_TEXT = """() => [...document.querySelectorAll('main svg:not([aria-hidden=true])')]
    .filter(svg => {
        const text = selector => ((svg.querySelector(selector) || {}).textContent || '').trim();
        const named = (svg.getAttribute('aria-label') || '').trim() || text(':scope > title');
        const described = !svg.hasAttribute('data-chart-svg') || text(':scope > desc');
        return svg.getAttribute('role') !== 'img' || !named || !described;
    })
    .map(svg => svg.dataset.chartSvg || svg.outerHTML.slice(0, 60))"""


# Two pages one step further: the first link of the page's table (a row's page) and its first
# link outside any table (a form to create one, a definition…): a path to an id or a slug,
# neither a download nor the list again with other filters.
NEXT_PAGES = """() => {
    const page = a => {
        const href = a.getAttribute('href');
        return /\\/(\\d+|[a-z0-9-]+)\\/$/.test(href) && !href.includes('telecharger') ? href : null;
    };
    const links = [...document.querySelectorAll('main a[href^="/"]')];
    const first = found => found.map(page).filter(Boolean)[0] || null;
    const inTables = links.filter(a => a.closest('tbody'));
    return [first(inTables), first(links.filter(a => !a.closest('table')))];
}"""


def check_page(page, width: int, note) -> None:
    """Notes what the page in ``page`` breaks, with its disclosures open: width, labels,
    images, axe-core's rules."""
    page.evaluate("() => document.querySelectorAll('main details').forEach(d => d.open = true)")
    wide = page.evaluate("document.documentElement.scrollWidth")
    if wide > width:
        note("width", f"{wide}px on a {width}px screen")
    for name in page.evaluate(UNLABELLED_FIELDS):
        note("label", f"field {name!r} has no visible label")
    for image in page.evaluate(IMAGES_WITHOUT_TEXT):
        note("image", f"image {image!r} has no text alternative")
    for violation in axe_violations(page):
        note("axe", violation)


def tour(
    chromium, base_url: str, email: str, width: int, account_pages: bool = False
) -> tuple[list[str], dict[str, list]]:
    """Every menu entry of ``email`` at ``width`` and the next pages of each (``NEXT_PAGES``):
    the pages, and the problems found on each."""
    context = chromium.new_context(
        locale="fr-FR", base_url=base_url, viewport={"width": width, "height": 900}
    )
    context.set_default_timeout(15_000)
    page = context.new_page()
    problems: dict[str, list] = {}
    here = {"path": "/connexion/"}

    def note(kind: str, detail) -> None:
        problems.setdefault(here["path"], []).append((kind, detail))

    page.on("console", lambda m: note("console", m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: note("pageerror", str(error)))
    page.on(
        "response",
        lambda r: note("http", f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    try:
        page.goto("/connexion/")
        page.fill("input[name=email]", email)
        page.fill("input[name=password]", DEMO_PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url(lambda url: "/connexion/" not in url)
        entries = menu_entries(page, account_pages)
        toggle = page.locator("button.menu-toggle")
        if toggle.is_visible():  # a phone: the menu itself, unfolded
            here["path"] = "menu"
            toggle.click()
            check_page(page, width, note)
        further = []
        for path in entries:
            here["path"] = path
            page.goto(path)
            check_page(page, width, note)
            further.extend(page.evaluate(NEXT_PAGES))
        for path in dict.fromkeys(
            path for path in further if path and path not in entries and not OUTSIDE.match(path)
        ):
            here["path"] = path
            page.goto(path)
            check_page(page, width, note)
            entries.append(path)
    finally:
        context.close()
    return entries, problems


@pytest.mark.parametrize("width_name", sorted(WIDTHS))
@pytest.mark.parametrize("role", list(ROLES))
def test_every_menu_entry_of_every_role(demo_site, chromium, role, width_name):
    visited, problems = tour(
        chromium, demo_site.url, ROLES[role], WIDTHS[width_name], account_pages=role == FIRST
    )
    axe = sum(1 for found in problems.values() for kind, _ in found if kind == "axe")
    print(f"\n{role} {width_name}: {len(visited)} pages, {axe} axe violation(s)")
    for path, found in problems.items():
        for kind, detail in found:
            print(f"  {path} {kind}: {detail}")
    assert "/" in visited and len(visited) >= 4, visited  # the menu was read
    assert problems == {}
