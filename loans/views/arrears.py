"""The arrears page: overdue advances and the portfolio at risk per fund and dispositif."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from alize.actions import Action
from alize.web import ActionRequiredMixin, TableExportMixin, several_dispositifs

from .. import queries, selectors

ARREARS_ROWS = 200


class ArrearsView(ActionRequiredMixin, TableExportMixin, TemplateView):
    """Overdue advances (days past due, what is late), and the portfolio at risk over 30
    days (PAR30) per fund, per dispositif and for the network, as of now: computed from the
    schedules and the ledger when the page is read (``selectors.portfolio_now``), not from
    the daily job's snapshots, in a number of queries that does not grow with the funds."""

    action = Action.VIEW_ADVANCE
    template_name = "loans/arrears.html"
    export_filename = "impayes"

    def export_table(self, context):
        """The overdue advances of the page, longest overdue first."""
        headers = [
            _("Dispositif"),
            _("Fonds"),
            _("Entreprise"),
            _("Projet"),
            _("Statut"),
            _("Jours de retard"),
            _("Impayé"),
            _("Capital restant dû"),
        ]
        rows = [
            [
                advance.dispositif.name,
                advance.fund.name,
                advance.project.company.name,
                advance.project.title,
                advance.get_status_display(),
                advance.days_late,
                advance.overdue_amount,
                late.outstanding,
            ]
            for advance, late in context["rows"]
        ]
        return headers, rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        risks = selectors.portfolio_now(user, today)
        # The longest overdue first, found once with the funds' risks (with their overdue
        # and outstanding sums); only the page's rows are then read for their names.
        shown = sorted(late for risk in risks for late in risk.late)[:ARREARS_ROWS]
        advances = selectors.advance_list(user).in_bulk([late.advance_id for late in shown])
        rows = []
        for late in shown:
            advance = advances.get(late.advance_id)
            if advance is None:
                continue
            advance.late_since = late.late_since
            advance.days_late = (today - late.late_since).days
            advance.overdue_amount = late.overdue_amount
            rows.append((advance, late))
        several = several_dispositifs(user, self.action)
        context.update(
            title=_("Impayés et portefeuille à risque"),
            today=today,
            rows=rows,
            funds=risks,
            dispositifs=queries.par_by_dispositif(risks),
            network=queries.par_total(risks) if several else None,
            show_dispositif=several,
        )
        return context
