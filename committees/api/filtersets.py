"""API FilterSets of committees: meetings, agenda items, partner commitments, decisions."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alize.filters import TenantAPIFilterSet

from ..models import (
    AgendaItem,
    Committee,
    CommitteeStatus,
    Decision,
    DecisionOutcome,
    PartnerCommitment,
)


class CommitteeAPIFilterSet(TenantAPIFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CommitteeStatus.choices, label=_("Statut"))
    after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("Après le"))
    before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("Avant le"))

    class Meta:
        model = Committee
        fields = ["dispositif", "status", "host"]


class AgendaItemAPIFilterSet(TenantAPIFilterSet):
    class Meta:
        model = AgendaItem
        fields = ["dispositif", "committee", "project"]


class PartnerCommitmentAPIFilterSet(TenantAPIFilterSet):
    committee = django_filters.NumberFilter(field_name="item__committee", label=_("Comité"))
    project = django_filters.NumberFilter(field_name="item__project", label=_("Projet"))

    class Meta:
        model = PartnerCommitment
        fields = ["dispositif", "committee", "project", "organisation", "firm_last"]


class DecisionAPIFilterSet(TenantAPIFilterSet):
    outcome = django_filters.ChoiceFilter(choices=DecisionOutcome.choices, label=_("Décision"))
    committee = django_filters.NumberFilter(field_name="item__committee", label=_("Comité"))
    project = django_filters.NumberFilter(field_name="item__project", label=_("Projet"))
    after = django_filters.DateFilter(
        field_name="item__committee__date", lookup_expr="gte", label=_("Comité après le")
    )
    before = django_filters.DateFilter(
        field_name="item__committee__date", lookup_expr="lte", label=_("Comité avant le")
    )

    class Meta:
        model = Decision
        fields = ["dispositif", "outcome", "committee", "project"]
