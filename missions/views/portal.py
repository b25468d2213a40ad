"""The firm portal's export: the firm's hours by month and dispositif, as CSV."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import View

from alize import exports
from alize.actions import Action
from alize.web import ActionRequiredMixin, require

from .. import queries, selectors


class FirmHoursExportView(ActionRequiredMixin, View):
    """CSV of the correspondent's firm hours by month and dispositif for a year (``?year=``),
    with their value at the firm's rate."""

    action = Action.RESPOND_MISSION

    def get(self, request):
        firms = queries.correspondent_firms(request.user)
        require(bool(firms))
        today = timezone.localdate()
        try:
            year = int(request.GET.get("year", today.year))
        except ValueError:
            year = today.year
        year = min(max(year, today.year - 20), today.year + 1)
        rows = []
        for firm in firms:
            portal = selectors.firm_portal(user=request.user, firm=firm, year=year)
            rows += [
                (firm.name, row.dispositif, row.month.strftime("%Y-%m"), row.hours, row.value)
                for row in portal.months
            ]
        return exports.csv_response(
            filename=f"heures-expertise-{year}.csv",
            headers=[_("Entreprise"), _("Dispositif"), _("Mois"), _("Heures"), _("Valeur (€)")],
            rows=rows,
        )
