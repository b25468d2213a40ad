"""The coordination's dashboard in headless Chromium, on a desktop and at phone width: the
coordination signs in and finds this year's figures at the top of its home page, clicks the
jobs created of one dispositif and lands on the list behind the figure; axe-core finds no
accessibility violation on the way."""

import datetime as dt

import pytest

from alize.indicators import INDICATORS, facts
from reporting.dashboards import drill_url
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import PHONE, log_in, width_of
from tests.clock import TODAY
from tests.reporting.test_dashboard import approved, follow_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def no_violations(page) -> None:
    assert_accessible(page)


@pytest.fixture
def figures(world):
    first, *_ = approved(world.a, dt.date(2026, 3, 2), count=2)
    follow_up(first, dt.date(2026, 5, 1), 7)
    approved(world.b, dt.date(2026, 2, 3), start=20, planned=30)
    facts.refresh_all()
    return world


def open_dashboard(page, world):
    log_in(page, world.coordinator.email)
    page.goto("/")
    dashboard = page.locator("section[data-dashboard=network]")
    dashboard.wait_for()
    assert f"Indicateurs {TODAY.year}" in page.locator("#dashboard-title").inner_text()
    return dashboard


def test_coordination_clicks_jobs_created_and_lands_on_the_list(page, figures):
    world = figures
    dashboard = open_dashboard(page, world)
    no_violations(page)
    header = dashboard.locator("th[data-column=jobs_created]")
    assert "Emplois créés" in header.inner_text()
    cell = dashboard.locator(f'tr[data-dispositif="{world.a.slug}"] td[data-key="jobs_created"]')
    assert cell.inner_text().startswith("7")
    expected = drill_url(INDICATORS["jobs_created"], TODAY.year, world.a)
    if not expected:
        # The list behind the figure is not served: the figure is shown without a link.
        assert cell.locator("a").count() == 0
        return
    link = cell.locator("a")
    assert link.get_attribute("href") == expected
    with page.expect_navigation() as navigation:
        link.click()
    assert navigation.value.status == 200
    assert page.url.endswith(expected)
    # The one follow-up behind the 7 jobs created.
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1 and "7" in rows.first.inner_text()


def test_sorting_and_filters_keep_the_dashboard_accessible(page, figures):
    world = figures
    dashboard = open_dashboard(page, world)
    with page.expect_navigation():
        dashboard.locator("th[data-column=jobs_to_create] a").first.click()
    header = page.locator("th[data-column=jobs_to_create]")
    assert header.get_attribute("aria-sort") == "ascending"
    rows = page.locator("tbody tr[data-dispositif]")
    assert rows.first.get_attribute("data-dispositif") == world.a.slug  # 8 jobs before 10
    page.locator("select[name=region]").select_option("84")
    with page.expect_navigation():
        page.locator("form.filters button[type=submit]").first.click()
    assert "region=84" in page.url and "sort=jobs_to_create" in page.url
    assert [r.get_attribute("data-dispositif") for r in rows.all()] == [world.b.slug]
    no_violations(page)


def test_dashboard_fits_a_phone(phone, figures):
    world = figures
    open_dashboard(phone, world)
    assert width_of(phone) <= PHONE["width"]
    no_violations(phone)
    for url in ("/indicateurs/?year=2025", "/indicateurs/definitions/"):
        assert phone.goto(url).status == 200
        assert width_of(phone) <= PHONE["width"], url
        no_violations(phone)
