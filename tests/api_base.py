"""Generic API route tests, as per-action mixins composed per route (NetBox ``ViewTestCases``).

A route's test class composes the mixins of the actions it serves and implements the hooks
(``make``, payloads). Each mixin asserts the effect, never only a status:

- ``ListMixin`` / ``RetrieveMixin``: every role of the shared ``world`` is tried; the roles in
  ``readers`` see dispositif A's rows and not B's (the coordinator sees both), every other role
  sees none of them (the access matrix: the API allows exactly what the web allows);
- ``CreateMixin``: the writer creates in A (stored in A), never in B nor pointing into B
  (``cross_tenant_payload`` is required), and every other role creates nothing;
- ``UpdateMixin``: PATCH and PUT are stored; B's rows and other roles' attempts change nothing;
- ``DeleteMixin``: the row is gone; B's rows and other roles' attempts leave it;
- ``AnonymousMixin`` tries every method anonymously; ``ReadOnlyMixin`` tries every write
  method with every role; ``PersonalDataMixin`` keeps contact fields for the managers.
"""

from __future__ import annotations

from django.forms.models import model_to_dict
from django.urls import reverse

from alize.tenancy import scope
from tests.conftest import api_client_for
from tests.query_counts import assert_queries_do_not_grow

WRITE_METHODS = ("post", "patch", "put", "delete")


def snapshot(instance) -> dict:
    """The stored state of a row, read without a scope (the test is the referee)."""
    model = type(instance)
    manager = getattr(model, "unscoped_objects", model._default_manager)
    fresh = manager.get(pk=instance.pk)
    return model_to_dict(fresh)


def count_rows(model, **filters) -> int:
    return model.unscoped_objects.filter(**filters).count()


def refused(response) -> bool:
    """A write that was not accepted: any status but a 2xx or a 5xx."""
    return 400 <= response.status_code < 500


class APIRouteBase:
    """Hooks and helpers shared by the API mixins; ``make`` builds a row in a dispositif."""

    basename: str = ""
    model = None
    readers: frozenset[str] = frozenset({"coordinator", "animateur", "member", "api_client"})
    writers: frozenset[str] = frozenset({"coordinator", "animateur"})
    managers: frozenset[str] = frozenset({"coordinator", "animateur"})

    def make(self, world, dispositif):
        raise NotImplementedError

    def writer(self, world):
        return world.animateur_a

    def list_url(self):
        return reverse(f"api:{self.basename}-list")

    def detail_url(self, instance):
        return reverse(f"api:{self.basename}-detail", args=[instance.pk])

    def make_in(self, world, dispositif, count=1):
        with scope(every_dispositif=True, reason="test setup"):
            return [self.make(world, dispositif) for _ in range(count)]

    def rows(self):
        return count_rows(self.model)

    @staticmethod
    def ids(response):
        return {row["id"] for row in response.json()["results"]}


class ListMixin(APIRouteBase):
    def test_list_by_role(self, world, role):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        response = api_client_for(world.user(role)).get(self.list_url())
        if response.status_code in (403, 404) and role not in self.readers:
            return
        assert response.status_code == 200, response.content
        seen = self.ids(response)
        sees_own = role in self.readers
        sees_other = role == "coordinator" and sees_own
        if role == "animateur_b":
            sees_own, sees_other = False, "animateur" in self.readers
        assert (own.pk in seen, other.pk in seen) == (sees_own, sees_other), role

    def test_list_query_count_does_not_grow(self, world):
        api = api_client_for(self.writer(world))
        self.make_in(world, world.a, count=2)

        def fetch():
            return api.get(self.list_url())

        assert_queries_do_not_grow(
            f"api:{self.basename}-list", fetch, lambda: self.make_in(world, world.a, count=6)
        )
        assert len(self.ids(fetch())) >= 8


class RetrieveMixin(APIRouteBase):
    def test_retrieve_by_role(self, world, role):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        api = api_client_for(world.user(role))
        sees_own = role in self.readers
        sees_other = role == "coordinator" and sees_own
        if role == "animateur_b":
            sees_own, sees_other = False, "animateur" in self.readers
        for instance, sees in ((own, sees_own), (other, sees_other)):
            status = api.get(self.detail_url(instance)).status_code
            if sees:
                assert status == 200, (role, instance)
            else:
                assert status in (403, 404), (role, instance, status)


class PersonalDataMixin(APIRouteBase):
    """Contact fields reach only the row's managers (coordinator, animateur of it)."""

    personal_fields: tuple[str, ...] = ("contact_name", "contact_email", "contact_phone")
    managers_receive_personal_data = True

    def test_personal_data_only_for_managers(self, world, role):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.user(role))
        detail = api.get(self.detail_url(own))
        listed = api.get(self.list_url())
        rows = [detail.json()] if detail.status_code == 200 else []
        if listed.status_code == 200:
            rows += listed.json()["results"]
        carried = {field for row in rows for field in self.personal_fields if field in row}
        if role in self.managers and self.managers_receive_personal_data:
            assert carried == set(self.personal_fields)
        else:
            assert carried == set(), role


class CreateMixin(APIRouteBase):
    """Implement ``create_payload`` and ``cross_tenant_payload`` (required)."""

    def create_payload(self, world, dispositif) -> dict:
        raise NotImplementedError

    def cross_tenant_payload(self, world) -> dict:
        """A create payload for A whose relations point into B."""
        raise NotImplementedError(f"{type(self).__name__} declares no cross-tenant payload")

    def test_create_is_stored_in_its_dispositif(self, world):
        api = api_client_for(self.writer(world))
        before = self.rows()
        response = api.post(self.list_url(), self.create_payload(world, world.a), format="json")
        assert response.status_code == 201, response.content
        assert self.rows() == before + 1
        created = self.model.unscoped_objects.get(pk=response.json()["id"])
        assert created.tenant_id() == world.a.pk

    def test_create_in_other_dispositif_is_refused(self, world):
        api = api_client_for(self.writer(world))
        before = self.rows()
        response = api.post(self.list_url(), self.create_payload(world, world.b), format="json")
        assert response.status_code == 400, response.content
        assert self.rows() == before

    def test_create_pointing_into_other_dispositif_is_refused(self, world):
        payload = self.cross_tenant_payload(world)
        api = api_client_for(self.writer(world))
        before = self.rows()
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code == 400, response.content
        assert self.rows() == before

    def test_create_refused_for_role(self, world, refused_role):
        payload = self.create_payload(world, world.a)
        before = self.rows()
        response = api_client_for(world.user(refused_role)).post(
            self.list_url(), payload, format="json"
        )
        assert refused(response), (refused_role, response.status_code)
        assert self.rows() == before


class UpdateMixin(APIRouteBase):
    """Implement ``update_payload``; ``put_payload`` defaults to a full create payload with
    the update applied on top, the fields the row already has sent back as read (a PUT
    that changes a field fixed at creation is refused)."""

    def update_payload(self, world, instance) -> dict:
        raise NotImplementedError

    def put_payload(self, world, instance) -> dict:
        payload = self.create_payload(world, world.a)
        read = api_client_for(self.writer(world)).get(self.detail_url(instance))
        if read.status_code == 200:
            current = read.json()
            payload |= {name: current[name] for name in payload if name in current}
        return payload | self.update_payload(world, instance)

    def assert_stored(self, world, instance):
        """Every field of the update payload now holds the value sent."""
        stored = snapshot(instance)
        for field, value in self.update_payload(world, instance).items():
            assert str(stored[field]) == str(value), (field, stored[field], value)

    def test_patch_is_stored(self, world):
        (own,) = self.make_in(world, world.a)
        payload = self.update_payload(world, own)
        response = api_client_for(self.writer(world)).patch(
            self.detail_url(own), payload, format="json"
        )
        assert response.status_code == 200, response.content
        self.assert_stored(world, own)

    def test_put_is_stored(self, world):
        (own,) = self.make_in(world, world.a)
        payload = self.put_payload(world, own)
        response = api_client_for(self.writer(world)).put(
            self.detail_url(own), payload, format="json"
        )
        assert response.status_code == 200, response.content
        self.assert_stored(world, own)

    def test_update_in_other_dispositif_is_404(self, world):
        (other,) = self.make_in(world, world.b)
        api = api_client_for(self.writer(world))
        before = snapshot(other)
        url = self.detail_url(other)
        assert api.patch(url, self.update_payload(world, other), format="json").status_code == 404
        assert api.put(url, self.put_payload(world, other), format="json").status_code == 404
        assert snapshot(other) == before

    def test_update_refused_for_role(self, world, refused_role):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.user(refused_role))
        before = snapshot(own)
        url = self.detail_url(own)
        assert refused(api.patch(url, self.update_payload(world, own), format="json"))
        assert refused(api.put(url, self.put_payload(world, own), format="json"))
        assert snapshot(own) == before


class DeleteMixin(APIRouteBase):
    delete_status = 204

    def test_delete_removes_the_row(self, world):
        (own,) = self.make_in(world, world.a)
        response = api_client_for(self.writer(world)).delete(self.detail_url(own))
        assert response.status_code == self.delete_status, response.content
        assert count_rows(self.model, pk=own.pk) == 0

    def test_delete_in_other_dispositif_is_404(self, world):
        (other,) = self.make_in(world, world.b)
        response = api_client_for(self.writer(world)).delete(self.detail_url(other))
        assert response.status_code == 404
        assert count_rows(self.model, pk=other.pk) == 1

    def test_delete_refused_for_role(self, world, refused_role):
        (own,) = self.make_in(world, world.a)
        response = api_client_for(world.user(refused_role)).delete(self.detail_url(own))
        assert refused(response), (refused_role, response.status_code)
        assert count_rows(self.model, pk=own.pk) == 1


class AnonymousMixin(APIRouteBase):
    def test_anonymous_is_refused_on_every_method(self, world):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(None)
        before, stored = self.rows(), snapshot(own)
        calls = [
            ("get", self.list_url()),
            ("post", self.list_url()),
            *((method, self.detail_url(own)) for method in ("get", *WRITE_METHODS[1:])),
        ]
        for method, url in calls:
            response = getattr(api, method)(url, {}, format="json")
            assert response.status_code in (401, 403), (method, url, response.status_code)
        assert (self.rows(), snapshot(own)) == (before, stored)


class ReadOnlyMixin(APIRouteBase):
    """A route that serves only reads: every role's every write method is refused."""

    writers = frozenset()

    def test_every_write_is_refused(self, world, role):
        (own,) = self.make_in(world, world.a)
        api = api_client_for(world.user(role))
        before, stored = self.rows(), snapshot(own)
        for method, url in (
            ("post", self.list_url()),
            ("patch", self.detail_url(own)),
            ("put", self.detail_url(own)),
            ("delete", self.detail_url(own)),
        ):
            response = getattr(api, method)(url, {"comment": "x"}, format="json")
            assert refused(response), (role, method, response.status_code)
        assert (self.rows(), snapshot(own)) == (before, stored)


class APIReadTestBase(AnonymousMixin, ListMixin, RetrieveMixin):
    """The read actions every API route serves."""


class APIEndpointTestBase(APIReadTestBase, CreateMixin, UpdateMixin, DeleteMixin):
    """A full model route: list, retrieve, create, update (PATCH and PUT), delete."""


class APIReadOnlyTestBase(APIReadTestBase, ReadOnlyMixin):
    """A read-only route: list and retrieve; every write by every role is refused."""
