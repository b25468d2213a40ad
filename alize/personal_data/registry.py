"""The kinds of persons the platform holds personal data about, declared by the apps.

The core cannot import the apps that own the rows (docs/architecture.md §2), so each app
declares its kind of person here from its ``personal_data`` module, imported by its
``AppConfig.ready``: which model, which fields identify the person and what replaces them
on erasure, how to find them, which other kind is the same person, and when the retention
job erases them. The export and the erasure (``alize.personal_data.services``) are generic
over these declarations and over the database itself (every table and its history).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet

# What replaces a mention of an erased person in free text (notes, outbox, history…).
ERASED_TEXT = "[personne effacée]"


def full_names(*names: str) -> list[str]:
    """The names worth looking for in free text: those of two words or more. A single word
    (« Martin ») would also be other people's names and ordinary words; it is replaced in
    the person's own fields only."""
    return [name for name in names if len(name.split()) >= 2]


def erased_name(person_id: int) -> str:
    """The name an erased person's rows carry from then on."""
    return f"Personne effacée #{person_id}"


@dataclass(frozen=True)
class PersonKind:
    """One kind of person: its model (``app_label.Model``) and how to treat its rows.

    - ``name(row)``: the person's name as shown;
    - ``erased_values(row)``: the identifying fields and their placeholders;
    - ``identity(row)``: the strings that name the person (names, e-mails, phones), which
      the erasure replaces wherever they appear in free text;
    - ``search_fields``: the fields a search by name or e-mail looks in;
    - ``holds_data``: the rows that still hold personal data (not erased, not empty);
    - ``describe(row)``: what tells two homonyms apart (their firm, their SME, their roles);
    - ``account_field``: the field holding the person's user account, when they may have
      one (an expert): the account and the person are one human being, erased together;
    - ``follow_links``: export the rows pointing at the person (an expert's hours, a user's
      records); an SME contact's company rows are the company's, not the contact's;
    - ``tenant``: the rows belong to a dispositif (erased within its scope);
    - ``on_erase(row, by)``: what else goes with the person (an account's sign-in means).
    """

    key: str
    label: object
    model: str
    name: Callable[[Any], str]
    erased_values: Callable[[Any], dict]
    identity: Callable[[Any], list[str]]
    search_fields: tuple[str, ...]
    holds_data: Q
    describe: Callable[[Any], str]
    account_field: str | None = None
    prefetch: tuple[str, ...] = ()  # the related rows ``describe`` reads, for a search
    follow_links: bool = True
    tenant: bool = False
    on_erase: Callable[[Any, Any], None] | None = None
    retention: list[Retention] = field(default_factory=list)

    @property
    def model_class(self) -> type[Model]:
        return apps.get_model(self.model)

    def queryset(self) -> QuerySet:
        """Every row of the kind within the active scope."""
        return self.model_class._default_manager.all()


@dataclass(frozen=True)
class Retention:
    """A retention rule of a kind: ``candidates(cutoff, dispositif)`` gives the ids of the
    persons whose purpose ended before ``cutoff`` (in ``dispositif`` for a tenant kind;
    ``None`` for the directory's kinds)."""

    description: object
    candidates: Callable[[dt.date, Any], Iterable[int]]


KINDS: dict[str, PersonKind] = {}
# Tables whose rows are never rewritten, with the reason (the ledger is append-only and an
# accounting record kept under a legal obligation).
KEPT_TABLES: dict[str, str] = {}


def register_person_kind(kind: PersonKind) -> PersonKind:
    """Declare a kind of person (once per key; the apps' ``ready`` may run twice)."""
    KINDS.setdefault(kind.key, kind)
    return KINDS[kind.key]


def register_retention(key: str, retention: Retention) -> None:
    """Add a retention rule to a declared kind (the app that knows the activity may sit
    above the one that owns the person: missions knows when an expert last worked)."""
    rules = KINDS[key].retention
    if all(rule.description != retention.description for rule in rules):
        rules.append(retention)


def register_kept_table(table: str, reason: str) -> None:
    """Declare a table the erasure never rewrites, with the reason (docs/personal-data.md)."""
    KEPT_TABLES[table] = reason


def kind_of(key: str) -> PersonKind:
    try:
        return KINDS[key]
    except KeyError:
        raise LookupError(key) from None
