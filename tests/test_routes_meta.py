"""The meta-test: every route was requested by a test, with every method it serves.

The requests are recorded while the suite runs (``tests/coverage.py``); this module runs
last. On a partial run (some modules not collected, ``-k``/``-m``/node ids) the coverage
check reports skipped with its reason, never a vacuous pass.
"""

import pytest
from django.http import HttpResponse
from django.urls import NoReverseMatch, get_resolver, path, reverse
from django.views import View

from tests.coverage import not_recorded, requested, route_parameters, routes

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


# The routes an anonymous visitor may use, each with its reason. Every other route answers
# an anonymous request with the login page, 401, 403, 404 or 405 (the sweep below). The
# public doors are the only ones among them that read or write a dispositif's rows, through
# alize.tenancy.public_door_scope (docs/architecture.md §3.6, §16; tests/test_rules.py).
PUBLIC_ROUTES = {
    "login": "signing in",
    "logout": "signing out (POST), no data",
    "oidc_login": "signing in with the organisation's account",
    "oidc_callback": "the organisation's provider answers here",
    "set_language": "the language switch",
    "password_reset": "a forgotten password",
    "password_reset_done": "a forgotten password",
    "password_reset_confirm": "a forgotten password's single-use link",
    "password_reset_complete": "a forgotten password",
    "health": "health checks of the deployment",
    "metrics": "Prometheus, answered inside the deployment or with its token only",
    "open_data:list": "open data, with statistical secrecy (docs/open-data.md)",
    "open_data:file": "open data, with statistical secrecy (docs/open-data.md)",
    "committees:calendar-feed": "a member's private feed, behind its signed key",
    "door:index": "the SMEs' public door: the active dispositifs",
    "door:submit": "the SMEs' public door: one dispositif's form",
    "door:sent": "the SMEs' public door: « check your mailbox »",
    "door:confirm": "the SMEs' public door: the signed confirmation link",
    "pme:follow-up-declare": (
        "an SME's signed, expiring, single-use follow-up link (alize.links): one "
        "declaration of one dispositif"
    ),
    "personal_data:register": "the register of personal data the platform holds (public)",
    "accessibility": "the accessibility statement (RGAA), public by law",
}
# What a route that is not public may answer an anonymous request.
REFUSALS = {401, 403, 404, 405}
DUMMY = {"int": "999999", "slug": "no-such-slug", "str": "no-such-key", "path": "no/such"}


def anonymous_url(name: str, params: dict[str, str]) -> str:
    """The route's URL with a value of the right kind for each parameter."""
    kwargs = {key: DUMMY.get(kind, "999999") for key, kind in params.items()}
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return reverse(name, kwargs=dict.fromkeys(params, "1"))


def anonymous_reach(client, served, parameters, public) -> tuple[list[str], int]:
    """The routes outside ``public`` (and the admin) that answer an anonymous request with
    something else than a refusal, as ``name METHOD status``; and how many were tried."""
    login = reverse("login")
    reached, tried = [], 0
    with not_recorded():
        for name, methods in sorted(served.items()):
            if name in public or name.startswith(("admin:", "<unnamed")):
                continue
            url = anonymous_url(name, parameters.get(name, {}))
            for method in sorted(methods):
                tried += 1
                response = getattr(client, method)(url)
                to_login = response.status_code == 302 and login in response.get("Location", "")
                if not to_login and response.status_code not in REFUSALS:
                    reached.append(f"{name} {method.upper()} {response.status_code}")
    return reached, tried


def test_anonymous_visitors_reach_only_the_public_routes(db, client):
    """Every route outside ``PUBLIC_ROUTES`` (the admin aside: staff only, its own gate)
    refuses every method to a visitor who is not signed in."""
    served = routes()
    assert set(PUBLIC_ROUTES) <= set(served)
    reached, tried = anonymous_reach(client, served, route_parameters(), PUBLIC_ROUTES)
    assert reached == []
    assert tried > 200


def test_the_anonymous_sweep_catches_a_route_open_to_anyone(world, client):
    served = {"door:index": {"get"}, "door:submit": {"get"}, "home": {"get"}}
    parameters = {"door:submit": {"slug": "slug"}}
    reached, tried = anonymous_reach(client, served, parameters, public={"door:submit"})
    assert (reached, tried) == (["door:index GET 200"], 2)


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
