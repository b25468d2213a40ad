"""Browser pages of the loans app: funds (balances, contributions, utilisation, where each
euro went), advances (schedule, repayments, ledger lines, history and the actions of their
lifecycle), the arrears page and a project's co-financing.

Who does what (``dispositifs.access``): those who read advances (animateurs of the
dispositif, the national coordination, API clients of the region) see the pages; managing
an advance, recording a repayment and approving a write-off are actions of their own. A row
outside the user's reach answers 404, like a missing one. Every write goes through
``loans.services``; a refusal re-renders the page with HTTP 400, the message on the field it
concerns, and nothing changed. Names of people (who recorded, who proposed) are shown only
to those who manage the advance.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.generic import TemplateView

from alize import charts, exports
from alize.actions import Action
from alize.errors import service_error_text
from alize.formats import money, share_percent, short_date
from alize.web import (
    ActionRequiredMixin,
    FilteredListView,
    ServiceCall,
    require,
    several_dispositifs,
)
from dispositifs.access import may

from . import ledger, queries, selectors, services
from .forms import (
    AdvanceForm,
    CofinancingForm,
    ContractForm,
    ContributionForm,
    DisbursementForm,
    RepaymentForm,
    RescheduleForm,
    ReversalForm,
    WriteOffProposalForm,
)
from .list_filters import AdvanceListFilterSet, FundFilterSet
from .models import LIVE_STATUSES, AdvanceStatus, WriteOffStatus

PANEL_ROWS = 20
ARREARS_ROWS = 200
EXPORT_ROWS = 50_000


# -- Funds ------------------------------------------------------------------------------


class FundListView(FilteredListView):
    """The funds of the user's dispositifs with their balances, summed from the ledger."""

    action = Action.VIEW_ADVANCE
    template_name = "loans/fund_list.html"
    filterset_class = FundFilterSet
    sort_fields = {"name": "name", "dispositif": "dispositif__name"}
    default_sort = "dispositif"
    extra_context = {"title": gettext_lazy("Fonds d'avances remboursables")}

    def get_base_queryset(self):
        return selectors.fund_list(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        funds = list(context["object_list"])
        balances = selectors.fund_balances_of(funds)
        context["rows"] = [(fund, balances[fund.pk]) for fund in funds]
        context["show_dispositif"] = several_dispositifs(self.request.user, self.action)
        context["leverage"] = selectors.leverage_by_dispositif(self.request.user)
        return context


def utilisation_chart(points: list[dict]) -> charts.Chart | None:
    """The utilisation points of a fund as columns against 0–100 % (a ratio above 1 is
    drawn to the top, a month without money leaves a gap)."""
    return charts.column_chart(
        [
            charts.Bar(
                label=point["month"].strftime("%m/%y"),
                value=point["ratio"],
                text=share_percent(point["ratio"], 0) or charts.GAP,
                title=_("%(month)s : %(lent)s prêtés, %(available)s disponibles")
                % {
                    "month": point["month"].strftime("%m/%Y"),
                    "lent": money(point["outstanding"]),
                    "available": money(point["available"]),
                },
            )
            for point in points
        ],
        key="utilisation",
        title=_("Part de l'argent du fonds prêtée, fin de chaque mois"),
        maximum=1,
        scale=lambda level: share_percent(level, 0),
    )


def render_fund(request, fund, *, status: int = 200, contribution_form=None):
    """The fund page: balances, contributions and their attribution, utilisation."""
    user = request.user
    manager = may(user, Action.MANAGE_ADVANCE, fund.dispositif_id)
    contributions = selectors.fund_contributions(fund)
    financed = queries.fund_attribution(fund)
    for row in contributions:
        row["financed"] = financed.get(row["contribution"].pk, {"count": 0, "advances": []})
    utilisation = selectors.fund_utilisation(fund, until=timezone.localdate())
    if manager and contribution_form is None:
        contribution_form = ContributionForm()
    context = {
        "title": fund.name,
        "fund": fund,
        "balances": selectors.fund_balances(fund),
        "contributions": contributions,
        "utilisation": utilisation,
        "chart": utilisation_chart(utilisation),
        "can_manage": manager,
        "contribution_form": contribution_form if manager else None,
    }
    return render(request, "loans/fund_detail.html", context, status=status)


class FundDetailView(ActionRequiredMixin, View):
    action = Action.VIEW_ADVANCE

    def get(self, request, pk):
        fund = get_object_or_404(queries.fund_detail_queryset(request.user), pk=pk)
        return render_fund(request, fund)


class FundContributionView(ActionRequiredMixin, View):
    """Record money put into a fund (POST only); the ledger gets its entry."""

    action = Action.MANAGE_ADVANCE
    http_method_names = ["post"]

    def post(self, request, pk):
        fund = get_object_or_404(
            queries.fund_detail_queryset(request.user, Action.MANAGE_ADVANCE), pk=pk
        )
        form = ContributionForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                _contribution, created = services.contribution_record_once(
                    fund=fund, by=request.user, **form.cleaned_data
                )
            if not call.refused:
                messages.success(
                    request,
                    _("L'apport est enregistré.")
                    if created
                    else _("Cet apport était déjà enregistré (envoi en double)."),
                )
                return HttpResponseRedirect(reverse("loans:fund-detail", args=[fund.pk]))
        return render_fund(request, fund, status=400, contribution_form=form)


# -- Advances: list and creation ---------------------------------------------------------


class AdvanceListView(FilteredListView):
    """Advances of the user's dispositifs: status, fund, arrears, outstanding principal."""

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

    def get_base_queryset(self):
        return selectors.advance_list(self.request.user)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.filterset.is_bound and not self.filterset.is_valid():
            return queryset.none()
        return queryset

    EXPORTS = {"csv": exports.csv_response, "xlsx": exports.xlsx_response}

    def get(self, request, *args, **kwargs):
        export = self.EXPORTS.get(request.GET.get("format", ""))
        if export is None:
            return super().get(request, *args, **kwargs)
        return export(
            filename=f"avances-{timezone.localdate().isoformat()}.{request.GET['format']}",
            headers=[
                _("Dispositif"),
                _("Fonds"),
                _("Entreprise"),
                _("Projet"),
                _("Montant"),
                _("Capital restant dû"),
                _("Statut"),
                _("Jours de retard"),
                _("Décaissée le"),
                _("Créée le"),
            ],
            rows=(
                (
                    row["dispositif_slug"],
                    row["fund_name"],
                    row["company_name"],
                    row["project_title"],
                    row["amount"],
                    row["outstanding"],
                    AdvanceStatus(row["status"]).label,
                    row["days_past_due"],
                    row["disbursed_on"],
                    timezone.localdate(row["created_at"]),
                )
                for row in selectors.advance_rows(self.get_queryset()[:EXPORT_ROWS])
            ),
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        advances = list(context["object_list"])
        balances = ledger.advance_balances([advance.pk for advance in advances])
        context["rows"] = [(advance, balances[advance.pk]) for advance in advances]
        context["show_dispositif"] = several_dispositifs(user, self.action)
        if may(user, Action.MANAGE_ADVANCE):
            context["awaiting"] = list(queries.decisions_awaiting_advance(user)[:PANEL_ROWS])
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


# -- Advances: the detail page and its actions --------------------------------------------


def next_due(instalments):
    """The oldest instalment not fully paid, or ``None``."""
    return next((i for i in instalments if i.remaining > 0), None)


def render_advance(request, advance, *, status: int = 200, bound=None):
    """The advance page. ``bound`` holds forms re-shown with their errors after a refused
    POST, keyed by "contract", "disburse", "repayment", "reschedule", "write_off" or
    ("reversal", repayment pk)."""
    bound = bound or {}
    user = request.user
    dispositif_id = advance.dispositif_id
    manager = may(user, Action.MANAGE_ADVANCE, dispositif_id)
    recorder = may(user, Action.RECORD_REPAYMENT, dispositif_id)
    approver = may(user, Action.APPROVE_WRITE_OFF, dispositif_id)
    schedule = selectors.advance_schedule(advance)
    repayments = list(selectors.advance_repayments(advance))
    write_offs = list(selectors.advance_write_offs(advance))
    proposed = next((w for w in write_offs if w.status == WriteOffStatus.PROPOSED), None)
    live = advance.status in LIVE_STATUSES
    lost = advance.status == AdvanceStatus.WRITTEN_OFF  # its repayments stay as they are
    forms = {}
    if manager and advance.status == AdvanceStatus.APPROVED:
        forms["contract"] = bound.get("contract") or ContractForm(prefix="contract")
    if manager and advance.status == AdvanceStatus.CONTRACTED:
        forms["disburse"] = bound.get("disburse") or DisbursementForm(prefix="disburse")
    if recorder and live:
        forms["repayment"] = bound.get("repayment") or RepaymentForm(prefix="repayment")
    if manager and live:
        forms["reschedule"] = bound.get("reschedule") or RescheduleForm(prefix="reschedule")
        if proposed is None:
            forms["write_off"] = bound.get("write_off") or WriteOffProposalForm(prefix="write_off")
    for repayment in repayments:
        try:
            repayment.reversal_record = repayment.reversal
        except ObjectDoesNotExist:
            repayment.reversal_record = None
        repayment.reversal_form = None
        if recorder and repayment.reversal_record is None and not lost:
            repayment.reversal_form = bound.get(("reversal", repayment.pk)) or ReversalForm(
                prefix=f"reversal-{repayment.pk}"
            )
    context = {
        "title": str(advance.project),
        "advance": advance,
        "project": advance.project,
        "balance": selectors.advance_balances(advance),
        "schedule": schedule,
        "next_due": next_due(schedule["live"]) if live else None,
        "repayments": repayments,
        "ledger_lines": list(selectors.advance_ledger_lines(advance)),
        "history": list(selectors.advance_timeline(advance)),
        "write_offs": write_offs,
        "proposed_write_off": proposed,
        "can_decide_write_off": approver and proposed is not None,
        "can_manage": manager,
        "can_record": recorder,
        "show_people": manager,
        "forms": forms,
    }
    return render(request, "loans/advance_detail.html", context, status=status)


class AdvanceDetailView(ActionRequiredMixin, View):
    """Terms, status, schedule with each instalment's payment and lateness, repayments,
    ledger lines, write-offs and history; the actions the user may take in this state."""

    action = Action.VIEW_ADVANCE

    def get(self, request, pk):
        advance = get_object_or_404(queries.advance_detail_queryset(request.user), pk=pk)
        return render_advance(request, advance)


class AdvanceActionView(ActionRequiredMixin, View):
    """Base of the POST-only actions on an advance: ``form_class`` parses the input,
    ``perform`` calls the service; a refusal re-renders the page with HTTP 400."""

    http_method_names = ["post"]
    form_class = None
    key = ""
    success_message = ""
    anchor = ""

    def get_advance(self, pk):
        return get_object_or_404(
            queries.advance_detail_queryset(self.request.user, self.action), pk=pk
        )

    def get_form(self):
        return self.form_class(self.request.POST, prefix=self.key)

    def perform(self, advance, data):
        raise NotImplementedError

    def refused(self, form, error):
        """The form to show again after the service refused ``error``: its message is on the
        field at fault (``ServiceCall``), and goes above the page too."""
        messages.error(self.request, service_error_text(error))
        return form

    def post(self, request, pk, **kwargs):
        advance = self.get_advance(pk)
        form = self.get_form()
        if form.is_valid():
            with ServiceCall(form) as call:
                self.perform(advance, form.cleaned_data)
            if call.refused:
                form = self.refused(form, call.error)
            else:
                messages.success(request, self.success_message)
                url = reverse("loans:advance-detail", args=[advance.pk])
                return HttpResponseRedirect(f"{url}#{self.anchor}" if self.anchor else url)
        advance.refresh_from_db()
        return render_advance(request, advance, status=400, bound={self.key: form})


class AdvanceContractView(AdvanceActionView):
    action = Action.MANAGE_ADVANCE
    form_class = ContractForm
    key = "contract"
    success_message = gettext_lazy("Le contrat est signé.")

    def perform(self, advance, data):
        services.advance_contract(advance=advance, by=self.request.user, **data)


class AdvanceDisburseView(AdvanceActionView):
    """Pay the advance out; refused with the fund's available money when it is too low."""

    action = Action.MANAGE_ADVANCE
    form_class = DisbursementForm
    key = "disburse"
    success_message = gettext_lazy("L'avance est décaissée ; l'échéancier court.")
    anchor = "echeancier"

    def perform(self, advance, data):
        services.advance_disburse(advance=advance, by=self.request.user, **data)


class RepaymentRecordView(AdvanceActionView):
    """Record money received. The form's hidden idempotency key makes a double submit (or
    a replay) record one repayment: the service returns the first one."""

    action = Action.RECORD_REPAYMENT
    form_class = RepaymentForm
    key = "repayment"
    success_message = gettext_lazy("Le remboursement est enregistré.")
    anchor = "remboursements"

    def perform(self, advance, data):
        _repayment, created = services.repayment_record(
            advance=advance, by=self.request.user, **data
        )
        if not created:
            self.success_message = _("Ce remboursement était déjà enregistré (envoi en double).")

    def refused(self, form, error):
        """A form that already recorded a repayment, sent again with another amount or date
        (the back button): nothing more is recorded. The form comes back with what was typed
        and a new hidden key, so sending it again is a deliberate second repayment."""
        if getattr(error, "code", "") != "idempotency_key_reused":
            return super().refused(form, error)
        data = self.request.POST.copy()
        data[form.add_prefix("idempotency_key")] = RepaymentForm().initial["idempotency_key"]
        fresh = RepaymentForm(data, prefix=self.key)
        fresh.is_valid()
        first = error.extra
        message = _(
            "Ce formulaire a déjà enregistré un remboursement de %(amount)s reçu le %(date)s "
            "(voir la liste) ; rien de plus n'est enregistré. Pour enregistrer un autre "
            "remboursement, vérifiez le montant et la date, puis envoyez à nouveau."
        ) % {
            "amount": money(first["amount"]),
            "date": short_date(dt.date.fromisoformat(first["received_on"])),
        }
        fresh.add_error(None, message)
        messages.error(self.request, message)
        return fresh


class RepaymentReverseView(AdvanceActionView):
    """Undo a repayment by a counter-entry (the repayment stays, marked reversed)."""

    action = Action.RECORD_REPAYMENT
    form_class = ReversalForm
    success_message = gettext_lazy("Le remboursement est annulé par une contre-écriture.")
    anchor = "remboursements"

    def post(self, request, pk, repayment):
        self.repayment_pk = repayment
        self.key = ("reversal", repayment)
        return super().post(request, pk)

    def get_form(self):
        return ReversalForm(self.request.POST, prefix=f"reversal-{self.repayment_pk}")

    def perform(self, advance, data):
        repayment = get_object_or_404(selectors.advance_repayments(advance), pk=self.repayment_pk)
        services.repayment_reverse(repayment=repayment, by=self.request.user, **data)


class AdvanceRescheduleView(AdvanceActionView):
    action = Action.MANAGE_ADVANCE
    form_class = RescheduleForm
    key = "reschedule"
    success_message = gettext_lazy("L'échéancier est remplacé ; l'ancien reste consultable.")
    anchor = "echeancier"

    def perform(self, advance, data):
        services.advance_reschedule(advance=advance, by=self.request.user, **data)


class WriteOffProposeView(AdvanceActionView):
    action = Action.MANAGE_ADVANCE
    form_class = WriteOffProposalForm
    key = "write_off"
    success_message = gettext_lazy(
        "Le passage en perte est proposé ; une autre personne doit l'approuver."
    )
    anchor = "perte"

    def perform(self, advance, data):
        services.write_off_propose(advance=advance, reason=data["reason"], by=self.request.user)


class WriteOffDecideView(ActionRequiredMixin, View):
    """Approve (or reject) a proposed write-off; the person who proposed it cannot."""

    action = Action.APPROVE_WRITE_OFF
    http_method_names = ["post"]

    def post(self, request, pk):
        advance = get_object_or_404(
            queries.advance_detail_queryset(request.user, self.action), pk=pk
        )
        write_off = queries.open_write_off(advance)
        require(write_off is not None)
        approve = request.POST.get("decision") != "reject"
        with ServiceCall() as call:
            if approve:
                services.write_off_approve(write_off=write_off, by=request.user)
            else:
                services.write_off_reject(write_off=write_off, by=request.user)
        if call.refused:
            messages.error(request, call.message)
            advance.refresh_from_db()
            return render_advance(request, advance, status=400)
        messages.success(
            request,
            _("Le passage en perte est approuvé.")
            if approve
            else _("Le passage en perte est refusé."),
        )
        url = reverse("loans:advance-detail", args=[advance.pk])
        return HttpResponseRedirect(f"{url}#perte")


# -- Arrears ------------------------------------------------------------------------------


class ArrearsView(ActionRequiredMixin, TemplateView):
    """Overdue advances (days past due, what is late), and the portfolio at risk over 30
    days (PAR30) per fund and per dispositif, as the daily job last computed them."""

    action = Action.VIEW_ADVANCE
    template_name = "loans/arrears.html"

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


# -- Co-financing of a project ------------------------------------------------------------


def render_cofinancing(request, project, *, status: int = 200, form=None):
    manager = may(request.user, Action.MANAGE_ADVANCE, project.dispositif_id)
    if manager and form is None:
        form = CofinancingForm()
    context = {
        "title": _("Cofinancements — %(project)s") % {"project": project.title},
        "project": project,
        "cofinancings": list(queries.project_cofinancings(project)),
        "leverage": queries.project_leverage(project),
        "can_manage": manager,
        "form": form if manager else None,
    }
    return render(request, "loans/cofinancing.html", context, status=status)


class CofinancingView(ActionRequiredMixin, View):
    """A project's co-financing (bank loans, equity, grants) and its leverage ratio;
    those who manage advances add to it."""

    action = Action.VIEW_ADVANCE

    def get(self, request, project):
        found = queries.project_for_cofinancing(request.user, project)
        require(found is not None)
        return render_cofinancing(request, found)

    def post(self, request, project):
        found = queries.project_for_cofinancing(request.user, project, Action.MANAGE_ADVANCE)
        require(found is not None)
        form = CofinancingForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                _cofinancing, created = services.cofinancing_create_once(
                    project=found, by=request.user, **form.cleaned_data
                )
            if not call.refused:
                messages.success(
                    request,
                    _("Le cofinancement est enregistré.")
                    if created
                    else _("Ce cofinancement était déjà enregistré (envoi en double)."),
                )
                return HttpResponseRedirect(reverse("loans:cofinancing", args=[found.pk]))
        return render_cofinancing(request, found, status=400, form=form)
