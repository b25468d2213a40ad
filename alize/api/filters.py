"""The API's filter backend: django-filter's, without its cost when a request filters on
nothing."""

from django_filters.rest_framework import DjangoFilterBackend


class FilterBackend(DjangoFilterBackend):
    """``DjangoFilterBackend`` that builds no filterset for a request whose query holds only
    the paginator's parameters (a first page, a cursor's next page): bound to no value, every
    filter of a filterset without required filters keeps every row, so the queryset is
    returned as it is, without the filterset's per-request copies of its filters and form
    (``tests/test_api_path.py`` checks both ways give the same answer)."""

    _required: dict[type, bool] = {}

    def filter_queryset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return queryset
        if not self._filters_on_something(request, view) and not self._has_required(
            filterset_class
        ):
            return queryset
        return super().filter_queryset(request, queryset, view)

    @staticmethod
    def _filters_on_something(request, view) -> bool:
        paginator = getattr(view, "paginator", None)
        unfiltering = {
            getattr(paginator, "cursor_query_param", None),
            getattr(paginator, "page_size_query_param", None),
        }
        return any(name not in unfiltering for name in request.query_params)

    @classmethod
    def _has_required(cls, filterset_class) -> bool:
        required = cls._required.get(filterset_class)
        if required is None:
            required = any(
                filter_.extra.get("required") for filter_ in filterset_class.base_filters.values()
            )
            cls._required[filterset_class] = required
        return required
