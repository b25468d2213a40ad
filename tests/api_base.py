"""Generic endpoint tests (list / retrieve / create / update / delete) with isolation built in.

An API route is tested by a small subclass that says how to make an object in a given
dispositif and what to POST/PATCH. Every subclass proves, for dispositifs A and B:
A's animateur never sees, edits, deletes or links B's rows (404 on B's objects, 400 on a
write pointing into B, B unchanged), API clients are read-only, and a list runs a number
of queries that does not grow with the number of rows.
"""

from __future__ import annotations

from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alize.tenancy import scope
from tests.conftest import api_client_for
from tests.coverage import CoversRoutes


def snapshot(instance) -> dict:
    """The stored state of a row, read without a scope (the test is the referee)."""
    fresh = type(instance).unscoped_objects.get(pk=instance.pk)
    return model_to_dict(fresh)


def count_rows(model, **filters) -> int:
    return model.unscoped_objects.filter(**filters).count()


class APIEndpointTestBase(CoversRoutes):
    """Subclass as ``TestXxxAPI`` and implement ``make``, ``create_payload`` and
    ``update_payload`` (and ``cross_tenant_payload`` when the model links other rows)."""

    basename: str = ""
    model = None
    read_only = False
    delete_status = 204
    extra_url_names: tuple[str, ...] = ()

    @classmethod
    def covered_url_names(cls):
        return [f"api:{cls.basename}-list", f"api:{cls.basename}-detail", *cls.extra_url_names]

    # hooks -----------------------------------------------------------------------
    def make(self, world, dispositif):
        raise NotImplementedError

    def create_payload(self, world, dispositif) -> dict:
        raise NotImplementedError

    def update_payload(self, world, instance) -> dict:
        raise NotImplementedError

    def cross_tenant_payload(self, world) -> dict | None:
        """A create payload for A whose relations point into B (None: nothing to link)."""
        return None

    def writer(self, world):
        return world.animateur_a

    # helpers -----------------------------------------------------------------------
    def list_url(self):
        return reverse(f"api:{self.basename}-list")

    def detail_url(self, instance):
        return reverse(f"api:{self.basename}-detail", args=[instance.pk])

    def make_in(self, world, dispositif, count=1):
        with scope(every_dispositif=True, reason="test setup"):
            return [self.make(world, dispositif) for _ in range(count)]

    @staticmethod
    def ids(response):
        return {row["id"] for row in response.json()["results"]}

    # tests ---------------------------------------------------------------------------
    def test_anonymous_is_refused(self, world, client):
        assert client.get(self.list_url()).status_code in (401, 403)

    def test_list_shows_only_own_dispositif(self, world):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        response = api_client_for(self.writer(world)).get(self.list_url())
        assert response.status_code == 200, response.content
        assert own.pk in self.ids(response)
        assert other.pk not in self.ids(response)

    def test_retrieve_own_and_other_is_404(self, world):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        api = api_client_for(self.writer(world))
        assert api.get(self.detail_url(own)).status_code == 200
        assert api.get(self.detail_url(other)).status_code == 404

    def test_list_query_count_does_not_grow(self, world):
        api = api_client_for(self.writer(world))
        self.make_in(world, world.a, count=2)
        api.get(self.list_url())  # warm caches (content types, token)
        with CaptureQueriesContext(connection) as few:
            assert api.get(self.list_url()).status_code == 200
        self.make_in(world, world.a, count=6)
        with CaptureQueriesContext(connection) as many:
            response = api.get(self.list_url())
        assert len(self.ids(response)) >= 8
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]

    def test_create(self, world):
        api = api_client_for(self.writer(world))
        before = count_rows(self.model)
        response = api.post(self.list_url(), self.create_payload(world, world.a), format="json")
        if self.read_only:
            assert response.status_code in (403, 405)
            assert count_rows(self.model) == before
            return
        assert response.status_code == 201, response.content
        assert count_rows(self.model) == before + 1
        created = self.model.unscoped_objects.get(pk=response.json()["id"])
        assert created.tenant_id() == world.a.pk

    def test_create_in_other_dispositif_is_refused(self, world):
        api = api_client_for(self.writer(world))
        before = count_rows(self.model)
        response = api.post(self.list_url(), self.create_payload(world, world.b), format="json")
        assert response.status_code in ((403, 405) if self.read_only else (400,)), response.content
        assert count_rows(self.model) == before

    def test_create_pointing_into_other_dispositif_is_refused(self, world):
        payload = self.cross_tenant_payload(world)
        if payload is None:
            return
        api = api_client_for(self.writer(world))
        before = count_rows(self.model)
        response = api.post(self.list_url(), payload, format="json")
        assert response.status_code in ((403, 405) if self.read_only else (400,)), response.content
        assert count_rows(self.model) == before

    def test_update_own_and_other_is_404(self, world):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        api = api_client_for(self.writer(world))
        other_before = snapshot(other)
        response = api.patch(self.detail_url(own), self.update_payload(world, own), format="json")
        if self.read_only:
            assert response.status_code in (403, 405)
        else:
            assert response.status_code == 200, response.content
        response = api.patch(
            self.detail_url(other), self.update_payload(world, other), format="json"
        )
        assert response.status_code in ((403, 405) if self.read_only else (404,))
        assert snapshot(other) == other_before

    def test_delete_own_and_other_is_404(self, world):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        api = api_client_for(self.writer(world))
        response = api.delete(self.detail_url(other))
        assert response.status_code in ((403, 405) if self.read_only else (404,))
        assert count_rows(self.model, pk=other.pk) == 1
        response = api.delete(self.detail_url(own))
        if self.read_only:
            assert response.status_code in (403, 405)
        else:
            assert response.status_code == self.delete_status, response.content

    def test_api_client_reads_its_region_only_and_never_writes(self, world):
        (own,) = self.make_in(world, world.a)  # A is in the API client's region
        (other,) = self.make_in(world, world.b)
        api = api_client_for(world.api_client_user)
        response = api.get(self.list_url())
        assert response.status_code == 200
        assert own.pk in self.ids(response) and other.pk not in self.ids(response)
        before = count_rows(self.model)
        assert (
            api.post(
                self.list_url(), self.create_payload(world, world.a), format="json"
            ).status_code
            == 403
        )
        assert api.delete(self.detail_url(own)).status_code == 403
        assert count_rows(self.model) == before
