"""Base classes for browser views: access checks, filtered and paginated lists, form errors
and service refusals (``ServiceCall``).

Scope itself is entered by ``TenancyMiddleware``; these classes ask the access policy what
the user may do (``action``) and narrow every queryset with ``for_user``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.http import Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import DetailView, ListView

from alize import exports
from alize.errors import SERVICE_ERRORS, apply_service_error, service_error_text
from alize.filters import drill_filters
from alize.sorting import french_order, is_text_path
from alize.tenancy import dispositif_ids, is_scoped, may

if TYPE_CHECKING:  # the views that these mixins complete, for the type checker
    from django.views.generic.edit import FormMixin

    _ListViewBase = ListView
    _FormViewBase = FormMixin
else:
    _ListViewBase = _FormViewBase = object


class SignedInMixin(LoginRequiredMixin):
    """Any signed-in user (pages that show only what panels and the policy allow)."""


class ActionRequiredMixin(LoginRequiredMixin):
    """Signed-in users whom the access policy lets do ``action`` in some dispositif.

    Anyone else gets 404, like an object outside their scope. Querysets of scoped models
    returned by ``get_queryset`` are narrowed to the dispositifs where the action is allowed.
    """

    request: HttpRequest  # given by the view this mixin completes
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
    listed_model = None
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
        self.listed_model = queryset.model
        return queryset.order_by(*self.get_ordering_fields())

    def get_ordering_fields(self):
        """The requested sort, then ``-pk``; a text column (a name, a title) sorts in French
        order (``alize.sorting``: accents and case do not count)."""
        requested = self.request.GET.get("sort") or self.default_sort
        key = requested.lstrip("-")
        if key not in self.sort_fields:
            requested = self.default_sort
            key = requested.lstrip("-")
        if not key:
            return ["-pk"]
        field = self.sort_fields[key]
        descending = requested.startswith("-")
        if is_text_path(self.listed_model, field):
            return [french_order(field, descending=descending), "-pk"]
        return [("-" if descending else "") + field, "-pk"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        query.pop("page", None)
        context["filterset"] = self.filterset
        context["drill_filters"] = drill_filters(self.filterset)
        context["current_sort"] = self.request.GET.get("sort") or self.default_sort
        context["querystring"] = query.urlencode()
        query.pop("sort", None)
        context["querystring_without_sort"] = query.urlencode()
        return context


@dataclass(frozen=True)
class ExportColumn:
    """One column of a list export: its header, the ORM path (or annotation) it reads with
    ``values()``, and an optional ``display`` applied to each value. A path ending on a
    field with choices is shown with the choice's label without saying so."""

    label: str
    path: str
    display: Callable | None = None


class ExportMixin(_ListViewBase):
    """``?format=csv``, ``csv-raw`` or ``xlsx`` on a ``FilteredListView``: the whole current
    list (filters, search and sort applied; every page, not only the one shown) as a
    download, in the formats of ``alize.exports.FORMATS``.

    A list adopts it with one declaration, ``export_columns`` (and ``export_filename``).
    The rows are read in one query with ``values()`` over the declared paths (a list whose
    columns need more, such as a ledger sum, overrides ``export_values``), so the number
    of queries does not grow with the rows; more than ``export_limit`` rows are refused with
    a message asking to narrow the filters. Cells go through ``alize.exports`` (formulas
    neutralised, XLSX cells as text).
    """

    export_columns: tuple[ExportColumn, ...] = ()
    export_filename = "export"
    export_limit = 50_000

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format")
        if export_format in exports.FORMATS and self.export_columns:
            return self.export(export_format)
        return super().get(request, *args, **kwargs)

    def export_values(self, queryset, paths: list[str], limit: int) -> list:
        """At most ``limit`` rows of ``queryset``, each a tuple of the ``paths``' values."""
        return list(queryset.values_list(*paths)[:limit])

    def export(self, export_format: str):
        queryset = self.get_queryset()
        paths = list(dict.fromkeys(column.path for column in self.export_columns))
        rows = self.export_values(queryset, paths, self.export_limit + 1)
        if len(rows) > self.export_limit:
            messages.error(
                self.request,
                _(
                    "L'export est limité à %(limit)s lignes : affinez les filtres "
                    "(cette liste en compte davantage)."
                )
                % {"limit": f"{self.export_limit:,}".replace(",", "\u202f")},
            )
            query = self.request.GET.copy()
            query.pop("format", None)
            return HttpResponseRedirect(f"{self.request.path}?{query.urlencode()}")
        position = {path: index for index, path in enumerate(paths)}
        shown = [
            (position[column.path], column.display or _choice_display(queryset.model, column.path))
            for column in self.export_columns
        ]
        table = (
            [display(row[index]) if display else row[index] for index, display in shown]
            for row in rows
        )
        return exports.export_response(
            export_format,
            filename=f"{self.export_filename}-{timezone.localdate():%Y-%m-%d}",
            headers=[column.label for column in self.export_columns],
            rows=table,
            sheet_title=self.export_filename,
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if self.export_columns:
            context["export_links"] = exports.export_links(self.request.GET)
        return context


class TableExportMixin:
    """``?format=csv``, ``csv-raw`` or ``xlsx`` on a page that is not a ``FilteredListView``
    but shows one main table (arrears, fatigue): ``export_table(context)`` turns the page's
    own context into ``(headers, rows)``, so the file holds what the page shows, with its
    filters. The page's ``export_links`` go in ``includes/export_links.html``."""

    request: HttpRequest  # given by the view this mixin completes
    export_filename = "export"

    def export_table(self, context) -> tuple[list, list]:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        export_format = request.GET.get("format")
        if export_format in exports.FORMATS:
            headers, rows = self.export_table(self.get_context_data(**kwargs))
            return exports.export_response(
                export_format,
                filename=f"{self.export_filename}-{timezone.localdate():%Y-%m-%d}",
                headers=headers,
                rows=rows,
                sheet_title=self.export_filename,
            )
        return super().get(request, *args, **kwargs)  # type: ignore[misc]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)  # type: ignore[misc]
        context["export_links"] = exports.export_links(self.request.GET)
        return context


def _choice_display(model, path: str) -> Callable | None:
    """The label of each stored value when ``path`` ends on a field with choices."""
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except FieldDoesNotExist:  # an annotation
            return None
        model = field.related_model or model
    if field is None or not getattr(field, "choices", None):
        return None
    labels = {value: str(label) for value, label in field.flatchoices}
    return lambda value: labels.get(value, value)


class ScopedDetailView(ActionRequiredMixin, DetailView):
    """A detail page; an object outside the rows the action allows is a 404."""

    def get_queryset(self):
        return self.restrict(super().get_queryset())


class InvalidFormStatusMixin(_FormViewBase):
    """Answer an invalid form with HTTP 400 (the page still shows the field errors)."""

    def form_invalid(self, form):
        response = super().form_invalid(form)
        response.status_code = 400
        return response


class ServiceCall:
    """``with ServiceCall(form) as call:`` catches a service's refusal (``SERVICE_ERRORS``)
    once: its messages go on ``form``'s fields (else above it), ``call.refused`` says to show
    the page again, ``call.message`` gives a page message. Other exceptions pass through."""

    def __init__(self, form=None):
        self.form = form
        self.error: Exception | None = None

    def __enter__(self) -> ServiceCall:
        return self

    def __exit__(self, exc_type, error, traceback) -> bool:
        if not isinstance(error, SERVICE_ERRORS):
            return False
        self.error = error
        if self.form is not None:
            apply_service_error(self.form, error)
        return True

    @property
    def refused(self) -> bool:
        return self.error is not None

    @property
    def message(self) -> str:
        """The refusal as one sentence, for a page message rather than a form ("" if none)."""
        return service_error_text(self.error) if self.error is not None else ""


def several_dispositifs(user, action: str) -> bool:
    """Does the user ``action`` in more than one dispositif (so lists show the column)?"""
    ids = dispositif_ids(user, action)
    return ids is None or len(ids) > 1


def require(condition: bool) -> None:
    """Refuse the action as if the object did not exist (404, never 403)."""
    if not condition:
        raise Http404


def is_confirmed(request) -> bool:
    """Did the person confirm an irreversible move (the ``confirmed`` field of the
    confirmation page)?"""
    return bool(request.POST.get("confirmed"))


def confirmation_page(request, *, title: str, consequences, action_url: str, back_url: str):
    """The page that asks before an irreversible move: what will happen (mails to N
    members, money leaving the fund…) and a form that posts the same input again with
    ``confirmed``. Plain HTML, so it works without JavaScript."""
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirmed")
        for value in values
    ]
    if request.method == "GET":
        fields = [(name, value) for name, values in request.GET.lists() for value in values]
    return render(
        request,
        "includes/confirm.html",
        {
            "title": title,
            "consequences": list(consequences),
            "action_url": action_url,
            "back_url": back_url,
            "fields": fields,
        },
    )
