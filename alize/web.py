"""Base classes for browser views: access checks, filtered and paginated lists, form errors.

Scope itself is entered by ``TenancyMiddleware``; these classes ask the access policy what
the user may do (``action``) and narrow every queryset with ``for_user``.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ImproperlyConfigured
from django.http import Http404
from django.views.generic import DetailView, ListView

from alize.tenancy import is_scoped, may


class SignedInMixin(LoginRequiredMixin):
    """Any signed-in user (pages that show only what panels and the policy allow)."""


class ActionRequiredMixin(LoginRequiredMixin):
    """Signed-in users whom the access policy lets do ``action`` in some dispositif.

    Anyone else gets 404, like an object outside their scope. Querysets of scoped models
    returned by ``get_queryset`` are narrowed to the dispositifs where the action is allowed.
    """

    action: str = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not self.action:
            raise ImproperlyConfigured(f"{type(self).__name__} must declare an action.")
        if not may(request.user, self.action):
            raise Http404
        return super().dispatch(request, *args, **kwargs)

    def restrict(self, queryset):
        """The rows of ``queryset`` the user may ``action`` (global models: unchanged)."""
        if is_scoped(queryset.model):
            return queryset.for_user(self.request.user, self.action)
        return queryset


class FilteredListView(ActionRequiredMixin, ListView):
    """A list with a django-filter FilterSet (search included), sorting and pagination.

    ``sort_fields`` maps the public sort key to an ORM ordering; ``?sort=-name`` reverses.
    """

    filterset_class = None
    sort_fields: dict[str, str] = {}
    default_sort = ""
    paginate_by = 25

    def get_base_queryset(self):
        return super().get_queryset()

    def get_queryset(self):
        queryset = self.restrict(self.get_base_queryset())
        self.filterset = None
        if self.filterset_class is not None:
            self.filterset = self.filterset_class(
                self.request.GET or None, queryset=queryset, request=self.request
            )
            queryset = self.filterset.qs
        return queryset.order_by(*self.get_ordering_fields())

    def get_ordering_fields(self):
        requested = self.request.GET.get("sort") or self.default_sort
        key = requested.lstrip("-")
        if key not in self.sort_fields:
            requested = self.default_sort
            key = requested.lstrip("-")
        if not key:
            return ["-pk"]
        field = self.sort_fields[key]
        prefix = "-" if requested.startswith("-") else ""
        return [prefix + field, "-pk"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["filterset"] = self.filterset
        context["current_sort"] = self.request.GET.get("sort") or self.default_sort
        context["querystring"] = query.urlencode()
        query.pop("sort", None)
        context["querystring_without_sort"] = query.urlencode()
        return context


class ScopedDetailView(ActionRequiredMixin, DetailView):
    """A detail page; an object outside the rows the action allows is a 404."""

    def get_queryset(self):
        return self.restrict(super().get_queryset())


class InvalidFormStatusMixin:
    """Answer an invalid form with HTTP 400 (the page still shows the field errors)."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


def require(condition: bool) -> None:
    """Refuse the action as if the object did not exist (404, never 403)."""
    if not condition:
        raise Http404
