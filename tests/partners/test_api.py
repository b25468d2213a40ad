from django.urls import reverse

from partners.models import Organisation
from tests.api_base import refused, snapshot
from tests.conftest import api_client_for
from tests.factories import OrganisationFactory
from tests.query_counts import assert_queries_do_not_grow

PAYLOAD = {"name": "Orano", "slug": "orano", "kind": "large_firm", "siren": "552081317"}


class TestOrganisationAPI:
    """Organisations are a global reference: those who run or read the pipeline network-wide
    (coordination, animateurs, API clients) read them all, as on the web; only the
    coordination writes them, and anonymous callers get nothing."""

    readers = frozenset({"coordinator", "animateur", "api_client"})
    writers = frozenset({"coordinator"})

    def detail_url(self, organisation):
        return reverse("api:organisation-detail", args=[organisation.pk])

    def test_readers_read_and_other_roles_see_nothing(self, world, role):
        firm = OrganisationFactory(name="Orano test")
        api = api_client_for(world.user(role))
        response = api.get(reverse("api:organisation-list"), {"q": "Orano"})
        assert response.status_code == 200
        names = [row["name"] for row in response.json()["results"]]
        detail = api.get(self.detail_url(firm))
        if role in self.readers or role == "animateur_b":
            assert names == ["Orano test"]
            assert detail.json()["name"] == "Orano test"
        else:
            assert names == []
            assert detail.status_code == 404

    def test_anonymous_is_refused_on_every_method(self, world):
        firm = OrganisationFactory()
        api = api_client_for(None)
        before = snapshot(firm)
        for method, url in (
            ("get", reverse("api:organisation-list")),
            ("post", reverse("api:organisation-list")),
            ("get", self.detail_url(firm)),
            ("patch", self.detail_url(firm)),
            ("put", self.detail_url(firm)),
            ("delete", self.detail_url(firm)),
        ):
            assert getattr(api, method)(url, PAYLOAD, format="json").status_code in (401, 403)
        assert snapshot(firm) == before
        assert not Organisation.objects.filter(slug="orano").exists()

    def test_writes_refused_for_role(self, world, refused_role):
        firm = OrganisationFactory()
        api = api_client_for(world.user(refused_role))
        before = snapshot(firm)
        assert refused(api.post(reverse("api:organisation-list"), PAYLOAD, format="json"))
        assert refused(api.patch(self.detail_url(firm), {"city": "Lyon"}, format="json"))
        assert refused(api.put(self.detail_url(firm), PAYLOAD, format="json"))
        assert refused(api.delete(self.detail_url(firm)))
        assert snapshot(firm) == before
        assert not Organisation.objects.filter(slug="orano").exists()

    def test_coordinator_creates_updates_and_deletes(self, world):
        api = api_client_for(world.coordinator)
        response = api.post(reverse("api:organisation-list"), PAYLOAD, format="json")
        assert response.status_code == 201, response.content
        firm = Organisation.objects.get(slug="orano")
        assert api.patch(self.detail_url(firm), {"city": "Lyon"}, format="json").status_code == 200
        assert snapshot(firm)["city"] == "Lyon"
        response = api.put(self.detail_url(firm), PAYLOAD | {"name": "Orano SA"}, format="json")
        assert response.status_code == 200
        assert snapshot(firm)["name"] == "Orano SA"
        assert api.delete(self.detail_url(firm)).status_code == 204
        assert not Organisation.objects.filter(pk=firm.pk).exists()

    def test_list_query_count_does_not_grow(self, world):
        api = api_client_for(world.animateur_a)
        assert_queries_do_not_grow(
            "api:organisation-list",
            lambda: api.get(reverse("api:organisation-list")),
            lambda: OrganisationFactory.create_batch(5),
        )

    def test_invalid_siren_is_refused_with_its_field(self, world):
        coordinator = api_client_for(world.coordinator)
        response = coordinator.post(
            reverse("api:organisation-list"),
            {"name": "X", "slug": "x", "kind": "large_firm", "siren": "123456789"},
            format="json",
        )
        assert response.status_code == 400
        assert "siren" in response.json()["fields"]
        assert not Organisation.objects.filter(slug="x").exists()
