"""FilterSet of the Documents page and of the documents API list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alize.filters import SearchFilterSet

from .models import Document, DocumentKind, DocumentScope, DocumentStatus


class DocumentFilterSet(SearchFilterSet):
    """Documents by kind, scope, year and status; the search reads titles."""

    search_fields = ("title",)

    kind = django_filters.ChoiceFilter(choices=DocumentKind.choices, label=_("Type"))
    scope = django_filters.ChoiceFilter(choices=DocumentScope.choices, label=_("Portée"))
    year = django_filters.NumberFilter(label=_("Année"))
    status = django_filters.ChoiceFilter(choices=DocumentStatus.choices, label=_("Statut"))

    class Meta:
        model = Document
        fields = ["q", "kind", "scope", "year", "status"]
