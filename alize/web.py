"""Base classes for browser views: role checks, filtered and paginated lists, form errors.

Scope itself is entered by ``TenancyMiddleware``; these classes add what a role may do.
"""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import DetailView, ListView

from alize.accounts.roles import has_role


class RoleRequiredMixin(LoginRequiredMixin):
    """Logged-in users holding one of ``allowed_roles`` (all roles when empty).

    A user without the role gets 404, like an object outside their scope.
    """

    allowed_roles: tuple[str, ...] = ()

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if self.allowed_roles and not has_role(request.user, *self.allowed_roles):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


class FilteredListView(RoleRequiredMixin, ListView):
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
        queryset = self.get_base_queryset()
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


class ScopedDetailView(RoleRequiredMixin, DetailView):
    """A detail page; the scoped manager makes an out-of-scope object a 404."""


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
