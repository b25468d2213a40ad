"""The meta-test: every URL pattern and API route is covered by an isolation test class."""

from django.http import HttpResponse
from django.urls import URLPattern, URLResolver, get_resolver, path

from tests.coverage import covered_url_names

# Routes deliberately without an isolation test, each with its reason. The test below
# fails when an exemption is no longer needed (the route is gone or now covered).
EXEMPT = {
    "login": "public login page; shows no tenant data",
    "logout": "ends the session; shows no tenant data",
    "password_change": "the signed-in user's own password; shows no tenant data",
    "password_change_done": "confirmation of the user's own password change; no tenant data",
    "set_language": "stores the language choice; shows no tenant data",
    "api-schema": "describes the routes; returns no rows",
    "api-docs": "static page rendering the schema",
}
EXEMPT_PREFIXES = {
    "admin:": "Django admin: staff coordinators only (national scope); scoped managers still apply",
}


def route_names(patterns=None, namespace="") -> list[str]:
    """Every named route (with its namespace); unnamed patterns appear as ``<unnamed …>``."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    names = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            names.extend(route_names(entry.url_patterns, inner))
        elif isinstance(entry, URLPattern):
            names.append(f"{namespace}{entry.name or f'<unnamed {entry.pattern}>'}")
    return names


def is_exempt(name: str) -> bool:
    return name in EXEMPT or any(name.startswith(prefix) for prefix in EXEMPT_PREFIXES)


def uncovered_routes(patterns=None) -> list[str]:
    covered = covered_url_names()
    return sorted({n for n in route_names(patterns) if n not in covered and not is_exempt(n)})


def test_every_route_is_covered_by_an_isolation_test():
    assert uncovered_routes() == []


def test_exemptions_are_still_needed():
    names = set(route_names())
    covered = covered_url_names()
    stale = [name for name in EXEMPT if name not in names or name in covered]
    stale += [p for p in EXEMPT_PREFIXES if not any(n.startswith(p) for n in names)]
    assert stale == []


def test_meta_test_catches_a_new_unscoped_view():
    def rogue(request):
        return HttpResponse("every dispositif's data")

    patterns = [
        *get_resolver().url_patterns,
        path("rogue/", rogue, name="rogue-view"),
        path("nameless/", rogue),
    ]
    assert uncovered_routes(patterns) == ["<unnamed nameless/>", "rogue-view"]


def test_covered_names_are_real_routes():
    """A covering class that names a route that does not exist is a typo, not coverage."""
    assert covered_url_names() - set(route_names()) == set()
