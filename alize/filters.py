"""Filter helpers shared by every FilterSet: a free-text search over declared fields, « Tous »
as the empty choice, and a date-time filter whose UTC offset stays within the range PostgreSQL
and real zones accept."""

from datetime import timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

# A filter left empty keeps every row: its empty choice reads « Tous », not « --------- ».
EMPTY_FILTER_LABEL = _("Tous")


def _attrs_html(attrs: dict) -> str:
    """As ``django/forms/widgets/attrs.html``."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{conditional_escape(str(value))}"'
        for name, value in attrs.items()
        if value is not False
    )


class ListSelect(forms.Select):
    """A select rendered in Python, with the HTML of Django's select templates: a list's
    filter form has hundreds of options, and an included template per option costs more than
    the rest of the page."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [
            f'<select name="{conditional_escape(widget["name"])}"{_attrs_html(widget["attrs"])}>'
        ]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
            for option in options:
                parts.append(
                    f'\n  <option value="{conditional_escape(str(option["value"]))}"'
                    f"{_attrs_html(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
                )
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 (every value above is escaped)


class TenantAPIFilterSet(django_filters.FilterSet):
    """API FilterSet of a tenant model: ``?dispositif=<slug>`` narrows to one dispositif
    (within the rows the caller may read, which the viewset has already narrowed)."""

    dispositif = django_filters.CharFilter(field_name="dispositif__slug", label=_("Dispositif"))


class SearchFilterSet(django_filters.FilterSet):
    """FilterSet with a ``q`` parameter searching ``search_fields`` (icontains, OR-ed), whose
    choice filters offer « Tous » as their empty choice (in a ``ListSelect``)."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(method="filter_search", label=_("Recherche"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():
            if isinstance(filter_, (django_filters.ChoiceFilter, django_filters.ModelChoiceFilter)):
                filter_.extra["empty_label"] = EMPTY_FILTER_LABEL
                filter_.extra.setdefault("widget", ListSelect)

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value or not self.search_fields:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{f"{field}__icontains": value})
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
