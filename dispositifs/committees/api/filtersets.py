"""API FilterSets of committees: meetings, agenda items, partner commitments, decisions."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ..models import (
    AgendaItem,
    Committee,
    CommitteeStatus,
    Decision,
    DecisionOutcome,
    PartnerCommitment,
)


class CommitteeAPIFilterSet(django_filters.FilterSet):
    dispositif = django_filters.CharFilter(field_name="dispositif__slug", label=_("Dispositif"))
    status = django_filters.MultipleChoiceFilter(choices=CommitteeStatus.choices, label=_("Statut"))
    after = django_filters.DateFilter(field_name="date", lookup_expr="gte", label=_("Après le"))
    before = django_filters.DateFilter(field_name="date", lookup_expr="lte", label=_("Avant le"))

    class Meta:
        model = Committee
        fields = ["dispositif", "status", "host"]


class AgendaItemAPIFilterSet(django_filters.FilterSet):
    dispositif = django_filters.CharFilter(field_name="dispositif__slug", label=_("Dispositif"))

    class Meta:
        model = AgendaItem
        fields = ["dispositif", "committee", "project"]


class PartnerCommitmentAPIFilterSet(django_filters.FilterSet):
    dispositif = django_filters.CharFilter(field_name="dispositif__slug", label=_("Dispositif"))
    committee = django_filters.NumberFilter(field_name="item__committee", label=_("Comité"))
    project = django_filters.NumberFilter(field_name="item__project", label=_("Projet"))

    class Meta:
        model = PartnerCommitment
        fields = ["dispositif", "committee", "project", "organisation", "firm_last"]


class DecisionAPIFilterSet(django_filters.FilterSet):
    dispositif = django_filters.CharFilter(field_name="dispositif__slug", label=_("Dispositif"))
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
