"""Pages composed of panels that apps contribute, so a page never imports the apps that
fill it (the manner of NetBox's template extensions).

An app registers ``panel(request, obj) -> dict | None`` for a page ("home", "project",
"company", "dispositif", "organisation"…) with an order; the page renders, in that order,
every panel that returns a context (a dict with its "template"). A panel returns ``None``
when it has nothing to show to this user, and reads through selectors and the access policy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Panel:
    page: str
    order: int
    render: Callable


_PANELS: dict[str, list[Panel]] = {}


def register_panel(page: str, *, order: int = 100):
    """Decorator: contribute ``function(request, obj)`` to ``page`` at position ``order``."""

    def register(function):
        panels = _PANELS.setdefault(page, [])
        if not any(p.render is function for p in panels):
            panels.append(Panel(page, order, function))
            panels.sort(key=lambda p: p.order)
        return function

    return register


def render_panels(page: str, request, obj=None) -> list[dict]:
    """The contexts of the panels of ``page`` that have something to show."""
    rendered = []
    for panel in _PANELS.get(page, ()):
        context = panel.render(request, obj)
        if context:
            rendered.append(context)
    return rendered


def first_rows(queryset, count: int) -> list:
    """The first ``count`` rows of an ordered list, for a panel that shows a few of many:
    they are chosen by their ids in a subquery that applies the list's conditions (its
    scope among them) without the related rows the list loads (``select_related``); the
    outer query (through the model's scoped manager) reads those ids only, with their
    related rows, in the list's order, and applies the conditions no second time (an alias
    the conditions use stays in the subquery). A list that selects annotations, orders by an
    alias, defers fields or leaves its order to the model is refused: the outer query would
    not have them."""
    query = queryset.query
    ordered_by_alias = any(
        isinstance(key, str) and key.lstrip("-") in query.annotations for key in query.order_by
    )
    if (
        query.annotation_select
        or query.extra
        or query.deferred_loading[0]
        or not query.order_by
        or ordered_by_alias
    ):
        raise ValueError(
            "first_rows() reads whole rows in the list's own order: the list may not select "
            "annotations, order by an alias, defer fields or leave its order to the model."
        )
    rows = queryset.model._default_manager.filter(pk__in=queryset.values("pk")[:count])
    rows.query.select_related = query.select_related
    return list(rows.order_by(*query.order_by))
