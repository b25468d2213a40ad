"""The arrears page: overdue advances and the portfolio at risk per fund and dispositif."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from alize.actions import Action
from alize.formats import money
from alize.web import ActionRequiredMixin, TableExportMixin, several_dispositifs

from .. import queries, selectors
from ..models import AdvanceStatus

ARREARS_ROWS = 200


def advance_detail_prefix() -> str:
    """The address of an advance's page without its id (``f"{prefix}{pk}/"``): resolved once
    for a page that links many advances, rather than once per row."""
    return reverse("loans:advance-detail", args=[0])[: -len("0/")]


def arrears_row_html(row: dict, url: str, show_dispositif: bool) -> str:
    """One overdue advance's table row, built here rather than by the template's loop (the
    page shows up to 200 of them, each figure formatted once)."""
    dispositif = format_html("<td>{}</td>", row["dispositif_name"]) if show_dispositif else ""
    return format_html(
        '<tr data-advance="{}"><td><a href="{}">{}</a><br><span class="muted">{}</span></td>'
        '{}<td><span class="badge advance-{}" data-status="{}">{}</span></td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>',
        row["id"],
        url,
        row["company_name"],
        row["project_title"],
        dispositif,
        row["status"],
        row["status"],
        row["status_label"],
        row["days_late"],
        money(row["overdue_amount"]),
        money(row["outstanding"]),
    )


class ArrearsView(ActionRequiredMixin, TableExportMixin, TemplateView):
    """Overdue advances (days past due, what is late), and the portfolio at risk over 30
    days (PAR30) per fund, per dispositif and for the network, as of now: read when the page
    is read from the figures PostgreSQL keeps on the advances as their schedules and the
    ledger are written (``selectors.portfolio_now``), not from the daily job's snapshots, in
    a number of queries that does not grow with the funds."""

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
                row["dispositif_name"],
                row["fund_name"],
                row["company_name"],
                row["project_title"],
                row["status_label"],
                row["days_late"],
                row["overdue_amount"],
                row["outstanding"],
            ]
            for row in context["rows"]
        ]
        return headers, rows

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        today = timezone.localdate()
        risks = selectors.portfolio_now(user, today, late_rows=ARREARS_ROWS)
        # The longest overdue first, found with the funds' risks (with their overdue and
        # outstanding sums); only the page's rows are then read for their names.
        shown = sorted(late for risk in risks for late in risk.late)[:ARREARS_ROWS]
        # Plain rows (names joined in the same query), each figure formatted once here.
        found = {
            row["id"]: row
            for row in selectors.advance_rows(
                selectors.advance_list(user).filter(pk__in=[late.advance_id for late in shown])
            ).order_by()
        }
        detail = advance_detail_prefix()
        several = several_dispositifs(user, self.action)
        labels = {value: str(label) for value, label in AdvanceStatus.choices}
        rows = []
        for late in shown:
            row = found.get(late.advance_id)
            if row is None:
                continue
            row.update(
                status_label=labels[row["status"]],
                days_late=(today - late.late_since).days,
                overdue_amount=late.overdue_amount,
                outstanding=late.outstanding,
            )
            row["html"] = arrears_row_html(row, f"{detail}{row['id']}/", several)
            rows.append(row)
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
