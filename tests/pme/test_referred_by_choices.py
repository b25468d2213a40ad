"""« Orienté par » offers the dispositif's own tour de table first, then the rest of the
network under a heading of its own (an ``optgroup``), each group in French order; the
project page still accepts any organisation of the network."""

import re

import pytest
from django.urls import reverse

from alize.tenancy import scope
from pme.models import Project, Stage
from tests.factories import CompanyFactory, MembershipFactory, OrganisationFactory, project_at

pytestmark = pytest.mark.django_db


def groups(page: str) -> dict[str, list[str]]:
    select = re.search(r'<select name="referred_by".*?</select>', page, re.S).group(0)
    found = {}
    for label, body in re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S):
        found[label] = re.findall(r"<option[^>]*>([^<]*)</option>", body)
    return found


@pytest.fixture
def network(world):
    ours = [OrganisationFactory(name=name) for name in ("Initiative Escaut", "CCI Grand Hainaut")]
    for organisation in ours:
        MembershipFactory(dispositif=world.a, organisation=organisation)
    theirs = OrganisationFactory(name="Élan Savoie")
    MembershipFactory(dispositif=world.b, organisation=theirs)
    return ours, theirs


def test_the_dispositif_s_own_organisations_come_first_then_the_network(world, client, network):
    ours, theirs = network
    project = project_at(Stage.QUALIFIED, dispositif=world.a)
    client.force_login(world.animateur_a)
    page = client.get(reverse("pme:project-update", args=[project.pk])).content.decode()
    found = groups(page)
    own_label, other_label = list(found)
    assert world.a.name in own_label
    assert {"CCI Grand Hainaut", "Initiative Escaut"} <= set(found[own_label])
    assert "Élan Savoie" not in found[own_label] and "Élan Savoie" in found[other_label]
    assert found[own_label] == sorted(found[own_label], key=lambda n: n.lower())
    # A new project of the animateur's one dispositif is grouped the same way.
    page = client.get(reverse("pme:project-create")).content.decode()
    assert list(groups(page)) == [own_label, other_label]


def test_an_organisation_of_the_network_is_still_a_valid_choice(world, client, network):
    _ours, theirs = network
    project = project_at(Stage.QUALIFIED, dispositif=world.a)
    client.force_login(world.animateur_a)
    url = reverse("pme:project-update", args=[project.pk])
    form = client.get(url).context["form"]
    data = {name: field.value() for name, field in ((n, form[n]) for n in form.fields)}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["needs"] = []
    data["referred_by"] = theirs.pk
    response = client.post(url, data)
    assert response.status_code == 302, response.context["form"].errors
    with scope([world.a.pk]):
        assert Project.objects.get(pk=project.pk).referred_by_id == theirs.pk


def test_a_company_given_in_the_address_groups_by_its_dispositif(world, client, network):
    company = CompanyFactory(dispositif=world.b)
    client.force_login(world.coordinator)
    page = client.get(reverse("pme:project-create"), {"company": company.pk}).content.decode()
    assert world.b.name in list(groups(page))[0]
