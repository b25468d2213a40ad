"""Row-level tenancy: the dispositif is the tenant, and scoping fails closed.

A scope (the set of dispositifs the caller may touch) lives in a context variable.
Tenant-scoped models get a default manager whose queries *raise* when they run with no
active scope and are filtered to the scope otherwise. The only ways around it are
``Model.unscoped_objects`` (grep for it) and ``scope(every_dispositif=True, reason=...)``;
``public_door_scope`` is the one narrow way in for a request without an account.
Every entry point enters a scope and leaves it in ``finally``:
web requests (``TenancyMiddleware``), API views (``alize.api.views``), Celery tasks
(``ScopedTask``) and management commands (``ScopedCommand``). Under this wall, PostgreSQL's
row-level security (``alize.row_security``) shows each statement only the dispositifs of the
scope active when it runs.

This module imports no app: the tenant layer registers the access policy
(``register_access_policy``), which answers "which dispositifs may this user do X in" and,
through it, the scope of a user.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand
from django.db import models, transaction
from django.db.models import Q, sql
from django.utils.translation import gettext_lazy as _

TENANT_MODEL = "dispositifs.Dispositif"


def tenant_model():
    """The tenant model class, looked up by name so the core imports no app."""
    return apps.get_model(TENANT_MODEL)


class ScopeError(Exception):
    """Raised when tenant data is touched with no active scope, or outside it."""


@dataclass(frozen=True)
class Scope:
    """The dispositifs visible to the current caller; ``everything`` means all of them."""

    dispositif_ids: frozenset[int]
    everything: bool = False
    reason: str = ""

    def allows(self, dispositif_id: int | None) -> bool:
        return self.everything or dispositif_id in self.dispositif_ids


_current: contextvars.ContextVar[Scope | None] = contextvars.ContextVar(
    "alize_tenancy_scope", default=None
)


def current_scope() -> Scope:
    """The active scope; raises ``ScopeError`` when none is active (fail closed)."""
    active = _current.get()
    if active is None:
        raise ScopeError(
            "No tenancy scope is active: enter one with alize.tenancy.scope() "
            "or use Model.unscoped_objects explicitly."
        )
    return active


def active_scope() -> Scope | None:
    """The active scope or None, for code that only needs to know."""
    return _current.get()


@contextmanager
def scope(dispositifs=(), *, every_dispositif: bool = False, reason: str = ""):
    """Enter a scope for the ``with`` block and restore the previous one afterwards.

    ``dispositifs`` is an iterable of ids or Dispositif instances. A scope over every
    dispositif must say why (``reason``), which keeps such scopes easy to audit.
    """
    if every_dispositif and not reason:
        raise ValueError("A scope over every dispositif needs a reason.")
    ids = frozenset(getattr(d, "pk", d) for d in dispositifs)
    token = _current.set(Scope(ids, everything=every_dispositif, reason=reason))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


@contextmanager
def public_door_scope(dispositif_id: int, *, door: str):
    """The one way a request without an account touches tenant data: the scope of ONE
    dispositif, named by the door's URL or by a token the platform signed (``alize.links``),
    never by what the caller asks; ``door`` says which public door, as the scope's reason.

    A public request has an empty scope (``scope_for_user``), so its tenant queries raise.
    Inside this block it reads and writes that dispositif's rows only, and PostgreSQL's
    row-level security is told the same single id (docs/architecture.md §3.4, §3.6). Only
    the public doors call it: the SME's « Déposer un projet » (§16) and the follow-up an SME
    declares by its link (``tests/test_rules.py`` holds the allow-list)."""
    if not door or not door.strip():
        raise ValueError("A public door scope names its door.")
    if isinstance(dispositif_id, bool) or not isinstance(dispositif_id, int):
        raise TypeError("A public door scope takes one dispositif id.")
    token = _current.set(Scope(frozenset({dispositif_id}), reason=f"public door: {door}"))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def enter_scope(new_scope: Scope) -> contextvars.Token:
    """Low-level enter for entry points that cannot use ``with`` (middleware, API views)."""
    return _current.set(new_scope)


def leave_scope(token: contextvars.Token) -> None:
    """Restore the scope that was active before ``enter_scope``."""
    _current.reset(token)


_building_exclude_subquery: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "alize_tenancy_exclude_subquery", default=False
)


def tenant_path(model: Any) -> str:
    """The lookup from a scoped model to its dispositif: ``dispositif`` for tenant rows,
    ``pk`` for the dispositif itself (an attribute of every scoped model class)."""
    return model.tenant_path


class ScopedQuery(sql.Query):
    """A query that adds the tenancy filter when it is compiled to SQL.

    Applying the scope at compile time (not when the queryset is built) lets views
    declare ``queryset = Model.objects.select_related(...)`` at import time, while every
    statement that reaches the database — select, count, exists, subquery, iterator —
    is filtered to the active scope or raises ``ScopeError`` when none is active.
    """

    scope_applied = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if _building_exclude_subquery.get():
            # The subquery ``exclude()`` builds across a multi-valued relation only narrows
            # the outer query, which is scoped itself; its base table is the related one,
            # so a filter on this model's tenant path would not even be valid SQL there.
            self.scope_applied = True

    def split_exclude(self, filter_expr, can_reuse, names_with_path):
        token = _building_exclude_subquery.set(True)
        try:
            return super().split_exclude(filter_expr, can_reuse, names_with_path)
        finally:
            _building_exclude_subquery.reset(token)

    def scoped_clone(self) -> ScopedQuery:
        clone = cast(ScopedQuery, self.clone())  # a clone keeps its class
        clone.scope_applied = True
        active = current_scope()
        if not active.everything:
            clone.add_q(Q(**{f"{tenant_path(self.model)}__in": active.dispositif_ids}))
        return clone

    def get_compiler(self, using=None, connection=None, elide_empty=True):
        if not self.scope_applied:
            return self.scoped_clone().get_compiler(using, connection, elide_empty)
        return super().get_compiler(using, connection, elide_empty)


class ScopedQuerySet(models.QuerySet):
    """QuerySet of a tenant-scoped model; writes that turn the query into another class
    (update, raw delete) get the scope filter first."""

    def __init__(self, model=None, query=None, using=None, hints=None):
        super().__init__(model, query or ScopedQuery(model), using, hints)

    def _with_scope(self):
        clone = self.all()
        clone.query = cast(ScopedQuery, clone.query).scoped_clone()
        return clone

    def for_user(self, user, action: str):
        """Rows of the dispositifs where the access policy lets ``user`` do ``action``.

        Unknown users, roles and actions answer nothing (fail closed); this narrows the
        tenancy scope, which still applies when the query runs.
        """
        ids = dispositif_ids(user, action)
        if ids is None:
            return self.all()
        return self.filter(**{f"{tenant_path(self.model)}__in": sorted(ids)})

    def bulk_create(self, objs, *args, **kwargs):
        objs = list(objs)
        for obj in objs:
            check_tenant_write(obj)
        return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        if {"dispositif", "dispositif_id"} & set(kwargs):
            raise ScopeError("The dispositif of existing rows cannot be changed.")
        return super(ScopedQuerySet, self._with_scope()).update(**kwargs)

    # Django's markers: ``alters_data`` keeps templates from calling a write method, and
    # ``queryset_only = False`` lets the manager offer ``_update``. The stubs do not declare
    # these attributes on functions.
    update.alters_data = True  # type: ignore[attr-defined]

    def _update(self, values):
        # ``_update`` is private to Django, so the stubs do not declare it.
        return super(ScopedQuerySet, self._with_scope())._update(values)  # type: ignore[misc]

    _update.alters_data = True  # type: ignore[attr-defined]
    _update.queryset_only = False  # type: ignore[attr-defined]

    def _raw_delete(self, using):
        return super(ScopedQuerySet, self._with_scope())._raw_delete(using)

    _raw_delete.alters_data = True  # type: ignore[attr-defined]


_ScopedManagerBase = models.Manager.from_queryset(ScopedQuerySet)


class ScopedManager(_ScopedManagerBase):
    """Default manager of tenant models: every query it makes is filtered to the active
    scope when it runs, and raises ``ScopeError`` when no scope is active."""


class TenantModel(models.Model):
    """Abstract base of every row owned by one dispositif.

    ``objects`` is scoped; ``unscoped_objects`` is the explicit escape hatch. The tenant
    of a saved row cannot change, and a row can only be written inside a scope that
    includes its dispositif.
    """

    tenant_path = "dispositif"

    dispositif = models.ForeignKey(
        TENANT_MODEL,
        on_delete=models.PROTECT,
        verbose_name=_("dispositif"),
    )

    objects = ScopedManager()
    unscoped_objects = models.Manager()

    class Meta:
        abstract = True
        base_manager_name = "unscoped_objects"

    # The dispositif a row was loaded with: ``check_tenant_write`` refuses to move it.
    _loaded_dispositif_id: int | None

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_dispositif_id = instance.__dict__.get("dispositif_id")
        return instance

    def tenant_id(self):
        return self.dispositif_id

    def save(self, *args, **kwargs):
        check_tenant_write(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        check_tenant_write(self)
        return super().delete(*args, **kwargs)


def check_tenant_write(instance) -> None:
    """Refuse a write outside the active scope or one that moves a row to another tenant."""
    dispositif_id = instance.tenant_id()
    loaded = getattr(instance, "_loaded_dispositif_id", None)
    if instance.pk is not None and loaded is not None and loaded != dispositif_id:
        raise ScopeError("The dispositif of an existing row cannot be changed.")
    if not current_scope().allows(dispositif_id):
        raise PermissionDenied("This dispositif is outside the current scope.")


_GLOBAL_MODELS: dict[str, str] = {}


def global_model(reason: str):
    """Class decorator declaring a model in a tenant app as deliberately not scoped."""

    def register(model):
        if not reason.strip():
            raise ValueError("A global model needs a reason.")
        _GLOBAL_MODELS[model._meta.label] = reason
        model.tenancy_global_reason = reason
        return model

    return register


def declare_history_global(*models) -> None:
    """Declare the simple_history tables of tenant models as global, with the reason."""
    for model in models:
        global_model(
            "History rows are read only through their scoped parent (instance.history), "
            "which the tenancy scope already guards."
        )(model.history.model)


def is_scoped(model) -> bool:
    return isinstance(model._default_manager, ScopedManager)


def project_app_configs():
    """Installed apps whose code lives in this repository (not in site-packages)."""
    root = Path(settings.BASE_DIR).resolve()
    found = []
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(root) and "site-packages" not in path.parts:
            found.append(config)
    return found


def unclassified_models(app_configs=None):
    """Models of the project's apps that are neither scoped nor declared global."""
    found = []
    for config in project_app_configs() if app_configs is None else app_configs:
        for model in config.get_models():
            if model._meta.auto_created:
                continue
            if not is_scoped(model) and model._meta.label not in _GLOBAL_MODELS:
                found.append(model)
    return found


@checks.register(checks.Tags.models)
def check_models_are_classified(app_configs=None, **kwargs):
    """System check alize.E001: every model of every project app is scoped or global with a
    reason, so a new app that is forgotten fails the check instead of escaping it."""
    return [
        checks.Error(
            f"{model._meta.label} is neither tenant-scoped nor declared global.",
            hint="Subclass alize.tenancy.TenantModel, or decorate it with "
            "@global_model('why it is shared across dispositifs').",
            obj=model,
            id="alize.E001",
        )
        for model in unclassified_models()
    ]


# --------------------------------------------------------------------------------------
# The access policy, registered by the tenant layer.

# Each answers a set of dispositif ids, or None for every dispositif.
_policy: dict[str, Callable[..., set[int] | None]] = {}


def register_access_policy(*, dispositif_ids, scope_ids) -> None:
    """Install the access policy: ``dispositif_ids(user, action)`` and ``scope_ids(user)``
    each return a set of dispositif ids, or ``None`` for every dispositif."""
    _policy["dispositif_ids"] = dispositif_ids
    _policy["scope_ids"] = scope_ids


def dispositif_ids(user, action: str) -> set[int] | None:
    """Dispositifs where ``user`` may do ``action``; ``None`` means every one. With no
    policy registered, or no signed-in user, nothing."""
    policy = _policy.get("dispositif_ids")
    if policy is None or user is None or not user.is_authenticated:
        return set()
    return policy(user, action)


def may(user, action: str, dispositif_id: int | None = None) -> bool:
    """May ``user`` do ``action`` in this dispositif (without one: in any dispositif)?"""
    ids = dispositif_ids(user, action)
    if ids is None:
        return True
    return bool(ids) if dispositif_id is None else dispositif_id in ids


def scope_for_user(user) -> Scope:
    """The scope a user's role assignments give (empty for anonymous users)."""
    resolver = _policy.get("scope_ids")
    if resolver is None or user is None or not user.is_authenticated:
        return Scope(frozenset())
    ids = resolver(user)
    if ids is None:
        return Scope(frozenset(), everything=True, reason="national coordinator")
    return Scope(frozenset(ids))


class TenancyMiddleware:
    """Enters the request user's scope for the whole request and leaves it in ``finally``;
    renders deferred template responses in one transaction."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # No user on the API's token chain, where the view enters the caller's scope.
        token = enter_scope(scope_for_user(getattr(request, "user", None)))
        try:
            return self.get_response(request)
        finally:
            leave_scope(token)

    def process_template_response(self, request, response):
        """Render a deferred template response (class-based views) in one transaction, as
        the view itself ran: its queries then declare the scope to PostgreSQL once, not one
        transaction each (docs/decisions/0007-row-level-security.md)."""
        with transaction.atomic(savepoint=False):
            response.render()
        return response


class ScopedCommand(BaseCommand):
    """Management command base: runs ``handle_scoped`` inside an explicit scope.

    ``--dispositif SLUG`` (repeatable) limits the scope; without it the command runs over
    every dispositif, which is stated as the scope's reason.
    """

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.add_argument(
            "--dispositif", action="append", default=[], help="slug of a dispositif"
        )
        return parser

    def handle(self, *args, **options):
        slugs = options.get("dispositif") or []
        if slugs:
            ids = list(
                tenant_model().unscoped_objects.filter(slug__in=slugs).values_list("pk", flat=True)
            )
            if len(ids) != len(set(slugs)):
                raise ScopeError(f"Unknown dispositif among {', '.join(slugs)}.")
            with scope(ids):
                return self.handle_scoped(*args, **options)
        with scope(every_dispositif=True, reason=f"management command {self.__module__}"):
            return self.handle_scoped(*args, **options)

    def handle_scoped(self, *args, **options):
        raise NotImplementedError
