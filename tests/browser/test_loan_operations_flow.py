"""The loan operations pages in Chromium, at desktop and phone width (docs/architecture.md
§7.1–7.4): the fund's animateur sets the collection account (a wrong IBAN refused by its
field, which gets the focus), records an SME's SEPA mandate, draws the collection file and
downloads it, imports the bank's CAMT.053 statement, confirms the debit it reports and
dismisses the credit that matches nothing, and meets the provision rates form. Every page
fits the width and passes axe-core."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from alize.tenancy import scope
from loans.bank_files import CamtEntry, camt053_document
from loans.models import DirectDebitLine, Fund
from tests.browser.accessibility import assert_accessible
from tests.browser.conftest import DESKTOP, PHONE, log_in, sized_page, width_of
from tests.browser.test_form_errors_flow import focused
from tests.celery_worker import fresh_queue, worker_process
from tests.clock import TODAY
from tests.loans.builders import make_fund
from tests.loans.statements_builders import named_advance

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]

CREDITOR_ID = "FR72ZZZ123456"
FUND_IBAN = "FR76 3000 6000 0112 3456 7890 189"
FUND_BIC = "BNPAFRPP"
SME_IBAN = "FR14 2004 1010 0505 0001 3M02 606"
SME_BIC = "PSSTFRPP"


def submit(form):
    with form.page.expect_navigation():
        form.locator("button[type=submit]").first.click()


SETTLED = """() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')
    && [...document.querySelectorAll('main table.table')]
        .every(table => table.parentElement.classList.contains('table-scroll'))"""


def fits(page, viewport) -> None:
    # A boosted form's answer is swapped in by htmx; once it settles, static/js/alize.js
    # puts each table in its scrolling box (a named region when the table is wider).
    page.wait_for_function(SETTLED)
    assert width_of(page) <= viewport["width"], page.url
    assert_accessible(page)


def open_details(page, name: str):
    """The form of a ``<details data-form=name>``, unfolded."""
    details = page.locator(f"details[data-form={name}]")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return details.locator("form")


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_animateur_collects_reconciles_and_provisions(
    chromium, live_server, world, viewport, tmp_path
):
    fund = make_fund(world.a, name="Fonds Valenciennes")
    advance = named_advance(fund, "Boulangerie Martin")
    with sized_page(chromium, live_server, viewport) as page:
        log_in(page, world.animateur_a.email)

        # 1. The collection account: a wrong IBAN (check digits) is refused by its field,
        # which gets the focus, and nothing is saved; then the right one.
        page.goto(f"/funds/{fund.pk}/")
        fits(page, viewport)
        form = open_details(page, "collection-account")
        form.locator("[name=account-creditor_identifier]").fill(CREDITOR_ID)
        form.locator("[name=account-iban]").fill(FUND_IBAN[:-1] + "8")
        form.locator("[name=account-bic]").fill(FUND_BIC)
        submit(form)
        state = focused(page)
        assert state["name"] == "account-iban", state
        assert state["invalid"] == "true"
        assert state["error_in_field"] and state["error_in_field"] in state["description"]
        fits(page, viewport)  # the refused form, open, with its error
        with scope([world.a]):
            assert Fund.objects.get(pk=fund.pk).creditor_identifier == ""
        form = open_details(page, "collection-account")
        form.locator("[name=account-iban]").fill(FUND_IBAN)
        submit(form)
        assert (
            "compte de prélèvement du fonds est enregistré"
            in page.locator(".messages").inner_text()
        )
        assert CREDITOR_ID in page.locator("[data-collection-account]").inner_text()

        # 2. The SME's mandate, on the advance's page.
        page.goto(f"/advances/{advance.pk}/")
        fits(page, viewport)
        form = open_details(page, "mandate")
        form.locator("[name=mandate-iban]").fill(SME_IBAN)
        form.locator("[name=mandate-bic]").fill(SME_BIC)
        submit(form)
        mandate = page.locator("table[data-table=mandates] tbody tr[data-mandate]")
        assert mandate.count() == 1
        reference = mandate.get_attribute("data-mandate")
        assert mandate.locator("[data-state=in-force]").count() == 1
        fits(page, viewport)

        # The collection file of today: the first instalment, due 15 days ago.
        page.goto(f"/funds/{fund.pk}/")
        submit(page.locator("form[data-form=collection]"))
        collections = page.locator("table[data-table=collections] tbody tr[data-collection]")
        assert collections.count() == 1
        fits(page, viewport)
        page.goto(f"/funds/{fund.pk}/collections/")
        assert page.locator("table[data-table=collections] tbody tr[data-collection]").count() == 1
        fits(page, viewport)
        link = page.locator("table[data-table=collections] a[download]").first.get_attribute("href")
        answer = page.request.get(link)
        assert answer.ok, answer.status
        xml = answer.text()
        assert "pain.008" in xml and f"<MndtId>{reference}</MndtId>" in xml
        with scope([world.a]):
            end_to_end_id = DirectDebitLine.objects.get(mandate__reference=reference).end_to_end_id
        assert f"<EndToEndId>{end_to_end_id}</EndToEndId>" in xml

        # 3. The bank's statement: the debit paid, and a credit nobody can place.
        statement = camt053_document(
            account_iban=FUND_IBAN.replace(" ", ""),
            entries=[
                CamtEntry(
                    booking_date=TODAY,
                    amount=Decimal("1000.00"),
                    reference="BANK-1",
                    end_to_end_id=end_to_end_id,
                    mandate_id=reference,
                    name="BOULANGERIE MARTIN",
                ),
                CamtEntry(
                    booking_date=TODAY,
                    amount=Decimal("37.50"),
                    reference="BANK-2",
                    name="INCONNU SARL",
                    text="VIREMENT DIVERS",
                ),
            ],
        )
        page.goto(f"/funds/{fund.pk}/statements/")
        fits(page, viewport)
        form = page.locator("form[data-form=statement-import]")
        form.locator("[name=source_format]").select_option("camt053")
        form.locator("[name=file]").set_input_files(
            files=[{"name": "releve.xml", "mimeType": "application/xml", "buffer": statement}]
        )
        submit(form)
        page.wait_for_url(re.compile(r"/funds/statements/\d+/$"))
        assert "2 lignes importées" in page.locator(".messages").inner_text()
        lines = page.locator("table[data-table=statement-lines] tbody tr[data-line]")
        assert lines.count() == 2
        high = lines.filter(has=page.locator("[data-confidence=high]"))
        assert high.count() == 1 and high.get_attribute("data-state") == "suggested"
        unmatched = page.locator("tr[data-line][data-state=unmatched]")
        assert unmatched.count() == 1 and "INCONNU SARL" in unmatched.inner_text()
        fits(page, viewport)
        # Recording runs in the background: a real worker records the line while the page
        # shows its progress, which stops polling once done.
        with (
            fresh_queue() as (_broker, queue),
            worker_process(tmp_path / "worker.log", queue=queue),
        ):
            submit(page.locator("form[data-form=confirm-high]"))
            page.locator("#enregistrement[data-status=done]").wait_for(timeout=60_000)
        assert page.locator("#enregistrement[hx-trigger]").count() == 0, "polling stopped"
        page.reload()
        assert page.locator("tr[data-state=recorded]").count() == 1
        assert page.locator("form[data-form=confirm-high]").count() == 0
        fits(page, viewport)

        # The queue keeps the other line; it is dismissed with its reason.
        page.goto(f"/funds/{fund.pk}/statements/queue/")
        queue = page.locator("table[data-table=statement-lines] tbody tr[data-line]")
        assert queue.count() == 1
        assert "INCONNU SARL" in queue.inner_text()
        fits(page, viewport)
        dismiss = queue.locator("form[data-form=dismiss]")
        dismiss.locator("input[name$=-reason]").fill("Virement sans rapport avec une avance")
        submit(dismiss)
        assert page.locator("table[data-table=statement-lines] tbody tr[data-line]").count() == 0
        fits(page, viewport)

        # 4. The provision rates: a rate of 150 % is refused by its field.
        page.goto(f"/funds/{fund.pk}/")
        form = page.locator("form[data-form=provision-rates]")
        form.locator("[name=rates-0-min_days_past_due]").fill("0")
        form.locator("[name=rates-0-rate]").fill("150")
        submit(form)
        field = page.locator("form[data-form=provision-rates] .field.has-error")
        assert field.count() >= 1
        assert field.first.locator("[name=rates-0-rate]").count() == 1
        assert field.first.locator(".error").inner_text().strip()
        fits(page, viewport)
