"""The meta-test: every route was requested by a test, with every method it serves.

The requests are recorded while the suite runs (``tests/coverage.py``); this module runs
last. On a partial run (some modules not collected, ``-k``/``-m``/node ids) the coverage
check reports skipped with its reason, never a vacuous pass.
"""

import pytest
from django.http import HttpResponse
from django.urls import get_resolver, path
from django.views import View

from tests.coverage import requested, routes

# Routes deliberately without a route test, each with its reason. A test below fails when
# an exemption names a route that no longer exists.
EXEMPT = {
    "login": "public login page; shows no tenant data",
    "logout": "ends the session; shows no tenant data",
    "set_language": "stores the language choice; shows no tenant data",
    "api-schema": "describes the routes; returns no rows",
    "api-docs": "static page rendering the schema",
}
EXEMPT_PREFIXES = {
    "admin:": "Django admin: staff coordinators only (tests/test_admin.py covers the gate)",
}


def is_exempt(name: str) -> bool:
    return name in EXEMPT or any(name.startswith(prefix) for prefix in EXEMPT_PREFIXES)


def unrequested(served: dict[str, set[str]], seen: set[tuple[str, str]]) -> list[str]:
    """``name METHOD`` for every served route and method no test requested."""
    return sorted(
        f"{name} {method.upper()}"
        for name, methods in served.items()
        if not is_exempt(name)
        for method in methods
        if (name, method) not in seen
    )


@pytest.fixture
def full_run(request):
    if not getattr(request.config, "alize_full_run", False):
        pytest.skip(getattr(request.config, "alize_partial_reason", "partial run"))


def test_every_route_and_method_was_requested(full_run):
    assert unrequested(routes(), requested()) == []


def test_exemptions_name_real_routes():
    served = routes()
    stale = [name for name in EXEMPT if name not in served]
    stale += [p for p in EXEMPT_PREFIXES if not any(n.startswith(p) for n in served)]
    assert stale == []


def test_meta_test_catches_a_route_or_method_never_requested():
    def rogue(request):
        return HttpResponse("every dispositif's data")

    class Rogue(View):
        def get(self, request):
            return HttpResponse("rows")

        def delete(self, request):
            return HttpResponse(status=204)

    served = routes(
        [
            *get_resolver().url_patterns,
            path("rogue/", rogue, name="rogue-view"),
            path("nameless/", rogue),
            path("half/", Rogue.as_view(), name="half-requested"),
        ]
    )
    seen = {(name, method) for name, methods in routes().items() for method in methods}
    seen.add(("half-requested", "get"))
    assert unrequested(served, seen) == [
        "<unnamed nameless/> GET",
        "<unnamed nameless/> POST",
        "half-requested DELETE",
        "rogue-view GET",
        "rogue-view POST",
    ]


def test_requests_are_recorded_with_their_method(db, client):
    client.get("/api/v1/companies/")
    client.delete("/api/v1/companies/")
    assert {("api:company-list", "get"), ("api:company-list", "delete")} <= requested()
