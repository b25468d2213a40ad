"""At phone width, abandoning a project asks for a confirmation and a reason, and the reason
shows on the timeline; a project abandoned by mistake is reopened with a reason."""

import pytest

from alize.tenancy import scope
from pme.models import Project, Stage, StageTransition
from tests.browser.conftest import PHONE, log_in, width_of
from tests.factories import project_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REASON = "L'entreprise a été rachetée par un groupe qui reprend le projet en interne."


def stage_of(project) -> str:
    with scope([project.dispositif_id]):
        return Project.objects.get(pk=project.pk).stage


def test_abandoning_asks_for_a_reason_then_shows_it(phone, world):
    project = project_at(Stage.QUALIFIED, dispositif=world.a, by=world.animateur_a)
    log_in(phone, world.animateur_a.email)
    phone.goto(f"/pme/projets/{project.pk}/")
    assert width_of(phone) <= PHONE["width"]

    form = phone.locator("details[data-form=abandon]")
    assert not form.locator("textarea").is_visible()  # behind a deliberate click
    form.locator("summary").click()
    reason = form.locator("textarea[name=comment]")
    assert reason.is_visible()

    # Too short: the browser's own check keeps the form from leaving; nothing changes.
    reason.fill("trop tard")
    form.locator("button[type=submit]").click()
    assert phone.url.endswith(f"/pme/projets/{project.pk}/")
    assert stage_of(project) == Stage.QUALIFIED

    # The server refuses it too when the browser's check is bypassed.
    phone.evaluate("document.querySelector('details[data-form=abandon] textarea').minLength = 0")
    form.locator("button[type=submit]").click()
    phone.wait_for_load_state()
    assert "au moins 10 caractères" in phone.content()
    assert stage_of(project) == Stage.QUALIFIED

    form = phone.locator("details[data-form=abandon]")
    form.locator("textarea[name=comment]").fill(REASON)
    form.locator("button[type=submit]").click()
    phone.wait_for_url(f"**/pme/projets/{project.pk}/")
    assert stage_of(project) == Stage.ABANDONED
    timeline = phone.locator("ol.timeline").inner_text()
    assert REASON in timeline
    assert width_of(phone) <= PHONE["width"]

    with scope([world.a]):
        last = StageTransition.objects.filter(project=project).order_by("at", "id").last()
    assert (last.to_stage, last.comment, last.by) == (Stage.ABANDONED, REASON, world.animateur_a)


def test_an_abandoned_project_is_reopened_with_a_reason(phone, world):
    project = project_at(Stage.QUALIFIED, dispositif=world.a, by=world.animateur_a)
    from pme import services

    with scope([world.a]):
        services.project_transition(
            project=project, to_stage=Stage.ABANDONED, by=world.animateur_a, comment=REASON
        )
    log_in(phone, world.animateur_a.email)
    phone.goto(f"/pme/projets/{project.pk}/")
    reopen = phone.locator("form", has=phone.locator("button", has_text="Rouvrir"))
    reopen.locator("textarea[name=comment]").fill("Le repreneur confirme finalement le projet.")
    reopen.locator("button", has_text="Rouvrir").click()
    phone.wait_for_url(f"**/pme/projets/{project.pk}/")
    assert stage_of(project) == Stage.QUALIFIED
    assert "réouverture" in phone.locator("ol.timeline").inner_text()
