"""Browser views of partner organisations (the directory)."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.panels import render_panels
from alize.web import FilteredListView, ScopedDetailView

from .filtersets import OrganisationFilterSet
from .models import Organisation


class OrganisationListView(FilteredListView):
    """Every organisation (a global list), for those the policy lets read the directory."""

    action = Action.VIEW_DIRECTORY
    model = Organisation
    template_name = "partners/organisation_list.html"
    filterset_class = OrganisationFilterSet
    sort_fields = {"name": "name", "kind": "kind", "city": "city"}
    default_sort = "name"
    extra_context = {"title": _("Organisations")}


class OrganisationDetailView(ScopedDetailView):
    """An organisation, with the panels other apps contribute (its seats, its missions…)."""

    action = Action.VIEW_DIRECTORY
    model = Organisation
    template_name = "partners/organisation_detail.html"
    context_object_name = "organisation"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["panels"] = render_panels("organisation", self.request, self.object)
        return context
