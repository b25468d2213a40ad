from django.urls import reverse

from tests.factories import MembershipFactory, OrganisationFactory


class TestOrganisationViews:
    """Organisations are global, but the seats they hold are shown only within scope."""

    readers = frozenset({"coordinator", "animateur", "api_client"})

    def test_readers_read_and_other_roles_get_404(self, world, client, role):
        firm = OrganisationFactory(name="Orano test")
        client.force_login(world.user(role))
        page = client.get(reverse("partners:organisation-list"), {"q": "Orano"})
        detail = client.get(reverse("partners:organisation-detail", args=[firm.pk]))
        if role in self.readers or role == "animateur_b":
            assert page.status_code == 200 and "Orano test" in page.content.decode()
            assert detail.status_code == 200
        else:
            assert (page.status_code, detail.status_code) == (404, 404)

    def test_committee_member_has_no_access(self, world, client):
        client.force_login(world.member_a)
        assert client.get(reverse("partners:organisation-list")).status_code == 404

    def test_detail_shows_only_memberships_in_scope(self, world, client):
        firm = OrganisationFactory(name="EDF test")
        MembershipFactory(dispositif=world.a, organisation=firm)
        MembershipFactory(dispositif=world.b, organisation=firm)
        client.force_login(world.animateur_a)
        page = client.get(reverse("partners:organisation-detail", args=[firm.pk])).content.decode()
        assert world.a.name in page and world.b.name not in page
        assert client.get(reverse("partners:organisation-detail", args=[10**9])).status_code == 404

    def test_list_filters_and_searches(self, world, client):
        OrganisationFactory(name="Banque Populaire test", kind="bank")
        OrganisationFactory(name="Areva test", kind="large_firm")
        client.force_login(world.animateur_a)
        page = client.get(reverse("partners:organisation-list"), {"kind": "bank"}).content.decode()
        assert "Banque Populaire test" in page and "Areva test" not in page
        page = client.get(reverse("partners:organisation-list"), {"q": "areva"}).content.decode()
        assert "Areva test" in page and "Banque Populaire test" not in page
