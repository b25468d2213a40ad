"""Reads of personal data: finding a person across the network, and everything held about
them (docs/personal-data.md, "Access").

A person is found by name or e-mail among every declared kind (``registry.KINDS``) that the
caller may manage. What is held about them is read from the database itself: their own
row, the rows that point at them (an expert's hours, the rows a user recorded), the history
rows of each (django-simple-history) and every row whose free text mentions their name,
e-mail or phone. The export reads every dispositif, so it runs in a scope over all of them;
only the national coordination reaches it (``Action.MANAGE_PERSONAL_DATA``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Model, Q
from django.utils import timezone

from alize.actions import Action
from alize.models import ErasureRecord, RetentionReport
from alize.tenancy import is_scoped, scope

from . import database
from .registry import KINDS, PersonKind, kind_of

# Fields never exported, even to the person: secrets, not data about them.
SECRET_FIELDS = {"password", "code_hash", "key", "key_hash", "bin_key"}
SEARCH_LIMIT = 25


@dataclass(frozen=True)
class Found:
    kind: PersonKind
    row: Model
    name: str
    description: str
    erased: bool


def manageable(user, kind: PersonKind):
    """The rows of ``kind`` the user may manage the personal data of."""
    queryset: Any = kind.queryset()
    if is_scoped(kind.model_class):
        queryset = queryset.for_user(user, Action.MANAGE_PERSONAL_DATA)
    return queryset


def person_search(user, query: str) -> list[Found]:
    """The persons of every kind whose name or e-mail contains ``query`` (at least two
    characters), at most ``SEARCH_LIMIT`` of each kind, erased ones included (marked)."""
    query = query.strip()
    if len(query) < 2:
        return []
    found = []
    for kind in KINDS.values():
        condition = reduce(or_, (Q(**{f"{f}__icontains": query}) for f in kind.search_fields))
        rows = list(
            manageable(user, kind)
            .filter(condition)
            .prefetch_related(*kind.prefetch)
            .order_by("pk")[:SEARCH_LIMIT]
        )
        holding = set(
            manageable(user, kind)
            .filter(kind.holds_data, pk__in=[row.pk for row in rows])
            .values_list("pk", flat=True)
        )
        found += [
            Found(kind, row, kind.name(row), kind.describe(row), row.pk not in holding)
            for row in rows
        ]
    return found


def person_get(user, kind_key: str, person_id: int) -> Found | None:
    """One person the user may manage, or None (unknown kind, no such row, out of reach)."""
    try:
        kind = kind_of(kind_key)
    except LookupError:
        return None
    row = manageable(user, kind).filter(pk=person_id).first()
    if row is None:
        return None
    erased = not manageable(user, kind).filter(kind.holds_data, pk=person_id).exists()
    return Found(kind, row, kind.name(row), kind.describe(row), erased)


def row_data(row: Model) -> dict:
    """A row's stored values as JSON values (secrets left out)."""
    values = {
        field.attname: field.value_from_object(row)
        for field in row._meta.concrete_fields
        if field.name not in SECRET_FIELDS
    }
    return json.loads(json.dumps(values, cls=DjangoJSONEncoder))


def _is_history(model) -> bool:
    return getattr(model, "instance_type", None) is not None


def _pointing_fields(target) -> list[tuple[type[Model], str]]:
    """Every (model, field) of the project whose foreign key points at ``target``'s model:
    the models of every app and their history models, many-to-many tables included."""
    return [
        (model, field.name)
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.concrete_fields
        if field.is_relation
        and field.related_model is target
        and (field.many_to_one or field.one_to_one)
    ]


def person_export(found: Found) -> dict:
    """Everything held about one person, as JSON values: their row, the rows pointing at
    them (when the kind follows its links), the history of both, and the rows whose free
    text mentions them, per table."""
    kind, row = found.kind, found.row
    model = kind.model_class
    with scope(every_dispositif=True, reason="export of a person's data across the network"):
        related: dict[str, list[dict]] = {}
        history: dict[str, list[dict]] = {}
        for historical in apps.get_models():
            if getattr(historical, "instance_type", None) is model:
                rows = historical._base_manager.filter(id=row.pk).order_by("history_date")
                _add(history, historical, rows)
        if kind.follow_links:
            for pointing, name in _pointing_fields(model):
                if pointing is model:
                    continue
                rows = pointing._base_manager.filter(**{name: row.pk}).order_by("pk")
                _add(history if _is_history(pointing) else related, pointing, rows)
        mentions = database.mentions(kind.identity(row))
        erasures = ErasureRecord.objects.filter(kind=kind.key, person_id=row.pk)
        return {
            "kind": kind.key,
            "kind_label": str(kind.label),
            "id": row.pk,
            "name": found.name,
            "generated_at": timezone.now().isoformat(),
            "person": {model._meta.label: row_data(row)},
            "related": related,
            "history": history,
            "mentions": mentions,
            "erasures": [row_data(record) for record in erasures],
        }


def _add(into: dict, model, rows) -> None:
    data = [row_data(row) for row in rows]
    if data:
        into.setdefault(model._meta.label, []).extend(data)


def erasure_records(limit: int = 50) -> list[ErasureRecord]:
    """The latest erasures, for the coordination's page."""
    return list(ErasureRecord.objects.select_related("by")[:limit])


def retention_reports(limit: int = 30) -> list[RetentionReport]:
    """The latest runs of the retention job, for the coordination's page."""
    return list(RetentionReport.objects.all()[:limit])
