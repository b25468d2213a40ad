"""Browser-view equivalent of the generic endpoint tests: list and detail isolation.

A subclass says how to make an object in a dispositif; the base proves that A's user
sees A's rows and not B's, gets 404 on B's detail page, is sent to the login page when
anonymous, and that the list page's query count does not grow with the rows.
"""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alize.tenancy import scope
from tests.coverage import CoversRoutes


class ViewIsolationTestBase(CoversRoutes):
    """Subclass as ``TestXxxViews``; set ``list_url_name``/``detail_url_name`` and ``make``."""

    list_url_name: str | None = None
    detail_url_name: str | None = None
    extra_url_names: tuple[str, ...] = ()

    @classmethod
    def covered_url_names(cls):
        names = [cls.list_url_name, cls.detail_url_name, *cls.extra_url_names]
        return [name for name in names if name]

    def make(self, world, dispositif):
        raise NotImplementedError

    def label(self, instance) -> str:
        return str(instance)

    def detail_args(self, instance) -> list:
        return [instance.pk]

    def viewer(self, world):
        return world.animateur_a

    def make_in(self, world, dispositif, count=1):
        with scope(every_dispositif=True, reason="test setup"):
            return [self.make(world, dispositif) for _ in range(count)]

    def login(self, client, world):
        client.force_login(self.viewer(world))
        return client

    def test_anonymous_is_sent_to_login(self, world, client):
        url = reverse(
            self.list_url_name or self.detail_url_name,
            args=[] if self.list_url_name else self.detail_args(self.make_in(world, world.a)[0]),
        )
        response = client.get(url)
        assert response.status_code == 302
        assert reverse("login") in response["Location"]

    def test_list_shows_own_not_other(self, world, client):
        if not self.list_url_name:
            return
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        response = self.login(client, world).get(reverse(self.list_url_name))
        assert response.status_code == 200
        page = response.content.decode()
        assert self.label(own) in page
        assert self.label(other) not in page

    def test_detail_own_and_other_is_404(self, world, client):
        if not self.detail_url_name:
            return
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        self.login(client, world)
        assert (
            client.get(reverse(self.detail_url_name, args=self.detail_args(own))).status_code == 200
        )
        assert (
            client.get(reverse(self.detail_url_name, args=self.detail_args(other))).status_code
            == 404
        )

    def test_list_query_count_does_not_grow(self, world, client):
        if not self.list_url_name:
            return
        self.login(client, world)
        url = reverse(self.list_url_name)
        self.make_in(world, world.a, count=2)
        client.get(url)
        with CaptureQueriesContext(connection) as few:
            assert client.get(url).status_code == 200
        self.make_in(world, world.a, count=6)
        with CaptureQueriesContext(connection) as many:
            assert client.get(url).status_code == 200
        assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
