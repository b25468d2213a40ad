"""The animateur's loans flow in headless Chromium: an advance granted by a committee is
contracted, disbursed and repaid, and the schedule and the fund's balance follow; the loans
pages fit a phone."""

import re
from decimal import Decimal

import pytest

from tests.browser.conftest import PHONE, log_in, width_of
from tests.loans.builders import advance_at, make_fund

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NBSP = "\u00a0"


def euros(text: str) -> str:
    """A French amount as the page writes it (non-breaking spaces), for comparisons."""
    return text.replace(" ", NBSP)


def figure(page, name: str) -> str:
    return page.locator(f"[data-figure={name}]").first.inner_text().strip()


def submit(form):
    with form.page.expect_navigation():
        form.locator("button[type=submit]").first.click()


def test_animateur_contracts_disburses_and_records_a_repayment(page, world):
    fund = make_fund(world.a, name="Fonds Valenciennes", contributions=(Decimal("100000.00"),))
    advance = advance_at("approved", fund, amount=Decimal("12000.00"), instalment_count=12)
    log_in(page, world.animateur_a.email)

    # The fund before: nothing lent.
    page.goto(f"/funds/{fund.pk}/")
    assert figure(page, "available") == euros("100 000,00 €")
    assert figure(page, "outstanding") == euros("0,00 €")

    # The advance, from the advances list.
    page.goto("/advances/")
    page.locator(f"tr[data-advance='{advance.pk}'] a").first.click()
    page.wait_for_url(re.compile(rf"/advances/{advance.pk}/$"))
    assert page.locator("[data-status]").first.get_attribute("data-status") == "approved"
    assert "L'échéancier est établi au décaissement." in page.inner_text("#main")

    # 1. Sign the contract (dated today by default).
    submit(page.locator("form[data-form=contract]"))
    assert "Le contrat est signé." in page.locator(".messages").inner_text()
    assert page.locator("[data-status]").first.get_attribute("data-status") == "contracted"

    # 2. Disburse: the schedule appears, twelve instalments of 1 000,00 €.
    submit(page.locator("form[data-form=disburse]"))
    assert "quitteront le fonds" in page.locator("main").inner_text()  # asked first
    submit(page.locator("main form").first)
    assert page.locator("[data-status]").first.get_attribute("data-status") == "disbursed"
    rows = page.locator("table[data-table=schedule] tbody tr")
    assert rows.count() == 12
    assert euros("1 000,00 €") in rows.first.inner_text()
    assert rows.first.locator("[data-state]").get_attribute("data-state") == "due"
    assert figure(page, "outstanding") == euros("12 000,00 €")

    # The fund's balance follows: 12 000 lent out.
    page.goto(f"/funds/{fund.pk}/")
    assert figure(page, "available") == euros("88 000,00 €")
    assert figure(page, "lent") == euros("12 000,00 €")
    assert figure(page, "outstanding") == euros("12 000,00 €")

    # 3. A repayment of 1 500 €: the first instalment paid, the second in part. The form is
    # sent twice at once (a double click on a slow line); the idempotency key drawn when
    # the form was shown records it once.
    page.goto(f"/advances/{advance.pk}/")
    form = page.locator("form[data-form=repayment]")
    form.locator("[name=repayment-amount]").fill("1 500,00")
    statuses = form.evaluate(
        """form => Promise.all([1, 2].map(() =>
            fetch(form.action, {method: "POST", body: new FormData(form), redirect: "manual"})
        )).then(answers => answers.map(answer => answer.type))"""
    )
    assert statuses == ["opaqueredirect", "opaqueredirect"]  # both answered with a redirect
    page.reload()
    assert page.locator("table[data-table=repayments] tbody tr[data-repayment]").count() == 1
    rows = page.locator("table[data-table=schedule] tbody tr")
    assert rows.nth(0).locator("[data-state]").get_attribute("data-state") == "paid"
    assert rows.nth(1).locator("[data-state]").get_attribute("data-state") == "partial"
    assert rows.nth(1).locator("[data-paid]").inner_text().strip() == euros("500,00 €")
    assert figure(page, "outstanding") == euros("10 500,00 €")
    assert page.locator("[data-status]").first.get_attribute("data-status") == "repaying"
    assert page.locator("table[data-table=ledger] tbody tr").count() == 4

    # The fund again: 1 500 came back.
    page.goto(f"/funds/{fund.pk}/")
    assert figure(page, "available") == euros("89 500,00 €")
    assert figure(page, "repaid") == euros("1 500,00 €")
    assert figure(page, "outstanding") == euros("10 500,00 €")


def test_loans_pages_fit_a_phone(phone, world):
    fund = make_fund(world.a, name="Fonds d'avances remboursables du Valenciennois")
    advance = advance_at("disbursed", fund, amount=Decimal("12500.00"), instalment_count=36)
    log_in(phone, world.animateur_a.email)
    pages = [
        "/funds/",
        f"/funds/{fund.pk}/",
        "/advances/",
        f"/advances/{advance.pk}/",
        "/advances/arrears/",
        f"/advances/cofinancing/{advance.project_id}/",
    ]
    too_wide = {}
    for url in pages:
        response = phone.goto(url)
        assert response.status == 200, url
        if width_of(phone) > PHONE["width"]:
            too_wide[url] = width_of(phone)
    assert too_wide == {}
    # The utilisation chart scales down to the screen.
    phone.goto(f"/funds/{fund.pk}/")
    chart = phone.locator("figure[data-chart=utilisation] svg")
    assert chart.evaluate("svg => svg.getBoundingClientRect().right") <= PHONE["width"]


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 1366, "height": 900}]
)
def test_fund_balances_keep_each_amount_on_one_line(chromium, live_server, world, viewport):
    """« 420 926,48 € » is one figure: the balance cards never push the euro sign onto a
    line of its own, at phone or desktop width."""
    fund = make_fund(world.a, contributions=(Decimal("455000.00"),))
    context = chromium.new_context(
        base_url=live_server.url, viewport=viewport, locale="fr-FR", timezone_id="Europe/Paris"
    )
    page = context.new_page()
    try:
        log_in(page, world.animateur_a.email)
        page.goto(f"/funds/{fund.pk}/")
        assert figure(page, "available") == euros("455 000,00 €")
        lines = page.locator("[data-balances] dd").evaluate_all(
            """dds => dds.map(dd => {
                const style = getComputedStyle(dd);
                return Math.round(dd.getBoundingClientRect().height / parseFloat(style.lineHeight));
            })"""
        )
        assert lines and set(lines) == {1}, lines
    finally:
        context.close()
