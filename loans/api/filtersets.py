"""API FilterSets of the loans app: funds, advances, repayments, SEPA mandates and
co-financing."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alize.filters import SearchFilterSet, TenantAPIFilterSet

from ..models import (
    Advance,
    AdvanceStatus,
    Cofinancing,
    CofinancingKind,
    DirectDebitMandate,
    Frequency,
    Fund,
    Repayment,
)


class FundAPIFilterSet(TenantAPIFilterSet):
    class Meta:
        model = Fund
        fields = ["dispositif"]


class AdvanceAPIFilterSet(SearchFilterSet, TenantAPIFilterSet):
    search_fields = ("project__title", "project__company__name")

    status = django_filters.MultipleChoiceFilter(
        choices=AdvanceStatus.choices, distinct=False, label=_("Statut")
    )
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices, label=_("Périodicité"))
    min_days_past_due = django_filters.NumberFilter(
        field_name="days_past_due", lookup_expr="gte", label=_("Jours de retard (au moins)")
    )
    disbursed_after = django_filters.DateFilter(
        field_name="disbursed_on", lookup_expr="gte", label=_("Décaissée après le")
    )
    disbursed_before = django_filters.DateFilter(
        field_name="disbursed_on", lookup_expr="lte", label=_("Décaissée avant le")
    )

    class Meta:
        model = Advance
        fields = ["q", "dispositif", "fund", "project", "status", "frequency"]


class RepaymentAPIFilterSet(TenantAPIFilterSet):
    received_after = django_filters.DateFilter(
        field_name="received_on", lookup_expr="gte", label=_("Reçu après le")
    )
    received_before = django_filters.DateFilter(
        field_name="received_on", lookup_expr="lte", label=_("Reçu avant le")
    )

    class Meta:
        model = Repayment
        fields = ["dispositif", "advance"]


class MandateAPIFilterSet(TenantAPIFilterSet):
    in_force = django_filters.BooleanFilter(
        field_name="revoked_on", lookup_expr="isnull", label=_("En vigueur")
    )

    class Meta:
        model = DirectDebitMandate
        fields = ["dispositif", "advance", "kind", "in_force"]


class CofinancingAPIFilterSet(TenantAPIFilterSet):
    kind = django_filters.ChoiceFilter(choices=CofinancingKind.choices, label=_("Nature"))

    class Meta:
        model = Cofinancing
        fields = ["dispositif", "project", "kind"]
