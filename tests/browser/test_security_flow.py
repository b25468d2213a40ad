"""In Chromium, under the Content Security Policy: no violation on a page or on the API docs,
which still render their operations from local assets."""

import pytest

from tests.browser.conftest import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def collect_csp_violations(page):
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return violations


def test_home_and_api_docs_run_under_the_csp(page, world):
    violations = collect_csp_violations(page)
    log_in(page, world.animateur_a.email)
    page.goto("/")
    page.goto("/api/docs/")
    page.wait_for_selector(".opblock", timeout=15_000)
    assert page.locator(".opblock").count() >= 10
    assert violations == []
