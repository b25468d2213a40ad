"""API FilterSets of the pme app: companies, projects, their timelines and follow-ups."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alize.filters import BoundedDateTimeFilter, SearchFilterSet, TenantAPIFilterSet

from ..models import (
    Company,
    FollowUpSource,
    JobsFollowUp,
    Project,
    ProjectType,
    Stage,
    StageTransition,
)


class CompanyAPIFilterSet(SearchFilterSet, TenantAPIFilterSet):
    search_fields = ("search_text",)

    naf_code = django_filters.CharFilter(lookup_expr="startswith", label=_("Code NAF"))
    commune_code = django_filters.CharFilter(label=_("Commune (code INSEE)"))
    eligibility_exception = django_filters.BooleanFilter(label=_("Dérogation"))
    created_after = django_filters.DateFilter(
        field_name="creation_date", lookup_expr="gte", label=_("Créée après le")
    )
    created_before = django_filters.DateFilter(
        field_name="creation_date", lookup_expr="lte", label=_("Créée avant le")
    )

    class Meta:
        model = Company
        fields = ["q", "dispositif", "siren", "naf_code", "commune_code", "eligibility_exception"]


class ProjectAPIFilterSet(SearchFilterSet, TenantAPIFilterSet):
    search_fields = ("search_text", "company__search_text")

    # A filter on the project's own column never duplicates rows: no DISTINCT.
    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices, distinct=False, label=_("Étape")
    )
    project_type = django_filters.ChoiceFilter(choices=ProjectType.choices, label=_("Type"))
    referred_after = django_filters.DateFilter(
        field_name="referred_on", lookup_expr="gte", label=_("Signalé après le")
    )
    referred_before = django_filters.DateFilter(
        field_name="referred_on", lookup_expr="lte", label=_("Signalé avant le")
    )
    approved_after = django_filters.DateFilter(
        field_name="approved_on", lookup_expr="gte", label=_("Accepté après le")
    )
    approved_before = django_filters.DateFilter(
        field_name="approved_on", lookup_expr="lte", label=_("Accepté avant le")
    )

    class Meta:
        model = Project
        fields = ["q", "dispositif", "stage", "project_type", "company", "referred_by"]


class StageTransitionAPIFilterSet(TenantAPIFilterSet):
    to_stage = django_filters.MultipleChoiceFilter(choices=Stage.choices, label=_("Vers"))
    after = BoundedDateTimeFilter(field_name="at", lookup_expr="gte", label=_("Après le"))
    before = BoundedDateTimeFilter(field_name="at", lookup_expr="lte", label=_("Avant le"))

    class Meta:
        model = StageTransition
        fields = ["dispositif", "project", "to_stage"]


class JobsFollowUpAPIFilterSet(TenantAPIFilterSet):
    source = django_filters.ChoiceFilter(choices=FollowUpSource.choices, label=_("Source"))

    class Meta:
        model = JobsFollowUp
        fields = ["dispositif", "project", "year", "source"]
