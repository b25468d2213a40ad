"""Base viewsets: they only *declare* queryset, serializer and filterset; scope is enforced here."""

from rest_framework import mixins, viewsets

from alize.tenancy import enter_scope, leave_scope, scope_for_user


class ScopedViewMixin:
    """Enters the authenticated caller's scope after DRF authentication and leaves it in
    ``finally``. Querysets declared on subclasses go through scoped managers, so an object
    outside the scope is simply not found (404)."""

    _scope_token = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        self._scope_token = enter_scope(scope_for_user(request.user))

    def dispatch(self, request, *args, **kwargs):
        try:
            return super().dispatch(request, *args, **kwargs)
        finally:
            if self._scope_token is not None:
                leave_scope(self._scope_token)
                self._scope_token = None


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
