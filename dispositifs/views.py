"""Browser views of dispositifs and their tour de table."""

from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.panels import render_panels
from alize.web import ExportColumn, ExportMixin, FilteredListView, ScopedDetailView
from partners.reference.selectors import communes_by_code

from .filtersets import DispositifFilterSet
from .selectors import dispositif_list, dispositif_memberships


class DispositifListView(ExportMixin, FilteredListView):
    """Dispositifs the user may see (all of them for the national coordination); the
    filtered list exports to CSV/XLSX."""

    action = Action.VIEW_DISPOSITIF
    template_name = "dispositifs/dispositif_list.html"
    filterset_class = DispositifFilterSet
    sort_fields = {"name": "name", "region": "region", "launch": "launch_date"}
    default_sort = "name"
    extra_context = {"title": _("Dispositifs")}
    export_filename = "dispositifs"
    export_columns = (
        ExportColumn(_("Nom"), "name"),
        ExportColumn(_("Région"), "region"),
        ExportColumn(_("Structure porteuse"), "carrier__name"),
        ExportColumn(_("Lancement"), "launch_date"),
        ExportColumn(_("Membres"), "member_count"),
        ExportColumn(_("Statut"), "status"),
    )

    def get_base_queryset(self):
        return dispositif_list(self.request.user)


class DispositifDetailView(ScopedDetailView):
    """One dispositif: perimeter, advance bounds, its tour de table, and the panels the
    pipeline and committees contribute."""

    action = Action.VIEW_DISPOSITIF
    template_name = "dispositifs/dispositif_detail.html"
    slug_url_kwarg = "slug"
    context_object_name = "dispositif"

    def get_queryset(self):
        return dispositif_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["memberships"] = dispositif_memberships(self.object)
        communes = communes_by_code(self.object.perimeter)
        context["perimeter_names"] = [
            communes[code].name if code in communes else code for code in self.object.perimeter
        ]
        context["panels"] = render_panels("dispositif", self.request, self.object)
        return context
