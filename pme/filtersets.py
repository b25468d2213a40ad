"""FilterSets of the pme browser lists. Choice querysets go through scoped managers, so a
dispositif or company outside the caller's scope is an invalid choice, never a leak."""

import django_filters
from django import forms
from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.filters import PeriodFilter, SearchFilterSet
from dispositifs.access import dispositif_ids
from dispositifs.models import Dispositif
from partners.models import Organisation

from .models import Company, FollowUpSource, JobsFollowUp, Project, ProjectType, Stage
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
    # Name, SIREN, SIRET, commune and contact (``Company.search_text``), as in the API.
    search_fields = ("search_text",)

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
    # Behind « PME accompagnées »: the companies with a project approved in the period.
    approved_in = PeriodFilter(method="filter_approved_in", label=_("Projet accordé en"))

    class Meta:
        model = Company
        fields = ["q", "dispositif", "eligibility", "commune", "naf_code", "approved_in"]

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

    def filter_approved_in(self, queryset, name, value):
        if value is None:
            return queryset
        approved = Project.objects.filter(approved_on__range=(value.start, value.end))
        return queryset.filter(pk__in=approved.values("company_id"))

    def filter_commune(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(commune_code=value) | Q(commune_name__icontains=value))


class ProjectFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    # Title and description, and the company's search column, as in the API.
    search_fields = ("search_text", "company__search_text")

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
    # The periods behind the pipeline's and the committees' figures (their definitions in
    # pme.indicators and committees.indicators).
    referred_in = PeriodFilter(field_name="referred_on", label=_("Orienté en"))
    first_committee_in = PeriodFilter(field_name="first_committee_on", label=_("Premier comité en"))
    approved_in = PeriodFilter(field_name="approved_on", label=_("Accordé en"))
    decided_in = PeriodFilter(method="filter_decided_in", label=_("Décision du comité en"))
    outcome = django_filters.CharFilter(
        method="filter_outcome", widget=forms.HiddenInput, label=_("Décision")
    )

    class Meta:
        model = Project
        fields = [
            "q",
            "dispositif",
            "stage",
            "project_type",
            "referred_by",
            "company",
            "referred_in",
            "first_committee_in",
            "approved_in",
            "decided_in",
            "outcome",
        ]

    dispositif_action = Action.VIEW_PROJECT

    def filter_decided_in(self, queryset, name, value):
        """Projects with a committee decision (the one in force) dated in the period, of the
        ``outcome`` asked; ``period_decisions`` counts those decisions (a project deferred
        twice in a year has two). The decisions are the committees app's rows, read through
        their relation to the project."""
        if value is None:
            return queryset
        condition = Q(agenda_items__committee__date__range=(value.start, value.end))
        outcome = self.form.cleaned_data.get("outcome")
        if outcome:
            condition &= Q(agenda_items__decision__outcome=outcome)
        decisions = Count("agenda_items__decision", filter=condition)
        return queryset.annotate(period_decisions=decisions).filter(period_decisions__gt=0)

    def filter_outcome(self, queryset, name, value):
        """Alone, the projects with a decision of that outcome; with ``decided_in``, taken
        there."""
        if not value or self.form.cleaned_data.get("decided_in") is not None:
            return queryset
        return queryset.filter(agenda_items__decision__outcome=value).distinct()


class FollowUpFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    """The jobs follow-ups: by dispositif, follow-up year and source; behind the figures,
    the latest follow-up of each project at a period's end (jobs created and maintained)
    and the third-year follow-ups dated in a period (survival at three years)."""

    search_fields = ("project__title", "project__company__name", "project__company__siren")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_PROJECT),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    year = django_filters.ChoiceFilter(
        choices=[(n, str(n)) for n in range(1, 11)], label=_("Année de suivi")
    )
    source = django_filters.ChoiceFilter(choices=FollowUpSource.choices, label=_("Source"))
    alive = django_filters.ChoiceFilter(
        choices=[("yes", _("En activité (effectif non nul)")), ("no", _("Effectif nul"))],
        method="filter_alive",
        label=_("Activité"),
    )
    as_of_in = PeriodFilter(field_name="as_of", label=_("Suivi daté de"))
    latest_in = PeriodFilter(method="filter_latest_in", label=_("Dernier suivi à la fin de"))

    class Meta:
        model = JobsFollowUp
        fields = ["q", "dispositif", "year", "source", "alive", "as_of_in", "latest_in"]

    dispositif_action = Action.VIEW_PROJECT

    def filter_alive(self, queryset, name, value):
        return queryset.filter(headcount__gt=0) if value == "yes" else queryset.filter(headcount=0)

    def filter_latest_in(self, queryset, name, value):
        """Each project's latest follow-up dated on or before the period's end (today for
        the period under way; ties on the date go to the later follow-up year): the rows
        « jobs created » and « jobs maintained » add up at that date."""
        if value is None:
            return queryset
        end = value.stock_end()
        if end is None:
            return queryset.none()
        latest = (
            JobsFollowUp.objects.filter(project=OuterRef("project"), as_of__lte=end)
            .order_by("-as_of", "-year")
            .values("pk")[:1]
        )
        return queryset.filter(as_of__lte=end, pk=Subquery(latest))
