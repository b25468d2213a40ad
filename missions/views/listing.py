"""The missions list: the missions a user reaches, with the moves their roles allow."""

from __future__ import annotations

from django.db.models import Sum
from django.utils.translation import gettext_lazy

from alize.actions import Action
from alize.web import FilteredListView, several_dispositifs
from dispositifs.access import may

from .. import queries
from ..forms import MissionFilterSet
from ..queries import ZERO


class MissionListView(FilteredListView):
    """The missions a user reaches: their dispositif's (animateur), their firm's in every
    dispositif (correspondent), those they work on (expert), every one (coordination)."""

    action = Action.VIEW_MISSION
    template_name = "missions/mission_list.html"
    filterset_class = MissionFilterSet
    sort_fields = {
        "project": "project__title",
        "firm": "firm__name",
        "skill": "skill__name",
        "dispositif": "dispositif__name",
        "status": "status",
        "starts": "starts_on",
        "planned": "planned_hours",
        "logged": "logged_hours",
    }
    default_sort = "-starts"
    extra_context = {"title": gettext_lazy("Missions d'expertise")}

    def get_base_queryset(self):
        return queries.mission_list(self.request.user)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return queryset

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context.update(
            show_dispositif=several_dispositifs(user, self.action),
            user_can_log=may(user, Action.LOG_HOURS),
            user_manages=may(user, Action.MANAGE),
        )
        # Totals over every filtered row: hours planned and, behind an expert-hours figure
        # (``?hours_in=<period>``), the hours of the period, their value and the firms.
        missions = self.object_list
        totals = missions.order_by().aggregate(planned=Sum("planned_hours"))
        totals["planned"] = totals["planned"] or ZERO
        filterset = self.filterset
        period = None
        if filterset.is_bound and filterset.is_valid():
            period = filterset.form.cleaned_data.get("hours_in")
        if period is not None:
            totals.update(queries.period_hours_totals(missions, period.start, period.end))
        context["totals"] = totals
        context["hours_period"] = period
        return context
