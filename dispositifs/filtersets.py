"""FilterSets of the dispositifs app (browser lists and API)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alize.filters import SearchFilterSet, TenantAPIFilterSet
from alize.geo import REGIONS

from .models import Dispositif, DispositifStatus, Membership, MembershipKind


class DispositifFilterSet(SearchFilterSet):
    search_fields = ("name", "slug", "carrier__name")

    region = django_filters.ChoiceFilter(choices=REGIONS, label=_("Région"))
    status = django_filters.ChoiceFilter(choices=DispositifStatus.choices, label=_("Statut"))

    class Meta:
        model = Dispositif
        fields = ["q", "region", "status"]


class MembershipFilterSet(SearchFilterSet, TenantAPIFilterSet):
    search_fields = ("organisation__name",)

    kind = django_filters.ChoiceFilter(choices=MembershipKind.choices, label=_("Rôle"))
    active = django_filters.BooleanFilter(
        field_name="left_on", lookup_expr="isnull", label=_("En cours")
    )

    class Meta:
        model = Membership
        fields = ["q", "dispositif", "kind", "active", "organisation"]
