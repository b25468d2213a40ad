from django.urls import reverse

from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory
from tests.query_counts import assert_queries_do_not_grow
from tests.view_base import WebAnonymousMixin, WebDetailMixin, WebListMixin


class TestDispositifViews(WebAnonymousMixin, WebListMixin, WebDetailMixin):
    """A dispositif is read by everyone with a role in it."""

    list_url_name = "dispositifs:list"
    detail_url_name = "dispositifs:detail"
    readers = frozenset(
        {"coordinator", "animateur", "member", "correspondent", "expert", "api_client"}
    )

    def make(self, world, dispositif):
        return dispositif

    def label(self, instance):
        return instance.name

    def detail_args(self, instance):
        return [instance.slug]

    def test_anonymous_is_sent_to_login(self, world, client):
        for url in (reverse("home"), reverse("dispositifs:list")):
            response = client.get(url)
            assert response.status_code == 302 and reverse("login") in response["Location"]

    def test_animateur_sees_only_own_dispositif(self, world, client):
        client.force_login(world.animateur_a)
        for url in (reverse("dispositifs:list"), reverse("home")):
            page = client.get(url).content.decode()
            assert world.a.name in page
            assert world.b.name not in page

    def test_detail_of_other_dispositif_is_404(self, world, client):
        client.force_login(world.animateur_a)
        assert client.get(reverse("dispositifs:detail", args=[world.a.slug])).status_code == 200
        assert client.get(reverse("dispositifs:detail", args=[world.b.slug])).status_code == 404
        assert client.get(reverse("dispositifs:detail", args=["nope"])).status_code == 404

    def test_detail_links_to_the_pipeline_of_the_dispositif(self, world, client):
        client.force_login(world.animateur_a)
        page = client.get(reverse("dispositifs:detail", args=[world.a.slug])).content.decode()
        for name in ("pme:company-list", "pme:project-list", "committees:list", "pme:funnel"):
            assert f"{reverse(name)}?dispositif={world.a.slug}" in page
        client.force_login(world.member_a)
        page = client.get(reverse("dispositifs:detail", args=[world.a.slug])).content.decode()
        assert f"{reverse('committees:list')}?dispositif={world.a.slug}" in page
        assert reverse("pme:funnel") not in page

    def test_detail_shows_tour_de_table(self, world, client):
        firm = OrganisationFactory(name="Saint-Gobain test")
        MembershipFactory(dispositif=world.a, organisation=firm, pledged_hours_per_year=420)
        client.force_login(world.member_a)
        page = client.get(reverse("dispositifs:detail", args=[world.a.slug])).content.decode()
        assert "Saint-Gobain test" in page and "420" in page

    def test_coordinator_sees_every_dispositif_and_filters(self, world, client):
        client.force_login(world.coordinator)
        page = client.get(reverse("dispositifs:list")).content.decode()
        assert world.a.name in page and world.b.name in page
        page = client.get(reverse("dispositifs:list"), {"region": "84"}).content.decode()
        assert world.b.name in page and world.a.name not in page
        page = client.get(reverse("dispositifs:list"), {"q": "Valenciennes"}).content.decode()
        assert world.a.name in page and world.b.name not in page

    def test_list_is_sorted_and_paginated(self, world, client):
        DispositifFactory.create_batch(30)
        client.force_login(world.coordinator)
        response = client.get(reverse("dispositifs:list"), {"sort": "-name"})
        names = [d.name for d in response.context["object_list"]]
        assert names == sorted(names, reverse=True)
        assert len(names) == 25 and response.context["paginator"].count == 32
        assert client.get(reverse("dispositifs:list"), {"page": 2}).status_code == 200

    def test_list_query_count_does_not_grow(self, world, client):
        client.force_login(world.coordinator)
        assert_queries_do_not_grow(
            "dispositifs:list",
            lambda: client.get(reverse("dispositifs:list")),
            lambda: DispositifFactory.create_batch(10),
        )
