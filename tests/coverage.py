"""The routes the test clients actually requested, with their methods; read by the meta-test.

A session fixture wraps ``BaseHandler.resolve_request``, which every request made through
Django's and DRF's test clients (and the live server) goes through, and records the
resolved route name with the HTTP method. A route is covered only when it was requested.
"""

from __future__ import annotations

import contextlib

from django.core.handlers.base import BaseHandler
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

SAFE_ALIASES = {"head", "options"}

_requested: set[tuple[str, str]] = set()


def record(view_name: str, method: str) -> None:
    _requested.add((view_name, method.lower()))


def requested() -> set[tuple[str, str]]:
    """Every (route name, method) requested so far in this session."""
    return set(_requested)


@contextlib.contextmanager
def recording():
    """Record the route and method of every request resolved while active."""
    original = BaseHandler.resolve_request

    def resolve_request(handler, request):
        match = original(handler, request)
        record(match.view_name or f"<unnamed {match.route}>", request.method)
        return match

    BaseHandler.resolve_request = resolve_request
    try:
        yield
    finally:
        BaseHandler.resolve_request = original


@contextlib.contextmanager
def not_recorded():
    """Requests made inside do not count as requested by a route test (a sweep over every
    route must not make the meta-test pass by itself)."""
    before = set(_requested)
    try:
        yield
    finally:
        _requested.clear()
        _requested.update(before)


def served_methods(pattern: URLPattern) -> set[str]:
    """The methods a route answers: a ViewSet's actions, or a view class's handlers."""
    callback = pattern.callback
    actions = getattr(callback, "actions", None)
    if actions:
        return {method.lower() for method in actions} - SAFE_ALIASES
    view_class = getattr(callback, "view_class", None) or getattr(callback, "cls", None)
    if view_class is None:
        allowed = getattr(callback, "http_method_names", None) or ["get", "post"]
        return {m for m in allowed if m not in SAFE_ALIASES}
    return {
        m for m in view_class.http_method_names if m not in SAFE_ALIASES and hasattr(view_class, m)
    }


def route_parameters(patterns=None, namespace="") -> dict[str, dict[str, str]]:
    """Every named route and its URL parameters with their kind ("int", "slug", "str",
    "path" or "regex"), the namespaces' parameters included."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    found: dict[str, dict[str, str]] = {}

    def kinds(pattern) -> dict[str, str]:
        if isinstance(pattern, RoutePattern):
            return {
                name: type(converter).__name__.removesuffix("Converter").lower()
                for name, converter in pattern.converters.items()
            }
        return dict.fromkeys(pattern.regex.groupindex, "regex")

    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            outer = kinds(entry.pattern)
            for name, params in route_parameters(entry.url_patterns, inner).items():
                found.setdefault(name, outer | params)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name or f'<unnamed {entry.pattern}>'}"
            params = kinds(entry.pattern)
            if name not in found or len(params) < len(found[name]):
                found[name] = params
    return found


def routes(patterns=None, namespace="") -> dict[str, set[str]]:
    """Every named route (with its namespace) and the methods it serves; unnamed patterns
    appear as ``<unnamed …>``."""
    if patterns is None:
        patterns = get_resolver().url_patterns
    found: dict[str, set[str]] = {}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            for name, methods in routes(entry.url_patterns, inner).items():
                found.setdefault(name, set()).update(methods)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}{entry.name or f'<unnamed {entry.pattern}>'}"
            found.setdefault(name, set()).update(served_methods(entry))
    return found
