"""Browser views of partner organisations (the directory)."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from alize.actions import Action
from alize.panels import render_panels
from alize.web import (
    ActionRequiredMixin,
    ExportColumn,
    ExportMixin,
    FilteredListView,
    ScopedDetailView,
)

from .filtersets import OrganisationFilterSet
from .models import Organisation
from .reference.selectors import commune_candidates


class OrganisationListView(ExportMixin, FilteredListView):
    """Every organisation (a global list), for those the policy lets read the directory;
    the filtered list exports to CSV/XLSX."""

    action = Action.VIEW_DIRECTORY
    model = Organisation
    template_name = "partners/organisation_list.html"
    filterset_class = OrganisationFilterSet
    sort_fields = {"name": "name", "kind": "kind", "city": "city"}
    default_sort = "name"
    extra_context = {"title": _("Organisations")}
    export_filename = "organisations"
    export_columns = (
        ExportColumn(_("Nom"), "name"),
        ExportColumn(_("Type"), "kind"),
        ExportColumn(_("Niveau"), "public_level"),
        ExportColumn(_("Ville"), "city"),
        ExportColumn(_("SIREN"), "siren"),
    )


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


class CommuneAutocompleteView(ActionRequiredMixin, View):
    """htmx autocomplete: the communes matching what was typed (postal code, name or INSEE
    code) as ``<option>`` elements, for those who enter companies. Serves global reference
    data, the same for everyone."""

    action = Action.MANAGE

    def get(self, request):
        value = request.GET.get("q") or next(iter(request.GET.values()), "")
        communes = commune_candidates(value) if len(value.strip()) >= 2 else []
        return render(request, "partners/commune_options.html", {"communes": communes})
