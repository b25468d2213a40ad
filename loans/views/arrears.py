"""The arrears page: overdue advances and the portfolio at risk per fund and dispositif."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from alize.actions import Action
from alize.web import ActionRequiredMixin, TableExportMixin, several_dispositifs

from .. import ledger, queries, selectors

ARREARS_ROWS = 200


class ArrearsView(ActionRequiredMixin, TableExportMixin, TemplateView):
    """Overdue advances (days past due, what is late), and the portfolio at risk over 30
    days (PAR30) per fund and per dispositif, as the daily job last computed them."""

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
                advance.days_past_due,
                advance.overdue_amount,
                balance.outstanding,
            ]
            for advance, balance in context["rows"]
        ]
        return headers, rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        overdue = list(queries.advances_in_arrears(user)[:ARREARS_ROWS])
        balances = ledger.advance_balances([advance.pk for advance in overdue])
        funds = {fund.pk: fund for fund in selectors.fund_list(user)}
        snapshots = selectors.latest_snapshots(list(funds))
        for snapshot in snapshots:
            snapshot.fund = funds[snapshot.fund_id]  # with its dispositif, already loaded
        context.update(
            title=_("Impayés et portefeuille à risque"),
            rows=[(advance, balances[advance.pk]) for advance in overdue],
            funds=snapshots,
            dispositifs=queries.par_by_dispositif(snapshots),
            show_dispositif=several_dispositifs(user, self.action),
        )
        return context
