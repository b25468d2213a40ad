"""Browser-view route tests as per-action mixins, the web twin of ``tests/api_base.py``.

A route's test class composes the mixins of the pages it has (``WebListMixin`` needs
``list_url_name``, ``WebDetailMixin`` needs ``detail_url_name``) and implements ``make``.
Every role of the shared ``world`` is tried: the roles in ``readers`` see dispositif A's rows
and not B's (the coordinator sees both), every other role gets 404 or sees none of them.
``WebAnonymousMixin`` sends every method each of the class's routes serves, anonymously,
and expects the login page and no change.
"""

from __future__ import annotations

from django.urls import reverse

from alize.tenancy import scope
from tests.coverage import routes
from tests.query_counts import assert_queries_do_not_grow


def expected_sight(readers, role) -> tuple[bool, bool]:
    """Whether ``role`` sees (A's row, B's row) on a route read by ``readers``."""
    if role == "animateur_b":
        return False, "animateur" in readers
    sees_own = role in readers
    return sees_own, role == "coordinator" and sees_own


class ViewRouteBase:
    """Hooks shared by the web mixins; ``make`` builds a row in a dispositif."""

    readers: frozenset[str] = frozenset({"coordinator", "animateur"})

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


class WebListMixin(ViewRouteBase):
    list_url_name: str = ""

    def test_list_by_role(self, world, client, role):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        client.force_login(world.user(role))
        response = client.get(reverse(self.list_url_name))
        sees_own, sees_other = expected_sight(self.readers, role)
        if not (sees_own or sees_other) and response.status_code in (403, 404):
            return
        assert response.status_code == 200, (role, response.status_code)
        page = response.content.decode()
        assert (self.label(own) in page, self.label(other) in page) == (sees_own, sees_other)

    def test_list_query_count_does_not_grow(self, world, client):
        self.login(client, world)
        url = reverse(self.list_url_name)
        self.make_in(world, world.a, count=2)
        assert_queries_do_not_grow(
            self.list_url_name,
            lambda: client.get(url),
            lambda: self.make_in(world, world.a, count=6),
        )


class WebDetailMixin(ViewRouteBase):
    detail_url_name: str = ""

    def test_detail_by_role(self, world, client, role):
        (own,) = self.make_in(world, world.a)
        (other,) = self.make_in(world, world.b)
        client.force_login(world.user(role))
        for instance, sees in zip((own, other), expected_sight(self.readers, role), strict=True):
            url = reverse(self.detail_url_name, args=self.detail_args(instance))
            status = client.get(url).status_code
            assert status == (200 if sees else 404), (role, instance, status)


class WebAnonymousMixin(ViewRouteBase):
    """Override ``anonymous_routes`` to add the class's action routes to its pages."""

    def anonymous_routes(self, world, instance) -> list[tuple[str, list]]:
        names = []
        if getattr(self, "list_url_name", ""):
            names.append((self.list_url_name, []))
        if getattr(self, "detail_url_name", ""):
            names.append((self.detail_url_name, self.detail_args(instance)))
        return names

    def test_anonymous_is_sent_to_login_on_every_method(self, world, client):
        (own,) = self.make_in(world, world.a)
        served = routes()
        checked = self.anonymous_routes(world, own)
        assert checked, "a route class must name at least one route"
        for name, args in checked:
            url = reverse(name, args=args)
            for method in sorted(served[name]):
                response = getattr(client, method)(url)
                assert response.status_code == 302, (name, method, response.status_code)
                assert reverse("login") in response["Location"]
        assert type(own).unscoped_objects.filter(pk=own.pk).exists()


class ViewIsolationTestBase(WebAnonymousMixin, WebListMixin, WebDetailMixin):
    """A list page and a detail page, with every role and anonymous tried on both."""
