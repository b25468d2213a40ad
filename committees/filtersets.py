"""FilterSet of the committee list page."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.filters import PeriodFilter, SearchFilterSet
from pme.filtersets import dispositif_choices

from .models import HELD_STATUSES, Committee, CommitteeStatus


class CommitteeFilterSet(SearchFilterSet):
    """Committees by dispositif (among those in reach), status and date range."""

    search_fields = ("place", "host__name", "dispositif__name")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_COMMITTEE),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    status = django_filters.ChoiceFilter(choices=CommitteeStatus.choices, label=_("Statut"))
    date_from = django_filters.DateFilter(
        field_name="date",
        lookup_expr="gte",
        label=_("Du"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="date",
        lookup_expr="lte",
        label=_("Au"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    # Behind « Comités tenus » (committees.indicators): dated in the period and held.
    held_in = PeriodFilter(method="filter_held_in", label=_("Tenus en"))

    class Meta:
        model = Committee
        fields = ["q", "dispositif", "status", "date_from", "date_to", "held_in"]

    def filter_held_in(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(status__in=HELD_STATUSES, date__range=(value.start, value.end))
