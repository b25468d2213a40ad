"""Headless Chromium (Debian's build, driven by Playwright) against Django's live server."""

import os
import shutil
from contextlib import contextmanager

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def chromium():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium not found at {CHROMIUM}: `make test` installs Debian's chromium "
            "(apt-get install chromium chromium-driver)."
        )
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an event loop running in the test thread for as long as
    # the browser lives; the ORM calls the tests make there are still synchronous calls.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                yield browser
            finally:
                browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(chromium, live_server):
    """A page at phone width (390×844)."""
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=PHONE)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield page
    finally:
        context.close()


DESKTOP = {"width": 1366, "height": 768}


@contextmanager
def sized_page(chromium, live_server, viewport):
    """A page at the size ``viewport`` (``DESKTOP``, ``PHONE``), for a test parametrized
    on the width."""
    context = chromium.new_context(locale="fr-FR", base_url=live_server.url, viewport=viewport)
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


def width_of(page) -> int:
    """The page's laid-out width in CSS pixels (wider than the viewport: it scrolls sideways)."""
    return page.evaluate("document.documentElement.scrollWidth")


def log_in(page, email, password="secret-password"):
    page.goto("/connexion/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("button[type=submit].primary")
    page.wait_for_url(lambda url: "/connexion/" not in url)
