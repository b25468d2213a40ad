"""Browser views of partner organisations."""

from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from alize.accounts.models import Role
from alize.web import FilteredListView, RoleRequiredMixin, ScopedDetailView
from dispositifs.models import Membership

from .filtersets import OrganisationFilterSet
from .models import Organisation
from .reference.selectors import commune_candidates

STAFF_ROLES = (Role.NATIONAL_COORDINATOR, Role.ANIMATEUR)


class OrganisationListView(FilteredListView):
    """Every organisation (a global list), for coordinators and animateurs."""

    allowed_roles = STAFF_ROLES
    model = Organisation
    template_name = "partners/organisation_list.html"
    filterset_class = OrganisationFilterSet
    sort_fields = {"name": "name", "kind": "kind", "city": "city"}
    default_sort = "name"
    extra_context = {"title": _("Organisations")}


class OrganisationDetailView(ScopedDetailView):
    """An organisation and its seats at the tour de table of the dispositifs in scope."""

    allowed_roles = STAFF_ROLES
    model = Organisation
    template_name = "partners/organisation_detail.html"
    context_object_name = "organisation"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = (
            Membership.objects.filter(organisation=self.object)
            .select_related("dispositif")
            .order_by("dispositif__name")
        )
        return context


class CommuneAutocompleteView(RoleRequiredMixin, View):
    """htmx autocomplete: the communes matching what was typed (postal code, name or INSEE
    code) as ``<option>`` elements. Serves global reference data, the same for everyone."""

    allowed_roles = STAFF_ROLES

    def get(self, request):
        value = request.GET.get("q") or next(iter(request.GET.values()), "")
        communes = commune_candidates(value) if len(value.strip()) >= 2 else []
        return render(request, "partners/commune_options.html", {"communes": communes})
