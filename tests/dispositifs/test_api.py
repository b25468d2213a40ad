from django.urls import reverse

from alize.tenancy import scope
from dispositifs.models import Dispositif, Membership
from tests.api_base import (
    APIReadTestBase,
    CreateMixin,
    UpdateMixin,
    count_rows,
    refused,
    snapshot,
)
from tests.conftest import api_client_for
from tests.factories import DispositifFactory, MembershipFactory, OrganisationFactory
from tests.query_counts import assert_queries_do_not_grow


class TestMembershipAPI(APIReadTestBase, CreateMixin, UpdateMixin):
    basename = "membership"
    model = Membership
    # A dispositif's tour de table is read by everyone with a role in it.
    readers = frozenset(
        {"coordinator", "animateur", "member", "correspondent", "expert", "api_client"}
    )

    def make(self, world, dispositif):
        return MembershipFactory(dispositif=dispositif)

    def create_payload(self, world, dispositif):
        return {
            "dispositif": dispositif.slug,
            "organisation": OrganisationFactory().pk,
            "kind": "partner_firm",
            "pledged_hours_per_year": 250,
        }

    def cross_tenant_payload(self, world):
        return self.create_payload(world, world.a) | {"dispositif": world.b.slug}

    def update_payload(self, world, instance):
        return {"pledged_hours_per_year": 400}

    def test_tenant_cannot_be_changed(self, world):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.animateur_a)
        response = api.patch(self.detail_url(own), {"dispositif": world.b.slug}, format="json")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == ["dispositif"]
        assert snapshot(own)["dispositif"] == world.a.pk

    def test_bad_input_names_the_field(self, world):
        api = api_client_for(world.animateur_a)
        payload = self.create_payload(world, world.a) | {"pledged_hours_per_year": -5}
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code == 400
        assert "pledged_hours_per_year" in response.json()["fields"]

    def test_a_seat_is_never_deleted_leaving_is_a_date(self, world, role):
        """DELETE is not served: leaving the tour de table is ``left_on``, kept in history."""
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.user(role))
        assert api.delete(self.detail_url(own)).status_code in (401, 403, 405)
        assert count_rows(Membership, pk=own.pk) == 1


class TestDispositifAPI(APIReadTestBase):
    """Dispositifs are scoped on themselves; only the national coordination writes them."""

    basename = "dispositif"
    model = Dispositif
    readers = frozenset(
        {"coordinator", "animateur", "member", "correspondent", "expert", "api_client"}
    )
    writers = frozenset({"coordinator"})

    def make(self, world, dispositif):
        return dispositif

    def test_writes_refused_for_role(self, world, refused_role):
        api = api_client_for(world.user(refused_role))
        count = Dispositif.unscoped_objects.count()
        before = snapshot(world.a)
        url = reverse("api:dispositif-detail", args=[world.a.pk])
        payload = {"name": "X", "slug": "x", "region": "32"}
        assert refused(api.post(reverse("api:dispositif-list"), payload, format="json"))
        assert refused(api.patch(url, {"name": "Renamed"}, format="json"))
        assert refused(api.put(url, payload, format="json"))
        assert refused(api.delete(url))
        assert snapshot(world.a) == before
        assert Dispositif.unscoped_objects.count() == count

    def test_coordinator_puts_and_deletes(self, world):
        api = api_client_for(world.coordinator)
        spare = DispositifFactory(slug="spare-test", region="84")
        url = reverse("api:dispositif-detail", args=[spare.pk])
        payload = {"name": "Alizé Renommé", "slug": "renomme-test", "region": "84"}
        assert api.put(url, payload, format="json").status_code == 200
        stored = snapshot(spare)
        assert (stored["name"], stored["slug"]) == ("Alizé Renommé", "renomme-test")
        assert api.delete(url).status_code == 204
        assert not Dispositif.unscoped_objects.filter(pk=spare.pk).exists()

    def test_animateur_sees_own_dispositif_only(self, world):
        api = api_client_for(world.animateur_a)
        slugs = {row["slug"] for row in api.get(reverse("api:dispositif-list")).json()["results"]}
        assert slugs == {world.a.slug}
        assert api.get(reverse("api:dispositif-detail", args=[world.b.pk])).status_code == 404

    def test_api_client_sees_its_region(self, world):
        api = api_client_for(world.api_client_user)
        slugs = {row["slug"] for row in api.get(reverse("api:dispositif-list")).json()["results"]}
        assert slugs == {world.a.slug}

    def test_coordinator_sees_all_and_creates(self, world):
        api = api_client_for(world.coordinator)
        slugs = {row["slug"] for row in api.get(reverse("api:dispositif-list")).json()["results"]}
        assert {world.a.slug, world.b.slug} <= slugs
        response = api.post(
            reverse("api:dispositif-list"),
            {
                "name": "Alizé Test",
                "slug": "test-new",
                "region": "84",
                "advance_min": "10000.00",
                "advance_max": "15000.00",
            },
            format="json",
        )
        assert response.status_code == 201, response.content

    def test_animateur_cannot_create_update_or_delete(self, world):
        api = api_client_for(world.animateur_a)
        count = Dispositif.unscoped_objects.count()
        response = api.post(
            reverse("api:dispositif-list"),
            {"name": "X", "slug": "x", "region": "32"},
            format="json",
        )
        assert response.status_code == 403
        before = snapshot(world.a)
        url = reverse("api:dispositif-detail", args=[world.a.pk])
        assert api.patch(url, {"name": "Renamed"}, format="json").status_code == 403
        assert api.delete(url).status_code == 403
        assert snapshot(world.a) == before
        assert Dispositif.unscoped_objects.count() == count

    def test_advance_bounds_are_validated_with_field_names(self, world):
        api = api_client_for(world.coordinator)
        response = api.patch(
            reverse("api:dispositif-detail", args=[world.a.pk]),
            {"advance_min": "20000.00", "advance_max": "15000.00"},
            format="json",
        )
        assert response.status_code == 400
        assert "advance_max" in response.json()["fields"]
        assert snapshot(world.a)["advance_min"] == world.a.advance_min

    def test_list_query_count_does_not_grow(self, world):
        api = api_client_for(world.coordinator)
        assert_queries_do_not_grow(
            "api:dispositif-list",
            lambda: api.get(reverse("api:dispositif-list")),
            lambda: DispositifFactory.create_batch(5),
        )


def test_membership_of_other_dispositif_is_invisible_inside_scope(world):
    MembershipFactory(dispositif=world.b)
    with scope([world.a]):
        assert not Membership.objects.filter(dispositif=world.b).exists()


def test_leaving_the_tour_de_table_is_a_date_kept_in_history(world):
    """A seat is never deleted: leaving sets ``left_on``, and the history keeps the change."""
    seat = MembershipFactory(dispositif=world.a, joined_on="2020-01-15")
    api = api_client_for(world.animateur_a)
    url = reverse("api:membership-detail", args=[seat.pk])
    assert api.delete(url).status_code == 405
    response = api.patch(url, {"left_on": "2026-06-30"}, format="json")
    assert response.status_code == 200, response.content
    assert count_rows(Membership, pk=seat.pk) == 1
    history = list(
        Membership.history.filter(id=seat.pk)
        .order_by("history_date")
        .values_list("left_on", "history_type")
    )
    assert [str(left) if left else None for left, _kind in history] == [None, "2026-06-30"]
    assert [kind for _left, kind in history] == ["+", "~"]
