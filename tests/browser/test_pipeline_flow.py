"""The animateur's main flow in headless Chromium: company → project → committee → approval."""

import re

import pytest

from alize.tenancy import scope
from pme.models import Project, Stage
from tests.browser.conftest import log_in
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VALID_SIREN = "552081317"
BAD_SIRET = "55208131700011"  # right length, wrong check digit
GOOD_SIRET = "55208131700018"


@pytest.fixture
def tour_de_table(world):
    region = OrganisationFactory(
        name="Région Hauts-de-France test", kind="public_body", public_level="region", city="Lille"
    )
    firm = OrganisationFactory(name="EDF test", kind="large_firm", city="Gravelines")
    MembershipFactory(dispositif=world.a, organisation=region, kind="public_body")
    MembershipFactory(dispositif=world.a, organisation=firm, kind="partner_firm")
    return region, firm


def submit(form):
    with form.page.expect_navigation():
        form.locator("button[type=submit].primary").click()


def select_containing(select, text):
    """Choose the option whose label contains ``text``."""
    value = select.locator("option", has_text=text).first.get_attribute("value")
    select.select_option(value)


def test_animateur_takes_a_project_from_company_to_approval(page, world, tour_de_table):
    region, firm = tour_de_table
    log_in(page, world.animateur_a.email)

    # 1. A company, first with an invalid SIRET.
    page.goto("/pme/entreprises/nouvelle/")
    form = page.locator("form.card")
    form.locator("[name=siren]").fill(VALID_SIREN)
    form.locator("[name=siret]").fill(BAD_SIRET)
    form.locator("[name=name]").fill("Chaudronnerie du Hainaut")
    form.locator("[name=naf_code]").fill("25.62B")
    form.locator("[name=creation_date]").fill("2012-05-14")
    form.locator("[name=headcount]").fill("38")
    # The postal code 59300 covers several communes: the autocomplete offers them.
    commune = form.locator("[name=commune_code]")
    commune.press_sequentially("59300")
    option = form.locator("datalist option[value='Valenciennes (59606)']")
    option.wait_for(state="attached")
    assert form.locator("datalist option[value='Famars (59221)']").count() == 1
    commune.fill(option.get_attribute("value"))
    submit(form)
    siret_field = page.locator(".field[data-field=siret]")
    assert "SIRET valide" in siret_field.locator(".error").inner_text()
    page.locator("form.card [name=siret]").fill(GOOD_SIRET)
    submit(page.locator("form.card"))
    page.wait_for_url(re.compile(r"/pme/entreprises/\d+/$"))
    assert page.get_by_role("heading", name="Chaudronnerie du Hainaut").is_visible()

    # 2. A project for it.
    page.goto("/pme/projets/nouveau/")
    form = page.locator("form.card")
    select_containing(form.locator("[name=company]"), "Chaudronnerie du Hainaut")
    form.locator("[name=title]").fill("Nouvelle ligne de découpe laser")
    form.locator("[name=project_type]").select_option("investment")
    form.locator("[name=jobs_at_start]").fill("38")
    form.locator("[name=jobs_planned_3y]").fill("46")
    form.locator("[name=requested_advance]").fill("12000")
    submit(form)
    page.wait_for_url(re.compile(r"/pme/projets/\d+/$"))
    project_url = page.url

    # 3. Qualified, then in instruction: ready for committee.
    page.get_by_role("button", name="Passer à « Qualifié »").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Passer à « En instruction »").click()
    page.wait_for_load_state()
    with scope([world.a]):
        project = Project.objects.get(title="Nouvelle ligne de découpe laser")
    assert project.stage == Stage.IN_INSTRUCTION

    # 4. Schedule a committee at a partner's premises; it sits today, so that its decision
    # can be recorded below.
    page.goto("/comites/planifier/")
    form = page.locator("form[method=post].card")
    form.locator("[name=date]").fill("2026-06-10")
    form.locator("[name=host]").select_option(label=region.name)
    form.locator("[name=place]").fill("Hôtel de région, Lille")
    submit(form)
    page.wait_for_url(re.compile(r"/comites/\d+/$"))
    committee_url = page.url

    # 5. Put the project on the agenda.
    agenda_form = page.locator("form[action$='/ordre-du-jour/']")
    select_containing(agenda_form.locator("[name=project]"), "découpe laser")
    submit(agenda_form)
    assert page.url.startswith(committee_url)

    # 6. Two partner commitments: the large firm typed first, the region second.
    def commit(organisation, tool, amount):
        page.locator("summary", has_text="Enregistrer un engagement").first.click()
        form = page.locator("form[action$='/engagements/']").first
        form.locator("[name=organisation]").select_option(label=organisation.name)
        form.locator("[name=tool]").fill(tool)
        form.locator("[name=amount]").fill(amount)
        submit(form)

    commit(firm, "Deux missions d'expertise en méthodes", "")
    commit(region, "Subvention régionale à l'investissement", "25000")
    text = page.locator("main").inner_text()
    assert text.index("Subvention régionale") < text.index("Deux missions d'expertise")

    # 7. The roster, in one form: the region sits.
    roster = page.locator("form[action$='/presences/']")
    roster.locator(f"[name=status_{region.pk}]").select_option("present")
    roster.locator(f"[name=person_{region.pk}]").fill("Mme Delattre")
    submit(roster)
    assert "Mme Delattre" in page.locator("#attendance").inner_text()

    # 8. The approval, with missions and an advance, confirmed on the page that says what
    # will happen.
    page.locator("summary", has_text="Enregistrer la décision").first.click()
    decision_form = page.locator("form[action$='/decision/']").first
    decision_form.locator("[name=outcome]").select_option("approved")
    decision_form.locator("[name=missions_granted]").fill("2")
    decision_form.locator("[name=advance_amount]").fill("12000")
    decision_form.locator("[name=conditions]").fill("Accord bancaire à confirmer")
    submit(decision_form)
    assert "sortira du fonds" in page.locator("main").inner_text()
    submit(page.locator("main form").first)
    assert page.url.startswith(committee_url)
    assert "Accepté" in page.locator("main").inner_text()

    # 9. The project is approved and its timeline tells how it got there.
    page.goto(project_url)
    main = page.locator("main").inner_text()
    assert "Accepté" in main
    timeline = page.locator("ol.timeline").inner_text()
    for step in ("Signalé", "Qualifié", "En instruction", "Inscrit en comité", "Accepté"):
        assert step in timeline
    with scope([world.a]):
        project.refresh_from_db()
        assert project.stage == Stage.APPROVED
        assert [t.to_stage for t in project.transitions.all()] == [
            Stage.REFERRED, Stage.QUALIFIED, Stage.IN_INSTRUCTION, Stage.ON_AGENDA, Stage.APPROVED,
        ]  # fmt: skip
        assert project.transitions.last().by == world.animateur_a
