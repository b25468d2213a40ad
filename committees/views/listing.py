"""The list of committees and its export."""

from __future__ import annotations

from django.db.models import Case, F, When
from django.utils import timezone
from django.utils.translation import gettext_lazy

from alize.actions import Action
from alize.web import ExportColumn, ExportMixin, FilteredListView
from dispositifs.access import may

from ..filtersets import CommitteeFilterSet
from ..selectors import committee_list


class CommitteeListView(ExportMixin, FilteredListView):
    """Committees of the user's dispositifs; by default the next ones first (soonest first),
    then past ones (latest first). The filtered list exports to CSV/XLSX."""

    action = Action.VIEW_COMMITTEE
    template_name = "committees/list.html"
    filterset_class = CommitteeFilterSet
    sort_fields = {
        "date": "date",
        "dispositif": "dispositif__name",
        "host": "host__name",
        "status": "status",
    }
    default_sort = ""
    extra_context = {"title": gettext_lazy("Comités")}
    export_filename = "comites"
    export_columns = (
        ExportColumn(gettext_lazy("Date"), "date"),
        ExportColumn(gettext_lazy("Heure"), "start_time"),
        ExportColumn(gettext_lazy("Dispositif"), "dispositif__name"),
        ExportColumn(gettext_lazy("Accueilli par"), "host__name"),
        ExportColumn(gettext_lazy("Lieu"), "place"),
        ExportColumn(gettext_lazy("Projets à l'ordre du jour"), "item_count"),
        ExportColumn(gettext_lazy("Décisions"), "decision_count"),
        ExportColumn(gettext_lazy("Statut"), "status"),
    )

    def get_base_queryset(self):
        return committee_list(self.request.user)

    def get_queryset(self):
        # A dispositif out of reach is ignored (the user's own committees stay listed), but
        # a bad period lists nothing: the list would not be the one behind the figure.
        queryset = super().get_queryset()
        if self.filterset.is_bound and "held_in" in self.filterset.errors:
            return queryset.none()
        return queryset

    def get_ordering_fields(self):
        requested = (self.request.GET.get("sort") or "").lstrip("-")
        if requested in self.sort_fields:
            return super().get_ordering_fields()
        today = timezone.localdate()
        upcoming_date = Case(When(date__gte=today, then=F("date")))
        upcoming_time = Case(When(date__gte=today, then=F("start_time")))
        return [
            upcoming_date.asc(nulls_last=True),
            upcoming_time.asc(nulls_last=True),
            F("date").desc(),
            F("start_time").desc(nulls_last=True),
            "-pk",
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_schedule"] = may(self.request.user, Action.MANAGE)
        context["today"] = timezone.localdate()
        return context
