"""The list of jobs follow-ups and its export: the rows behind « jobs created », « jobs
maintained » and the survival at three years."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext_lazy

from alize.actions import Action
from alize.web import ExportColumn, ExportMixin, FilteredListView, several_dispositifs

from .. import selectors
from ..filtersets import FollowUpFilterSet
from ._common import StrictFilterMixin


class FollowUpListView(ExportMixin, StrictFilterMixin, FilteredListView):
    """Jobs follow-ups of the projects the user reads, with the total of jobs created and
    maintained over the filtered rows; ``?latest_in=<period>`` keeps each project's latest
    follow-up at the period's end, whose totals are the indicators' figures."""

    action = Action.VIEW_PROJECT
    template_name = "pme/follow_up_list.html"
    filterset_class = FollowUpFilterSet
    sort_fields = {
        "project": "project__title",
        "company": "project__company__name",
        "dispositif": "dispositif__name",
        "year": "year",
        "as_of": "as_of",
        "headcount": "headcount",
        "created": "jobs_created",
        "maintained": "jobs_maintained",
    }
    default_sort = "-as_of"
    extra_context = {"title": gettext_lazy("Suivis des emplois")}
    export_filename = "suivis-emplois"
    export_columns = (
        ExportColumn(gettext_lazy("Projet"), "project__title"),
        ExportColumn(gettext_lazy("Entreprise"), "project__company__name"),
        ExportColumn(gettext_lazy("SIREN"), "project__company__siren"),
        ExportColumn(gettext_lazy("Dispositif"), "dispositif__name"),
        ExportColumn(gettext_lazy("Année de suivi"), "year"),
        ExportColumn(gettext_lazy("À la date du"), "as_of"),
        ExportColumn(gettext_lazy("Effectif"), "headcount"),
        ExportColumn(gettext_lazy("Emplois créés"), "jobs_created"),
        ExportColumn(gettext_lazy("Emplois maintenus"), "jobs_maintained"),
        ExportColumn(gettext_lazy("Source"), "source"),
    )

    def get_base_queryset(self):
        return selectors.follow_up_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["show_dispositif"] = several_dispositifs(self.request.user, self.action)
        totals = self.object_list.order_by().aggregate(
            created=Sum("jobs_created"), maintained=Sum("jobs_maintained")
        )
        context["totals"] = {
            "jobs_created": totals["created"] or 0,
            "jobs_maintained": totals["maintained"] or 0,
        }
        return context
