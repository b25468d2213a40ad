"""Documents in headless Chromium: an animateur asks for last year's annual report, watches
its progress (htmx polling) while a real Celery worker builds it, then downloads the PDF."""

import pytest

from reporting.models import Document, DocumentStatus
from tests.browser.conftest import log_in
from tests.celery_worker import fresh_queue, worker_process
from tests.reporting.conftest import make_sitting

pytestmark = [pytest.mark.browser, pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_ask_watch_progress_and_download(page, world, tmp_path):
    make_sitting(world.a)
    with (
        fresh_queue() as (_broker, queue),
        worker_process(tmp_path / "worker.log", queue=queue, env={"REPORTING_STEP_PAUSE": "1.5"}),
    ):
        log_in(page, world.animateur_a.email)
        page.goto("/documents/")
        page.click("text=Demander un document")
        form = page.locator("form#document-request")
        form.locator("select[name=kind]").select_option("annual_report")
        form.locator("select[name=dispositif]").select_option(str(world.a.pk))
        form.locator("input[name=year]").fill("2026")
        with page.expect_navigation():
            form.locator("button[type=submit].primary").click()
        # The progress fragment polls while the worker builds, then shows the link.
        page.locator("#document-progress[data-status=running]").wait_for(timeout=30_000)
        page.locator("#document-progress progress").wait_for()
        link = page.locator("#document-download")
        link.wait_for(timeout=60_000)
        assert page.locator("#document-progress[hx-trigger]").count() == 0, "polling stopped"
        with page.expect_download() as download_info:
            link.click()
        download = download_info.value
        path = download.path()
    document = Document.objects.get()
    assert document.status == DocumentStatus.DONE
    assert download.suggested_filename == document.filename
    with open(path, "rb") as downloaded, document.file.open("rb") as stored:
        assert downloaded.read() == stored.read()


def test_documents_pages_fit_a_phone(phone, world):
    from tests.browser.conftest import PHONE, width_of
    from tests.reporting.conftest import make_document

    done = make_document(world.a)
    log_in(phone, world.animateur_a.email)
    too_wide = {}
    for url in ("/documents/", "/documents/demander/", f"/documents/{done.pk}/"):
        response = phone.goto(url)
        assert response.status == 200, url
        if width_of(phone) > PHONE["width"]:
            too_wide[url] = width_of(phone)
    assert too_wide == {}


def test_the_request_form_shows_only_the_chosen_kind_s_fields(page, world):
    log_in(page, world.coordinator.email)
    page.goto("/documents/demander/")
    form = page.locator("form#document-request")

    def visible():
        names = form.locator("[name]:visible").evaluate_all("els => els.map(e => e.name)")
        return {name for name in names if name not in ("csrfmiddlewaretoken", "kind")}

    form.locator("select[name=kind]").select_option("agenda")
    assert visible() == {"committee"}
    form.locator("select[name=kind]").select_option("contribution_statement")
    assert visible() == {"organisation", "year"}
    form.locator("select[name=kind]").select_option("funders_report")
    assert {"source", "period_start", "file_format", "dispositif"} <= visible()
    assert "committee" not in visible()
