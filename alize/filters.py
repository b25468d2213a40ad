"""Filter helpers shared by every FilterSet: a free-text search over declared fields, « Tous »
as the empty choice, and a date-time filter whose UTC offset stays within the range PostgreSQL
and real zones accept."""

import calendar
import re
from dataclasses import dataclass
from datetime import date, timedelta

import django_filters
from django import forms
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.search import search_condition

# A filter left empty keeps every row: its empty choice reads « Tous », not « --------- ».
EMPTY_FILTER_LABEL = _("Tous")


class TenantAPIFilterSet(django_filters.FilterSet):
    """API FilterSet of a tenant model: ``?dispositif=<slug>`` narrows to one dispositif
    (within the rows the caller may read, which the viewset has already narrowed).

    The slug is compared in a scalar subquery, so that PostgreSQL knows the dispositif's id
    before reading the rows and walks their ``(dispositif, -id)`` index to the page's last
    row; a join on the slug read every row of the dispositif and sorted them."""

    dispositif = django_filters.CharFilter(method="filter_dispositif", label=_("Dispositif"))

    def filter_dispositif(self, queryset, name, value):
        tenant = apps.get_model(settings.TENANT_MODEL)
        found = tenant._default_manager.filter(slug=value).order_by().values("pk")[:1]
        return queryset.filter(dispositif_id=Subquery(found))


class SearchFilterSet(django_filters.FilterSet):
    """FilterSet with a ``q`` parameter searching ``search_fields`` (accents and case aside,
    OR-ed: ``contains_text`` of ``alize.search``, served by the columns' trigram indexes),
    whose choice filters offer « Tous » as their empty choice."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(method="filter_search", label=_("Recherche"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():
            if isinstance(filter_, (django_filters.ChoiceFilter, django_filters.ModelChoiceFilter)):
                filter_.extra["empty_label"] = EMPTY_FILTER_LABEL

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= search_condition(queryset.model, field, value)
        return queryset.filter(condition)


# Real time zones run from UTC-12:00 to UTC+14:00; PostgreSQL refuses larger offsets.
MAX_UTC_OFFSET = timedelta(hours=14)


class BoundedDateTimeField(forms.DateTimeField):
    """A date-time whose UTC offset, when given, lies within ±14:00 (else a field error)."""

    default_error_messages = {
        "offset": _("Le décalage horaire doit être compris entre -14:00 et +14:00."),
    }

    def to_python(self, value):
        result = super().to_python(value)
        offset = result.utcoffset() if result is not None else None
        if offset is not None and abs(offset) > MAX_UTC_OFFSET:
            raise ValidationError(self.error_messages["offset"], code="offset")
        return result


class BoundedDateTimeFilter(django_filters.DateTimeFilter):
    """The date-time filter every FilterSet uses: offsets beyond ±14:00 answer 400."""

    field_class = BoundedDateTimeField


# Periods of the drill-down lists ---------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A year (``month`` 0) or one month of it: the period of an indicator's figure, as the
    lists behind the figures filter it (``?approved_in=2025``, ``?approved_in=2025-03``)."""

    year: int
    month: int = 0

    @property
    def start(self) -> date:
        return date(self.year, self.month or 1, 1)

    @property
    def end(self) -> date:
        month = self.month or 12
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    def stock_end(self, today: date | None = None) -> date | None:
        """The day a stock is read at: the period's end, or today for a period under way
        (None for a period not yet begun), as the indicators take it."""
        today = today or timezone.localdate()
        if self.start > today:
            return None
        return min(self.end, today)

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d}" if self.month else str(self.year)


PERIOD_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


class PeriodField(forms.CharField):
    """``YYYY`` or ``YYYY-MM``; anything else is an error that names the field."""

    default_error_messages = {
        "period": _("« %(field)s » : une année (AAAA) ou un mois (AAAA-MM) est attendu."),
    }

    def to_python(self, value):
        value = (super().to_python(value) or "").strip()
        if not value:
            return None
        found = PERIOD_PATTERN.match(value)
        month = int(found.group(2) or 0) if found else 0
        if (
            not found
            or not 1900 <= int(found.group(1)) <= 2999
            or month > 12
            or (found.group(2) and month == 0)
        ):
            raise ValidationError(
                self.error_messages["period"], code="period", params={"field": self.label}
            )
        return Period(int(found.group(1)), month)


class PeriodFilter(django_filters.Filter):
    """A period filter of a drill-down list (a figure's period). It is kept out of the
    filter form's visible fields (a list is reached with it from a figure) and its
    ``method`` filters the rows the way the figure's definition counts them."""

    field_class = PeriodField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.HiddenInput)
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        """Without a ``method``: the rows whose ``field_name`` (a date) lies in the period."""
        if value is None:
            return qs
        return qs.filter(**{f"{self.field_name}__range": (value.start, value.end)})


def drill_filters(filterset) -> list[tuple[str, str]]:
    """The period filters a list is narrowed by, as (label, value): shown above it so the
    reader knows which figure the rows stand behind."""
    if filterset is None or not filterset.is_bound or not filterset.is_valid():
        return []
    shown = []
    for name, filter_ in filterset.filters.items():
        value = filterset.form.cleaned_data.get(name)
        if isinstance(filter_, PeriodFilter) and value is not None:
            shown.append((str(filter_.label), str(value)))
    return shown
