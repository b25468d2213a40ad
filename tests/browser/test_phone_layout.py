"""At phone width (390×844), the animateur's main pages fit the screen and the menu folds."""

from decimal import Decimal

import pytest

from alize.tenancy import scope
from committees.models import AgendaItem
from pme.models import Stage
from tests.browser.conftest import PHONE, log_in, width_of
from tests.factories import CompanyFactory, project_at

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def pipeline(world):
    """A company with long names and a project on a committee agenda, as on real data."""
    company = CompanyFactory(
        dispositif=world.a,
        name="Société industrielle de chaudronnerie et de mécano-soudure du Hainaut",
        turnover=Decimal("12500000"),
    )
    project = project_at(Stage.ON_AGENDA, company=company, by=world.animateur_a)
    with scope([world.a]):
        project.title = "Nouvelle ligne de découpe laser et robotisation de l'atelier de pliage"
        project.requested_advance = Decimal("12000")
        project.save()
        committee = AgendaItem.objects.get(project=project).committee
    return company, project, committee


def test_main_flow_fits_a_phone_and_the_menu_opens(phone, world, pipeline):
    company, project, committee = pipeline
    log_in(phone, world.animateur_a.email)
    pages = [
        "/",
        "/pme/entreprises/",
        f"/pme/entreprises/{company.pk}/",
        "/pme/projets/",
        f"/pme/projets/{project.pk}/",
        "/comites/",
        f"/comites/{committee.pk}/",
        "/pme/entonnoir/",
        f"/dispositifs/{world.a.slug}/",
    ]
    too_wide = {}
    for url in pages:
        response = phone.goto(url)
        assert response.status == 200, url
        if width_of(phone) > PHONE["width"]:
            too_wide[url] = width_of(phone)
    assert too_wide == {}

    # A list's table scrolls inside its own box rather than widening the page.
    phone.goto("/pme/projets/")
    box = phone.locator("main .table-scroll").first
    assert box.evaluate("t => getComputedStyle(t).overflowX") == "auto"
    assert box.evaluate("t => t.getBoundingClientRect().right") <= PHONE["width"]

    # The menu is folded behind one button, and opens on a tap.
    nav = phone.get_by_role("navigation", name="Navigation principale")
    toggle = phone.locator("button.menu-toggle")
    assert toggle.is_visible() and not nav.is_visible()
    assert toggle.get_attribute("aria-expanded") == "false"
    toggle.click()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert nav.is_visible()
    assert nav.get_by_role("link", name="Comités").is_visible()
    assert width_of(phone) <= PHONE["width"]
    nav.get_by_role("link", name="Comités").click()
    phone.wait_for_url("**/comites/")
    assert not nav.is_visible()


def test_desktop_keeps_the_menu_open(page, world):
    log_in(page, world.animateur_a.email)
    assert page.get_by_role("navigation", name="Navigation principale").is_visible()
    assert not page.locator("button.menu-toggle").is_visible()
