"""A refused form shows each error beside its field and takes the reader there: the
decision form of a committee far down the page, once its refusal comes back (the page says
« voir ci-dessous » at its top), has the focus on the refused field, which names its
error (``aria-invalid``, ``aria-describedby``); the same holds for any form drawn by
``includes/form_fields.html``."""

from __future__ import annotations

import pytest

from alize.tenancy import scope
from committees import services
from pme.models import Stage
from tests.browser.conftest import log_in
from tests.clock import TODAY
from tests.factories import CommitteeFactory, project_at, record_quorum

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def submit(form):
    with form.page.expect_navigation():
        form.locator("button[type=submit]").last.click()


def focused(page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const field = el.closest('.field');
            const described = el.getAttribute('aria-describedby') || '';
            return {
                name: el.getAttribute('name'),
                invalid: el.getAttribute('aria-invalid'),
                description: described.split(' ').map(id => document.getElementById(id))
                    .filter(Boolean).map(node => node.textContent.trim()).join(' '),
                error_in_field: field ? field.querySelector('.error').textContent.trim() : '',
            };
        }"""
    )


def test_a_refused_decision_puts_the_focus_on_its_field_with_its_error(page, world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    projects = [project_at(Stage.IN_INSTRUCTION, dispositif=world.a) for _ in range(4)]
    with scope([world.a]):
        items = [
            services.agenda_add_project(committee=committee, project=project, by=None)
            for project in projects
        ]
    record_quorum(committee)
    log_in(page, world.animateur_a.email)
    page.goto(f"/comites/{committee.pk}/")
    last = items[-1]
    form = page.locator(f"form[action$='/{last.pk}/decision/']")
    form.locator("xpath=ancestor::details/summary").click()
    form.locator("[name=outcome]").select_option("approved")
    form.locator("[name=advance_amount]").fill("50000")  # beyond the dispositif's bounds
    submit(form)
    submit(page.locator("main form").first)  # the confirmation page
    assert "voir ci-dessous" in page.locator(".messages").inner_text()
    state = focused(page)
    assert state["name"] == "advance_amount", state
    assert state["invalid"] == "true"
    assert state["error_in_field"] and state["error_in_field"] in state["description"]
    box = page.evaluate("document.activeElement.getBoundingClientRect().top")
    assert 0 <= box <= page.viewport_size["height"]


def test_a_refused_page_form_focuses_its_first_refused_field(page, world):
    log_in(page, world.animateur_a.email)
    page.goto("/comites/planifier/")
    form = page.locator("main form").first
    submit(form)
    state = focused(page)
    assert state["invalid"] == "true" and state["error_in_field"], state
    first_refused = page.evaluate(
        "document.querySelector('main .field.has-error [name]').getAttribute('name')"
    )
    assert state["name"] == first_refused
