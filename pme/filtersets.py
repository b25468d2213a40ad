"""FilterSets of the pme browser lists. Choice querysets go through scoped managers, so a
dispositif or company outside the caller's scope is an invalid choice, never a leak."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.filters import SearchFilterSet
from dispositifs.access import dispositif_ids
from dispositifs.models import Dispositif
from partners.models import Organisation

from .models import Company, Project, ProjectType, Stage
from .selectors import criteria_met_condition, criteria_to_check_condition


class Eligibility:
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    EXCEPTION = "exception"
    TO_CHECK = "to_check"
    CHOICES = [
        (ELIGIBLE, _("Éligible")),
        (TO_CHECK, _("À vérifier (chiffre d'affaires inconnu)")),
        (NOT_ELIGIBLE, _("Non éligible")),
        (EXCEPTION, _("Par dérogation")),
    ]


def dispositif_choices(action: str):
    """Choices of a dispositif filter: the dispositifs where the user may ``action`` (none
    without a request: a filterset never offers what it cannot check)."""

    def choices(request):
        user = getattr(request, "user", None)
        return Dispositif.objects.for_user(user, action).order_by("name")

    return choices


class OneDispositifHiddenMixin:
    """Someone who sees a single dispositif has no use for a dispositif choice: the field is
    kept (a value pointing elsewhere still lists nothing) but not shown."""

    dispositif_action: str = ""

    @property
    def form(self):
        form = super().form
        if not getattr(self, "_dispositif_field_checked", False):
            self._dispositif_field_checked = True
            user = getattr(self.request, "user", None)
            ids = dispositif_ids(user, self.dispositif_action)
            if ids is not None and len(ids) <= 1:
                form.fields["dispositif"].widget = forms.HiddenInput()
        return form


class CompanyFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    search_fields = ("name", "siren", "siret")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_COMPANY),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    eligibility = django_filters.ChoiceFilter(
        choices=Eligibility.CHOICES, method="filter_eligibility", label=_("Éligibilité")
    )
    commune = django_filters.CharFilter(method="filter_commune", label=_("Commune"))
    naf_code = django_filters.CharFilter(
        field_name="naf_code", lookup_expr="istartswith", label=_("Code NAF")
    )

    class Meta:
        model = Company
        fields = ["q", "dispositif", "eligibility", "commune", "naf_code"]

    dispositif_action = Action.VIEW_COMPANY

    def filter_eligibility(self, queryset, name, value):
        criteria = criteria_met_condition()
        if value == Eligibility.ELIGIBLE:
            return queryset.filter(criteria | Q(eligibility_exception=True))
        to_check = criteria_to_check_condition()
        if value == Eligibility.TO_CHECK:
            return queryset.filter(to_check & Q(eligibility_exception=False))
        if value == Eligibility.NOT_ELIGIBLE:
            return queryset.filter(~criteria & ~to_check & Q(eligibility_exception=False))
        if value == Eligibility.EXCEPTION:
            return queryset.filter(eligibility_exception=True)
        return queryset

    def filter_commune(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(commune_code=value) | Q(commune_name__icontains=value))


class ProjectFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    search_fields = ("title", "company__name", "company__siren", "description")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_PROJECT),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    stage = django_filters.ChoiceFilter(choices=Stage.choices, label=_("Étape"))
    project_type = django_filters.ChoiceFilter(
        choices=ProjectType.choices, label=_("Type de projet")
    )
    referred_by = django_filters.ModelChoiceFilter(
        queryset=Organisation.objects.filter(
            pk__in=Project.objects.filter(referred_by__isnull=False).values("referred_by")
        ).order_by("name"),
        label=_("Orienté par"),
    )
    company = django_filters.ModelChoiceFilter(
        queryset=Company.objects.all(), widget=forms.HiddenInput, label=_("Entreprise")
    )

    class Meta:
        model = Project
        fields = ["q", "dispositif", "stage", "project_type", "referred_by", "company"]

    dispositif_action = Action.VIEW_PROJECT
