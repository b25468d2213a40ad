"""FilterSets of missions, hour logs and experts (API lists; the web lists reuse them)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alize.filters import SearchFilterSet, TenantAPIFilterSet
from partners.models import Expert

from .models import HourLog, HourLogKind, MissionStatus, SkillMission


class MissionFilterSet(SearchFilterSet, TenantAPIFilterSet):
    search_fields = ("objective", "project__title", "project__company__name", "firm__name")

    status = django_filters.MultipleChoiceFilter(
        choices=MissionStatus.choices, distinct=False, label=_("Statut")
    )
    cross_territory = django_filters.BooleanFilter(label=_("Prêt d'un autre territoire"))
    starts_after = django_filters.DateFilter(
        field_name="starts_on", lookup_expr="gte", label=_("Commence après le")
    )
    starts_before = django_filters.DateFilter(
        field_name="starts_on", lookup_expr="lte", label=_("Commence avant le")
    )

    class Meta:
        model = SkillMission
        fields = ["q", "dispositif", "status", "firm", "skill", "project", "cross_territory"]


class HourLogFilterSet(TenantAPIFilterSet):
    kind = django_filters.ChoiceFilter(choices=HourLogKind.choices, label=_("Type"))
    date_after = django_filters.DateFilter(
        field_name="date", lookup_expr="gte", label=_("Depuis le")
    )
    date_before = django_filters.DateFilter(
        field_name="date", lookup_expr="lte", label=_("Jusqu'au")
    )

    class Meta:
        model = HourLog
        fields = ["dispositif", "mission", "expert", "kind"]


class ExpertFilterSet(SearchFilterSet):
    search_fields = ("first_name", "last_name", "job_title")

    skill = django_filters.NumberFilter(field_name="skills", label=_("Compétence"))

    class Meta:
        model = Expert
        fields = ["q", "organisation", "skill", "lends_across_territories", "is_active"]
