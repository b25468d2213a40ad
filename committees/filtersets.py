"""FilterSet of the committee list page."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.filters import SearchFilterSet
from pme.filtersets import dispositif_choices

from .models import Committee, CommitteeStatus


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

    class Meta:
        model = Committee
        fields = ["q", "dispositif", "status", "date_from", "date_to"]
