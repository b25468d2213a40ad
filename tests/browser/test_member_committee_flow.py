"""The committee member before the meeting, in Chromium at desktop (1366 px) and phone
(390 px) widths: the coming committee's dossiers with no link to a 404, a commitment of
their organisation, a declaration of interest, an answer to the invitation; another
dispositif's committee answers 404."""

import datetime as dt

import pytest

from alize.accounts.models import Role
from alize.tenancy import scope
from committees import services
from committees.models import CommitteeReply, InterestDeclaration, PartnerCommitment
from pme.models import Stage
from tests.browser.conftest import CHROMIUM, log_in, width_of
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    RoleAssignmentFactory,
    UserFactory,
    project_at,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MEMBER_EMAIL = "membre.valenciennes@demo.alize.fr"
VIEWPORTS = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def coming(world):
    """The member of A's committee (for the regional council, seated) and the committee in
    ten days with one dossier; a committee of B too."""
    MembershipFactory(dispositif=world.a, organisation=world.member_organisation_a)
    member = UserFactory(email=MEMBER_EMAIL)
    RoleAssignmentFactory(
        user=member,
        role=Role.COMMITTEE_MEMBER,
        dispositif=world.a,
        organisation=world.member_organisation_a,
    )
    day = TODAY + dt.timedelta(days=10)
    committee = CommitteeFactory(dispositif=world.a, date=day, place="Hôtel de région")
    other = CommitteeFactory(dispositif=world.b, date=day, place="Chambéry")
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    with scope([world.a]):
        item = services.agenda_add_project(committee=committee, project=project, by=None)
    return member, committee, item, other


@pytest.fixture(params=sorted(VIEWPORTS))
def browser_page(request, chromium, live_server):
    context = chromium.new_context(
        locale="fr-FR", base_url=live_server.url, viewport=VIEWPORTS[request.param]
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        yield request.param, page
    finally:
        context.close()


def test_member_prepares_the_coming_committee(world, coming, browser_page):
    assert CHROMIUM
    width_name, page = browser_page
    member, committee, item, other = coming
    log_in(page, MEMBER_EMAIL)
    response = page.goto(f"/comites/{committee.pk}/")
    assert response.status == 200
    assert page.get_by_text(item.project.title).first.is_visible()
    assert width_of(page) <= VIEWPORTS[width_name]["width"]

    # Every link of the page leads to a page the member may read.
    hrefs = page.eval_on_selector_all(
        "main a[href^='/']", "links => links.map(a => a.getAttribute('href'))"
    )
    statuses = {href: page.request.get(href).status for href in set(hrefs)}
    assert statuses and {h: s for h, s in statuses.items() if s >= 400} == {}

    # A commitment of their own organisation.
    dossier = page.locator(f"#item-{item.pk}")
    dossier.get_by_text("Enregistrer un engagement").click()
    dossier.get_by_label("Outil mobilisé").fill("Aide régionale au développement")
    dossier.get_by_role("button", name="Enregistrer l'engagement").click()
    page.wait_for_url(f"**/comites/{committee.pk}/#item-{item.pk}")
    assert PartnerCommitment.unscoped_objects.filter(
        item=item, organisation=world.member_organisation_a
    ).exists()

    # A declaration of interest: their organisation is recused for the dossier.
    dossier = page.locator(f"#item-{item.pk}")
    dossier.get_by_text("Déclarer un intérêt").click()
    dossier.get_by_label("Nature de l'intérêt").select_option("shareholder")
    dossier.get_by_label("Précision").fill("Participation au capital via notre fonds.")
    dossier.get_by_role("button", name="Déclarer l'intérêt").click()
    page.wait_for_url(f"**/comites/{committee.pk}/#item-{item.pk}")
    assert page.locator(f"#item-{item.pk} .interests").get_by_text("récusé").is_visible()
    declaration = InterestDeclaration.unscoped_objects.get(item=item)
    assert (declaration.organisation, declaration.recorded_by) == (
        world.member_organisation_a,
        member,
    )

    # The answer to the invitation, with a word for the animateur.
    reply = page.locator("#reply")
    reply.get_by_label("Je viendrai", exact=True).check()
    reply.get_by_label("Un mot pour l'animateur").fill("J'arriverai vers 9 h 45.")
    reply.get_by_role("button", name="Enregistrer ma réponse").click()
    page.wait_for_url(f"**/comites/{committee.pk}/#reply")
    assert page.locator("#reply").get_by_text("Je viendrai").first.is_visible()
    assert CommitteeReply.unscoped_objects.get(committee=committee).answer == "yes"
    assert width_of(page) <= VIEWPORTS[width_name]["width"]

    # Another dispositif's committee is not found.
    assert page.goto(f"/comites/{other.pk}/").status == 404
