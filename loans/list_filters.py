"""FilterSets of the loans browser lists beyond those of ``loans.filtersets``: the funds
list, and the advances list's « in arrears » choice. Choice querysets go through scoped
managers narrowed by the access policy, so a dispositif outside the user's reach is an
invalid choice (the list then shows nothing), never a leak."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.filters import SearchFilterSet
from pme.filtersets import OneDispositifHiddenMixin, dispositif_choices

from .filtersets import AdvanceFilterSet
from .models import (
    AdvanceStatus,
    BankStatementLine,
    DirectDebitCollection,
    Direction,
    Fund,
    LineState,
)


class FundFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    search_fields = ("name",)
    dispositif_action = Action.VIEW_ADVANCE

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_ADVANCE),
        to_field_name="slug",
        label=_("Dispositif"),
    )

    class Meta:
        model = Fund
        fields = ["q", "dispositif"]


class AdvanceListFilterSet(AdvanceFilterSet):
    """The app's advance filters (``loans.filtersets``) plus « in arrears / up to date »,
    as the list page offers it."""

    arrears = django_filters.ChoiceFilter(
        choices=[("yes", _("En retard")), ("no", _("À jour"))],
        method="filter_arrears",
        label=_("Retard"),
    )

    class Meta(AdvanceFilterSet.Meta):
        fields = [*AdvanceFilterSet.Meta.fields, "arrears"]

    def filter_arrears(self, queryset, name, value):
        late = Q(status=AdvanceStatus.IN_ARREARS) | Q(days_past_due__gt=0)
        return queryset.filter(late) if value == "yes" else queryset.exclude(late)


class StatementLineFilterSet(SearchFilterSet):
    """The queue of a fund's statement lines: search in the payer, text and bank id; the
    state (open ones by default), the direction and the booking dates."""

    search_fields = ("counterparty_name", "remittance_text", "transaction_id", "end_to_end_id")

    state = django_filters.ChoiceFilter(choices=LineState.choices, label=_("État"))
    direction = django_filters.ChoiceFilter(choices=Direction.choices, label=_("Sens"))
    booked_from = django_filters.DateFilter(
        field_name="booking_date", lookup_expr="gte", label=_("Depuis le")
    )
    booked_to = django_filters.DateFilter(
        field_name="booking_date", lookup_expr="lte", label=_("Jusqu'au")
    )

    class Meta:
        model = BankStatementLine
        fields = ["q", "state", "direction", "booked_from", "booked_to"]


class CollectionFilterSet(django_filters.FilterSet):
    """The collection files of one fund, by due date."""

    collection_date_after = django_filters.DateFilter(
        field_name="collection_date",
        lookup_expr="gte",
        label=_("Échéances du"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    collection_date_before = django_filters.DateFilter(
        field_name="collection_date",
        lookup_expr="lte",
        label=_("Au"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = DirectDebitCollection
        fields = ["collection_date_after", "collection_date_before"]
