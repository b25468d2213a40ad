"""Browser views of dispositifs and their tour de table."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from alize.accounts.models import Role
from alize.accounts.roles import can_manage, dispositif_ids_with_role
from alize.web import FilteredListView, ScopedDetailView
from partners.reference.selectors import communes_by_code

from .filtersets import DispositifFilterSet
from .selectors import dispositif_list, dispositif_memberships


class DispositifListView(FilteredListView):
    """Dispositifs in the user's scope (all of them for the national coordination)."""

    template_name = "dispositifs/dispositif_list.html"
    filterset_class = DispositifFilterSet
    sort_fields = {"name": "name", "region": "region", "launch": "launch_date"}
    default_sort = "name"
    extra_context = {"title": _("Dispositifs")}

    def get_base_queryset(self):
        return dispositif_list()


class DispositifDetailView(ScopedDetailView):
    """One dispositif: perimeter, advance bounds and its tour de table."""

    template_name = "dispositifs/dispositif_detail.html"
    slug_url_kwarg = "slug"
    context_object_name = "dispositif"

    def get_queryset(self):
        return dispositif_list()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = dispositif_memberships(self.object)
        communes = communes_by_code(self.object.perimeter)
        context["perimeter_names"] = [
            communes[code].name if code in communes else code for code in self.object.perimeter
        ]
        context["pipeline_links"] = self.pipeline_links()
        return context

    def pipeline_links(self):
        """Shortcuts to this dispositif's pipeline pages, as far as the user's roles reach."""
        user, slug = self.request.user, self.object.slug
        links = []
        if can_manage(user, self.object.pk):
            links += [
                (_("Entreprises"), "pme:company-list"),
                (_("Projets"), "pme:project-list"),
                (_("Comités"), "committees:list"),
                (_("Entonnoir"), "pme:funnel"),
            ]
        elif self.object.pk in dispositif_ids_with_role(user, Role.COMMITTEE_MEMBER):
            links += [(_("Projets"), "pme:project-list"), (_("Comités"), "committees:list")]
        return [(label, f"{reverse(name)}?dispositif={slug}") for label, name in links]
