"""The meta-test: every route was requested by a test, with every method it serves.

The requests are recorded while the suite runs (``tests/coverage.py``); this module runs
last. On a partial run (some modules not collected, ``-k``/``-m``/node ids) the coverage
check reports skipped with its reason, never a vacuous pass.
"""

import pytest
from django.contrib.auth.mixins import AccessMixin
from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path
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


# Browser routes whose view does not require a signed-in user (``AccessMixin``), each with
# what guards it instead. The API (DRF's authentication and permissions) and the admin
# (staff only) have their own gates. A new route open without an account must be added here.
OPEN_WITHOUT_ACCOUNT = {
    "login": "the sign-in page",
    "oidc_login": "starts the organisation's sign-in",
    "oidc_callback": "ends it: state, nonce and ID token checked",
    "second_factor_verify": "a signed-in session only (sends others to the login page)",
    "second_factor_enrol": "a signed-in session only (sends others to the login page)",
    "logout": "ends the session",
    "password_change": "a signed-in session only (sends others to the login page)",
    "password_change_done": "a signed-in session only (sends others to the login page)",
    "password_reset": "asks a reset mail; says the same whether the address exists",
    "password_reset_done": "a static page",
    "password_reset_confirm": "Django's signed, expiring reset token",
    "password_reset_complete": "a static page",
    "set_language": "stores the language choice",
    "committees:calendar-feed": "a member's signed, revocable feed key",
    "open_data:list": "published figures under statistical secrecy",
    "open_data:file": "published figures under statistical secrecy",
    "api-schema": "a role holder only (the view checks it)",
    "api-docs": "a role holder only (the view checks it)",
    "health": "names failing parts, no data",
    "metrics": "from inside the deployment or with its token",
    "pme:follow-up-declare": (
        "an SME's signed, expiring, single-use follow-up link (alize.links): one "
        "declaration of one dispositif"
    ),
}


def routes_open_without_account(patterns=None, namespace="") -> set[str]:
    """Browser routes (not the API's nor the admin's) whose view does not require a
    signed-in user."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    found = set()
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= routes_open_without_account(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name or f'<unnamed {entry.pattern}>'}"
            if name.startswith(("admin:", "api:")):
                continue
            view_class = getattr(entry.callback, "view_class", None)
            if view_class is None or not issubclass(view_class, AccessMixin):
                found.add(name)
    return found


def test_routes_open_without_an_account_are_only_the_declared_ones():
    assert routes_open_without_account() == set(OPEN_WITHOUT_ACCOUNT)


def test_an_undeclared_open_route_is_caught():
    def rogue(request):
        return HttpResponse("rows")

    patterns = [*get_resolver().url_patterns, path("rogue/", rogue, name="rogue-open")]
    assert routes_open_without_account(patterns) - set(OPEN_WITHOUT_ACCOUNT) == {"rogue-open"}


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
