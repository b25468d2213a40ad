"""FilterSets of the loans browser lists. Choice querysets go through scoped managers
narrowed by the access policy, so a dispositif or fund outside the user's reach is an
invalid choice (the list then shows nothing), never a leak."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.filters import SearchFilterSet
from dispositifs.access import Action
from pme.filtersets import OneDispositifHiddenMixin, dispositif_choices

from .models import Advance, AdvanceStatus, Fund


def fund_choices(request):
    user = getattr(request, "user", None)
    return (
        Fund.objects.for_user(user, Action.VIEW_ADVANCE)
        .select_related("dispositif")
        .order_by("dispositif__name", "name")
    )


class FundFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    search_fields = ("name",)
    dispositif_action = Action.VIEW_ADVANCE

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_ADVANCE),
        to_field_name="slug",
        label=_("Dispositif"),
    )

    class Meta:
        model = Fund
        fields = ["q", "dispositif"]


class AdvanceFilterSet(OneDispositifHiddenMixin, SearchFilterSet):
    """Status, fund, « in arrears » and a search over the company and the project."""

    search_fields = ("project__company__name", "project__company__siren", "project__title")
    dispositif_action = Action.VIEW_ADVANCE

    dispositif = django_filters.ModelChoiceFilter(
        queryset=dispositif_choices(Action.VIEW_ADVANCE),
        to_field_name="slug",
        label=_("Dispositif"),
    )
    status = django_filters.ChoiceFilter(choices=AdvanceStatus.choices, label=_("Statut"))
    fund = django_filters.ModelChoiceFilter(queryset=fund_choices, label=_("Fonds"))
    arrears = django_filters.ChoiceFilter(
        choices=[("yes", _("En retard")), ("no", _("À jour"))],
        method="filter_arrears",
        label=_("Retard"),
    )

    class Meta:
        model = Advance
        fields = ["q", "dispositif", "status", "fund", "arrears"]

    def filter_arrears(self, queryset, name, value):
        late = Q(status=AdvanceStatus.IN_ARREARS) | Q(days_past_due__gt=0)
        return queryset.filter(late) if value == "yes" else queryset.exclude(late)
