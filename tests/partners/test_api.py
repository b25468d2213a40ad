from django.urls import reverse

from partners.models import Organisation
from tests.conftest import api_client_for
from tests.coverage import CoversRoutes


class TestOrganisationAPI(CoversRoutes):
    """Organisations are global: everyone with a role reads, only the coordination writes."""

    @classmethod
    def covered_url_names(cls):
        return ["api:organisation-list", "api:organisation-detail"]

    def test_read_and_write_rights(self, world):
        payload = {"name": "Orano", "slug": "orano", "kind": "large_firm", "siren": "552081317"}
        animateur = api_client_for(world.animateur_a)
        assert animateur.get(reverse("api:organisation-list")).status_code == 200
        assert (
            animateur.post(reverse("api:organisation-list"), payload, format="json").status_code
            == 403
        )
        coordinator = api_client_for(world.coordinator)
        response = coordinator.post(reverse("api:organisation-list"), payload, format="json")
        assert response.status_code == 201, response.content
        assert Organisation.objects.filter(slug="orano").exists()

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
