"""Partner fatigue: hours asked, pledged and delivered per firm, with its chart, and how
long since a partner firm last joined each tour de table."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from alize import charts
from alize.actions import Action
from alize.web import ActionRequiredMixin, TableExportMixin

from .. import grid, queries, selectors

FATIGUE_LAYOUT = charts.BarLayout(
    width=870,
    label_width=170,
    value_width=180,
    bar_height=11,
    bar_gap=2,
    group_gap=14,
    top=6,
    label_chars=24,
    label_anchor="start",
)


def fatigue_chart(firms, year: int) -> charts.Chart:
    """Per firm, the hours asked, pledged and delivered in ``year`` on one scale, the
    delivered bar marked ``over`` when the firm is over its pledge (see missions.css)."""
    kinds = (("asked", _("demandées")), ("pledged", _("promises")), ("delivered", _("réalisées")))
    groups = []
    for firm in firms:
        bars = []
        for kind, label in kinds:
            hours = grid.hours_label(getattr(firm, kind))
            over = kind == "delivered" and firm.over_pledge
            bars.append(
                charts.Bar(
                    label=label,
                    value=getattr(firm, kind),
                    text=hours,
                    title=f"{label} : {hours} h",
                    css=f"{kind} over" if over else kind,
                )
            )
        note = _("au-delà de l'engagement") if firm.over_pledge else ""
        groups.append(charts.BarGroup(label=firm.name, bars=bars, note=note))
    title = _("Heures demandées, promises et réalisées par entreprise en %(year)s") % {"year": year}
    return charts.bar_chart(
        groups,
        key="fatigue",
        title=title,
        layout=FATIGUE_LAYOUT,
        style=charts.Style(css="chart", font_size=12),
    )


class FatigueView(ActionRequiredMixin, TableExportMixin, TemplateView):
    """Per firm and year: hours asked, pledged and delivered, missions declined, the firms
    over their pledge, and a chart; per dispositif, months since a partner firm last joined
    the tour de table. Animateurs see their dispositif, the coordination the network or one
    dispositif (``?dispositif=``), for a year (``?year=``)."""

    action = Action.MANAGE
    template_name = "missions/fatigue.html"
    export_filename = "fatigue-partenaires"
    ALL = "all"

    def export_table(self, context):
        """The firms' table of the page: hours asked, pledged, delivered, missions."""
        headers = [
            _("Entreprise"),
            _("Année"),
            _("Heures demandées"),
            _("Heures promises"),
            _("Heures réalisées"),
            _("Missions"),
            _("Déclinées"),
            _("Au-delà de l'engagement"),
        ]
        rows = [
            [
                firm.name,
                context["year"],
                firm.asked,
                firm.pledged,
                firm.delivered,
                firm.missions,
                firm.declined,
                firm.over_pledge,
            ]
            for firm in context["firms"]
        ]
        return headers, rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        options = list(queries.managed_dispositifs(user))
        requested = self.request.GET.get("dispositif", "")
        selected = None
        if requested and requested != self.ALL:
            selected = next((d for d in options if d.slug == requested), None)
            if selected is None:
                raise Http404
        try:
            year = int(self.request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        year = min(max(year, today.year - 20), today.year + 1)
        report = selectors.fatigue_report(user=user, year=year, today=today)
        firms, renewal = report.firms, report.dispositifs
        if selected is not None:
            present = queries.firms_present_in(selected.pk)
            firms = [firm for firm in firms if firm.firm_id in present]
            renewal = [row for row in renewal if row.dispositif_id == selected.pk]
        context.update(
            title=_("Fatigue des partenaires"),
            options=options,
            several=len(options) > 1,
            selected=selected,
            year=year,
            years=list(range(today.year, today.year - 6, -1)),
            firms=firms,
            over_pledge=[firm for firm in firms if firm.over_pledge],
            renewal=renewal,
            chart=fatigue_chart(firms, year),
        )
        return context
