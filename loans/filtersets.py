"""FilterSets of the loans browser lists (advances, arrears, co-financing). Choice
querysets go through scoped managers narrowed by the access policy, so a dispositif or a
fund outside the caller's reach is an invalid choice, never a leak."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.filters import SearchFilterSet
from pme.filtersets import OneDispositifHiddenMixin, dispositif_choices

from .models import Advance, AdvanceStatus, Cofinancing, CofinancingKind, Frequency, Fund


def fund_choices(request):
    """The funds the user may read (none without a request)."""
    user = getattr(request, "user", None)
    return Fund.objects.for_user(user, Action.VIEW_ADVANCE).order_by("name")


class AdvanceFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    """Advances: search on the project and company, by dispositif, fund, status,
    frequency, and those at least N days past due."""

    search_fields = ("project__title", "project__company__name", "project__company__siren")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_ADVANCE),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    fund = django_filters.ModelChoiceFilter(queryset=fund_choices, label=_("Fonds"))
    status = django_filters.ChoiceFilter(choices=AdvanceStatus.choices, label=_("Statut"))
    frequency = django_filters.ChoiceFilter(choices=Frequency.choices, label=_("Périodicité"))
    min_days_past_due = django_filters.NumberFilter(
        field_name="days_past_due", lookup_expr="gte", label=_("Jours de retard (au moins)")
    )

    class Meta:
        model = Advance
        fields = ["q", "dispositif", "fund", "status", "frequency", "min_days_past_due"]

    dispositif_action = Action.VIEW_ADVANCE


class CofinancingFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    search_fields = ("organisation", "project__title", "project__company__name")

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_ADVANCE),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    kind = django_filters.ChoiceFilter(choices=CofinancingKind.choices, label=_("Nature"))

    class Meta:
        model = Cofinancing
        fields = ["q", "dispositif", "kind"]

    dispositif_action = Action.VIEW_ADVANCE
