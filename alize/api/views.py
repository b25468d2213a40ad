"""Base viewsets: they only *declare* queryset, serializer, filterset and the actions of the
access policy; scope and access are enforced here, for every route alike."""

from typing import TYPE_CHECKING, cast

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from rest_framework import mixins, viewsets
from rest_framework.permissions import SAFE_METHODS
from rest_framework.response import Response

from alize.actions import Action
from alize.tenancy import (
    ScopedQuerySet,
    enter_scope,
    is_scoped,
    leave_scope,
    may,
    scope_for_user,
)

if TYPE_CHECKING:  # the view that these mixins complete, for the type checker
    from rest_framework.generics import GenericAPIView as _GenericViewBase
else:
    _GenericViewBase = object


class ScopedViewMixin(_GenericViewBase):
    """Enters the authenticated caller's scope after DRF authentication and leaves it in
    ``finally``, and narrows the declared queryset to the rows the access policy lets the
    caller read (``view_action``); writes need ``manage_action`` on the row's dispositif.

    A row outside what the caller may read is simply not found (404), exactly as on the web.

    Only writes run in the request's transaction (``ATOMIC_REQUESTS``): a read (GET, HEAD,
    OPTIONS) runs its statements in autocommit, each in a transaction of its own that
    declares the scope to PostgreSQL in the same round trip (``alize.row_security``). Under
    READ COMMITTED a request's transaction gave its statements no common snapshot anyway.
    """

    view_action: str = ""
    manage_action: str = "manage"
    _scope_token = None

    @classmethod
    def as_view(cls, *args, **kwargs):
        view = super().as_view(*args, **kwargs)
        # The handler does not wrap the view in a transaction; ``dispatch`` does, for writes.
        view._non_atomic_requests = set(connections.settings)  # type: ignore[attr-defined]
        return view

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not self.view_action:
            raise ImproperlyConfigured(f"{type(self).__name__} must declare a view_action.")
        self._scope_token = enter_scope(scope_for_user(request.user))

    def dispatch(self, request, *args, **kwargs):
        try:
            if not _runs_atomic(request):
                return super().dispatch(request, *args, **kwargs)
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)
        finally:
            if self._scope_token is not None:
                leave_scope(self._scope_token)
                self._scope_token = None

    def get_queryset(self):
        queryset = super().get_queryset()
        user = self.request.user
        if is_scoped(queryset.model):
            return cast(ScopedQuerySet, queryset).for_user(user, self.view_action)
        return queryset if may(user, self.view_action) else queryset.none()


def _runs_atomic(request) -> bool:
    """Writes run in a transaction (``ATOMIC_REQUESTS``); a read only when it is served
    inside a caller's transaction (a test's), in a savepoint that an error response rolls
    back alone, as the request's transaction did."""
    connection = connections[DEFAULT_DB_ALIAS]
    if not connection.settings_dict.get("ATOMIC_REQUESTS"):
        return False
    return request.method not in SAFE_METHODS or connection.in_atomic_block


class ActionPermissionsMixin:
    """``manage_action`` per viewset action (the access policy's action a write needs);
    the services then check the row-level rule (the firm's correspondent, one's own)."""

    write_actions: dict[str, str] = {}

    @property
    def manage_action(self):
        return self.write_actions.get(getattr(self, "action", None) or "", Action.MANAGE)


class ScopedModelViewSet(ScopedViewMixin, viewsets.ModelViewSet):
    """Read and write endpoint over a scoped (or global) model."""


class ScopedReadOnlyViewSet(ScopedViewMixin, viewsets.ReadOnlyModelViewSet):
    """Read-only endpoint."""


class ScopedCreateListRetrieveViewSet(
    ScopedViewMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Endpoint for append-only records (history, logs)."""


class RowListMixin(_GenericViewBase):
    """The ``list`` action served from plain rows: the filtered queryset is turned into
    ``list_rows(queryset)`` (a selector's ``values()``), paginated, and rendered by
    ``list_serializer(context)`` (a ``RowSerializer``) into the JSON of ``serializer_class``.
    Detail and write actions keep the serializer."""

    def list_rows(self, queryset):
        raise NotImplementedError

    def list_serializer(self, context):
        raise NotImplementedError

    def list(self, request, *args, **kwargs):
        rows = self.list_rows(self.filter_queryset(self.get_queryset()))
        page = self.paginate_queryset(rows)
        serializer = self.list_serializer(self.get_serializer_context())
        if page is None:
            return Response(serializer.many(rows))
        return self.get_paginated_response(serializer.many(page))
