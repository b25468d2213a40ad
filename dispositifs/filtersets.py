"""FilterSets of the dispositifs app (browser lists and API)."""

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from alize.filters import SearchFilterSet
from alize.geo import REGIONS

from .models import (
    Committee,
    CommitteeStatus,
    Dispositif,
    DispositifStatus,
    Membership,
    MembershipKind,
)
from .selectors import committee_reader_dispositif_ids


class DispositifFilterSet(SearchFilterSet):
    search_fields = ("name", "slug", "carrier__name")

    region = django_filters.ChoiceFilter(choices=REGIONS, label=_("Région"))
    status = django_filters.ChoiceFilter(choices=DispositifStatus.choices, label=_("Statut"))

    class Meta:
        model = Dispositif
        fields = ["q", "region", "status"]


class MembershipFilterSet(SearchFilterSet):
    search_fields = ("organisation__name",)

    dispositif = django_filters.CharFilter(field_name="dispositif__slug", label=_("Dispositif"))
    kind = django_filters.ChoiceFilter(choices=MembershipKind.choices, label=_("Rôle"))
    active = django_filters.BooleanFilter(
        field_name="left_on", lookup_expr="isnull", label=_("En cours")
    )

    class Meta:
        model = Membership
        fields = ["q", "dispositif", "kind", "active", "organisation"]


def _committee_dispositifs(request):
    """The dispositifs offered in the committee filter: those whose committees the user reads."""
    dispositifs = Dispositif.objects.order_by("name")
    user = getattr(request, "user", None)
    if user is None:
        return dispositifs
    readable = committee_reader_dispositif_ids(user)
    return dispositifs if readable is None else dispositifs.filter(pk__in=readable)


class CommitteeFilterSet(SearchFilterSet):
    """Committees by dispositif (among those in reach), status and date range."""

    search_fields = ("place", "host__name", "dispositif__name")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=_committee_dispositifs, to_field_name="slug", label=_("Dispositif")
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
