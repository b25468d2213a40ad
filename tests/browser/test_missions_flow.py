"""Expert hours in headless Chromium: an expert logs a week in the grid (a 13-hour day is
refused naming the day, the rest is saved), the firm's correspondent sees the hours, the
animateur closes the month and adds an adjustment, and the expert can no longer change the
locked days while the adjustment shows as its own line. Also the grid at phone width."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from alize.tenancy import scope
from missions.models import HourLog
from tests.browser.conftest import PHONE, log_in, width_of
from tests.clock import TODAY
from tests.factories import SkillFactory
from tests.missions.conftest import approved_decision, make_expert, running_mission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


# The week the flow logs: the first full week of last month (May 2026), in this year, the
# year the correspondent's home shows; a month is closed once it has begun.
FLOW_MONDAY = dt.date(2026, 5, 4)


@pytest.fixture
def two_missions(world):
    """A's expert on two missions in progress of dispositif A, begun 60 days ago."""
    skill = SkillFactory(name="Qualité (parcours)", slug="qualite-parcours")
    expert = make_expert(world.firm_a, user=world.expert_a, skills=[skill], last_name="Durand")
    missions = []
    for objective in ("Plan qualité", "Atelier en flux"):
        decision = approved_decision(world.a, missions=1)
        missions.append(
            running_mission(
                decision,
                world.firm_a,
                skill,
                animateur=world.animateur_a,
                correspondent=world.correspondent_a,
                experts=[expert],
                objective=objective,
                starts_on=TODAY - dt.timedelta(days=75),
            )
        )
    return expert, missions


def week_param(monday: dt.date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def cell(page, mission, day):
    return page.locator(f"input[name='h-{mission.pk}-{day.isoformat()}']")


def test_expert_week_refusal_correspondent_closing_and_adjustment(
    chromium, live_server, world, two_missions
):
    expert, (first, second) = two_missions
    monday = FLOW_MONDAY
    tuesday, wednesday, thursday = (monday + dt.timedelta(days=n) for n in (1, 2, 3))

    def new_page():
        context = chromium.new_context(locale="fr-FR", base_url=live_server.url)
        context.set_default_timeout(10_000)
        return context.new_page()

    # 1. The expert fills the week: 8 h + 5 h on Tuesday is one hour too many.
    page = new_page()
    log_in(page, world.expert_a.email)
    page.goto(f"/missions/hours/?week={week_param(monday)}")
    cell(page, first, monday).fill("7")
    cell(page, first, monday).press("ArrowRight")  # the arrow keys move along the row
    focused = page.evaluate("document.activeElement.name")
    assert focused == f"h-{first.pk}-{tuesday.isoformat()}"
    page.keyboard.type("8")
    cell(page, first, wednesday).fill("6")
    cell(page, second, tuesday).fill("5")
    cell(page, second, thursday).fill("4")
    assert page.locator(f"[data-day-total='{tuesday.isoformat()}']").inner_text() == "13"
    page.get_by_role("button", name="Enregistrer la semaine").click()
    refusals = page.locator("#grid-refusals")
    refusals.wait_for()
    text = refusals.inner_text()
    assert f"mardi {tuesday.day}" in text and "13" in text, text
    assert page.locator(f"td.refused input[name='h-{second.pk}-{tuesday.isoformat()}']").count()
    stored = {
        (log.mission_id, log.date): log.hours
        for log in HourLog.unscoped_objects.filter(expert=expert, kind="entry")
    }
    assert stored == {
        (first.pk, monday): Decimal("7"),
        (first.pk, tuesday): Decimal("8"),
        (first.pk, wednesday): Decimal("6"),
        (second.pk, thursday): Decimal("4"),
    }
    page.context.close()

    # 2. The firm's correspondent sees the month's hours on the home page.
    page = new_page()
    log_in(page, world.correspondent_a.email)
    hours = page.locator("#panel-firm-hours [data-table='firm-hours'] td[data-hours]")
    assert hours.first.inner_text() == "25"
    page.context.close()

    # 3. The animateur closes the month, then adds an adjustment.
    page = new_page()
    log_in(page, world.animateur_a.email)
    page.goto("/missions/hours/closing/")
    close = page.locator("#close-form")
    close.locator("[name=month]").fill(monday.strftime("%Y-%m"))
    with page.expect_navigation():
        close.locator("button[type=submit]").click()
    assert "seront verrouillées" in page.locator("main").inner_text()  # asked first
    with page.expect_navigation():
        page.locator("main form button[type=submit]").first.click()
    assert page.locator(f"[data-month='{monday:%Y-%m}'][data-closed]").count() == 1
    adjust = page.locator("#adjustment-form")
    adjust.locator("[name=mission]").select_option(str(first.pk))
    adjust.locator("[name=expert]").select_option(str(expert.pk))
    adjust.locator("[name=date]").fill(wednesday.isoformat())
    adjust.locator("[name=hours]").fill("-1.5")
    adjust.locator("[name=reason]").fill("Déplacement compté deux fois.")
    with page.expect_navigation():
        adjust.locator("button[type=submit]").click()
    assert "Déplacement compté deux fois." in page.locator("#adjustments").inner_text()
    page.context.close()

    # 4. The expert's days are locked; the adjustment is its own line.
    page = new_page()
    log_in(page, world.expert_a.email)
    page.goto(f"/missions/hours/?week={week_param(monday)}")
    assert cell(page, first, monday).count() == 0
    assert page.locator(f"tr[data-row='{first.pk}'] .locked-hours").first.inner_text() == "7"
    line = page.locator("tr.adjustment")
    assert line.count() == 1 and "Déplacement compté deux fois." in line.inner_text()
    assert "-1,5" in line.inner_text()
    assert HourLog.unscoped_objects.get(mission=first, date=monday, kind="entry").hours == 7
    page.context.close()


def test_week_grid_fits_a_phone(phone, world, two_missions):
    expert, (first, _second) = two_missions
    log_in(phone, world.expert_a.email)
    monday = dt.date(2026, 6, 8)  # this week's
    phone.goto("/missions/hours/")
    assert width_of(phone) <= PHONE["width"]
    grid = phone.locator(".grid-scroll")
    assert grid.evaluate("element => element.scrollWidth >= element.clientWidth")
    field = cell(phone, first, monday)
    field.scroll_into_view_if_needed()
    field.fill("2")
    phone.get_by_role("button", name="Enregistrer la semaine").click()
    phone.locator("#grid-saved").wait_for()
    with scope([world.a.pk]):
        assert HourLog.objects.get(mission=first, date=monday).hours == 2


def test_missions_pages_fit_a_phone(phone, world, two_missions):
    _expert, (first, _second) = two_missions
    log_in(phone, world.animateur_a.email)
    too_wide = {}
    for url in (
        "/missions/",
        f"/missions/{first.pk}/",
        "/missions/fatigue/",
        "/missions/hours/closing/",
        "/experts/",
    ):
        phone.goto(url)
        if width_of(phone) > PHONE["width"]:
            too_wide[url] = width_of(phone)
    assert too_wide == {}


def test_a_french_decimal_comma_is_read_as_hours_never_as_tens(page, world, two_missions):
    """« 3,5 » typed key by key in a French browser is three and a half hours, in the day's
    total and once saved: a number input would drop the comma and send 35 (and « 1,5 »
    would be saved as 15 hours)."""
    expert, (first, second) = two_missions
    monday = dt.date(2026, 6, 8)  # this week's
    log_in(page, world.expert_a.email)
    page.goto("/missions/hours/")
    cell(page, first, monday).press_sequentially("3,5")
    cell(page, second, monday).press_sequentially("1,5")
    assert page.locator(f"[data-day-total='{monday.isoformat()}']").inner_text() == "5"
    page.get_by_role("button", name="Enregistrer la semaine").click()
    page.locator("#grid-saved").wait_for()
    stored = {
        log.mission_id: log.hours
        for log in HourLog.unscoped_objects.filter(expert=expert, date=monday, kind="entry")
    }
    assert stored == {first.pk: Decimal("3.5"), second.pk: Decimal("1.5")}
    assert cell(page, first, monday).input_value() == "3,5"
