"""FilterSets of the partners app."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alize.filters import SearchFilterSet

from .models import Organisation, OrganisationKind


class OrganisationFilterSet(SearchFilterSet):
    search_fields = ("name", "siren", "city")

    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices, label=_("Type"))

    class Meta:
        model = Organisation
        fields = ["q", "kind"]
