"""Advances: their list (and its export) and the creation of the one a committee decision
granted."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Sum
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from alize.actions import Action
from alize.panels import first_rows
from alize.web import (
    ActionRequiredMixin,
    ExportColumn,
    ExportMixin,
    FilteredListView,
    ServiceCall,
    require,
    several_dispositifs,
)
from dispositifs.access import may

from .. import queries, selectors, services
from ..forms import AdvanceForm
from ..list_filters import AdvanceListFilterSet
from ..models import ZERO

PANEL_ROWS = 20


class AdvanceListView(ExportMixin, FilteredListView):
    """Advances of the user's dispositifs: status, fund, arrears, outstanding principal;
    the filtered list exports to CSV/XLSX (the outstanding principal from the ledger)."""

    action = Action.VIEW_ADVANCE
    template_name = "loans/advance_list.html"
    filterset_class = AdvanceListFilterSet
    sort_fields = {
        "company": "project__company__name",
        "project": "project__title",
        "dispositif": "dispositif__name",
        "fund": "fund__name",
        "amount": "amount",
        "status": "status",
        "late": "days_past_due",
        "created": "created_at",
    }
    default_sort = "-created"
    extra_context = {"title": gettext_lazy("Avances remboursables")}
    export_filename = "avances"
    export_columns = (
        ExportColumn(gettext_lazy("Dispositif"), "dispositif_name"),
        ExportColumn(gettext_lazy("Fonds"), "fund_name"),
        ExportColumn(gettext_lazy("Entreprise"), "company_name"),
        ExportColumn(gettext_lazy("Projet"), "project_title"),
        ExportColumn(gettext_lazy("Montant"), "amount"),
        ExportColumn(gettext_lazy("Capital restant dû"), "outstanding"),
        ExportColumn(gettext_lazy("Statut"), "status"),
        ExportColumn(gettext_lazy("Jours de retard"), "days_past_due"),
        ExportColumn(gettext_lazy("Décaissée le"), "disbursed_on"),
        ExportColumn(gettext_lazy("Créée le"), "created_at", display=timezone.localdate),
    )

    def get_base_queryset(self):
        return selectors.advance_list(self.request.user)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return queryset

    def export_values(self, queryset, paths, limit):
        """The rows with their outstanding principal (a sum of the ledger), in one query."""
        return [
            tuple(row[path] for path in paths) for row in selectors.advance_rows(queryset[:limit])
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        # Each advance's outstanding principal is the figure PostgreSQL keeps from the ledger.
        context["rows"] = list(context["object_list"])
        context["show_dispositif"] = several_dispositifs(user, self.action)
        # Totals over every filtered row: the amounts and, behind a figure, the amount of
        # the period that figure adds up (``period_amount``, see the filterset).
        column = self.filterset.amount_column()
        # (An aggregate named like the annotation it adds up would replace it.)
        sums = {"total_amount": Sum("amount")}
        if column is not None:
            sums["total_period_amount"] = Sum("period_amount")
        totals = self.object_list.order_by().aggregate(**sums)
        context["totals"] = {key[len("total_") :]: value or ZERO for key, value in totals.items()}
        context["amount_label"] = column[1] if column else ""
        if may(user, Action.MANAGE_ADVANCE):
            context["awaiting"] = first_rows(queries.decisions_awaiting_advance(user), PANEL_ROWS)
        return context


class AdvanceCreateView(ActionRequiredMixin, View):
    """Set up the advance an approved committee decision granted: fund, amount within the
    dispositif's bounds, grace period, number and frequency of instalments."""

    action = Action.MANAGE_ADVANCE
    template_name = "loans/advance_form.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.decision = queries.decision_for_new_advance(request.user, kwargs["decision"])
            require(self.decision is not None)
        return super().dispatch(request, *args, **kwargs)

    def form(self, data=None):
        decision = self.decision
        funds = queries.funds_of_dispositif(self.request.user, decision.dispositif_id)
        initial = {"amount": decision.advance_amount}
        only = list(funds[:2])
        if len(only) == 1:
            initial["fund"] = only[0].pk
        return AdvanceForm(data, dispositif=decision.dispositif, funds=funds, initial=initial)

    def render(self, form, status=200):
        context = {
            "title": _("Nouvelle avance remboursable"),
            "decision": self.decision,
            "project": self.decision.item.project,
            "form": form,
        }
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render(self.form())

    def post(self, request, *args, **kwargs):
        form = self.form(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                advance = services.advance_create(
                    decision=self.decision, by=request.user, **form.cleaned_data
                )
            if not call.refused:
                messages.success(request, _("L'avance est créée ; son échéancier est prêt."))
                return HttpResponseRedirect(reverse("loans:advance-detail", args=[advance.pk]))
        return self.render(form, status=400)
