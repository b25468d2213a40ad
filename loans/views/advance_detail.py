"""The advance page, the base of the actions that re-render it when refused, and the moves
of its terms: contract, disbursement, new schedule."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from alize.actions import Action
from alize.errors import service_error_text
from alize.formats import long_date, money
from alize.panels import render_panels
from alize.web import ActionRequiredMixin, ServiceCall, confirmation_page, is_confirmed
from dispositifs.access import may

from .. import queries, selectors, services
from ..forms import (
    ContractForm,
    DisbursementForm,
    MandateForm,
    MandateRevokeForm,
    RepaymentForm,
    RescheduleForm,
    ReversalForm,
    WriteOffProposalForm,
)
from ..models import LIVE_STATUSES, AdvanceStatus, WriteOffStatus


def next_due(instalments):
    """The oldest instalment not fully paid, or ``None``."""
    return next((i for i in instalments if i.remaining > 0), None)


def render_advance(request, advance, *, status: int = 200, bound=None):
    """The advance page. ``bound`` holds forms re-shown with their errors after a refused
    POST, keyed by "contract", "disburse", "repayment", "reschedule", "write_off",
    "mandate", "mandate_revoke" or ("reversal", repayment pk)."""
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
    mandates = list(selectors.advance_mandates(advance))
    in_force = next((m for m in mandates if m.in_force), None)
    if recorder and in_force is None and advance.status not in services.MANDATE_CLOSED_STATUSES:
        forms["mandate"] = bound.get("mandate") or MandateForm(
            prefix="mandate", initial={"debtor_name": advance.project.company.name}
        )
    if recorder and in_force is not None:
        forms["mandate_revoke"] = bound.get("mandate_revoke") or MandateRevokeForm(
            prefix="mandate_revoke"
        )
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
        "mandates": mandates,
        "mandate_in_force": in_force,
        "proposed_write_off": proposed,
        "can_decide_write_off": approver and proposed is not None,
        "can_manage": manager,
        "can_record": recorder,
        "show_people": manager,
        "forms": forms,
        "panels": render_panels("advance", request, advance),
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

    def confirm_first(self, advance, data) -> list[str] | None:
        """What the move will do, when it must be confirmed first (None: no confirmation)."""
        return None

    def post(self, request, pk, **kwargs):
        advance = self.get_advance(pk)
        form = self.get_form()
        consequences = self.confirm_first(advance, form.cleaned_data) if form.is_valid() else None
        if consequences and not is_confirmed(request):
            url = reverse("loans:advance-detail", args=[advance.pk])
            return confirmation_page(
                request,
                title=_("%(advance)s : confirmer ?") % {"advance": advance},
                consequences=consequences,
                action_url=request.path,
                back_url=f"{url}#{self.anchor}" if self.anchor else url,
            )
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

    def confirm_first(self, advance, data) -> list[str]:
        available = selectors.fund_balances(advance.fund).available
        return [
            _(
                "%(amount)s quitteront le fonds « %(fund)s » (disponible aujourd'hui : "
                "%(available)s), versés le %(day)s."
            )
            % {
                "amount": money(advance.amount),
                "fund": advance.fund.name,
                "available": money(available),
                "day": long_date(data["disbursed_on"]),
            },
            _("L'échéancier de remboursement commence à cette date."),
            _("Un décaissement ne s'annule pas : il se corrige par une écriture visible."),
        ]

    def perform(self, advance, data):
        services.advance_disburse(advance=advance, by=self.request.user, **data)


class AdvanceRescheduleView(AdvanceActionView):
    action = Action.MANAGE_ADVANCE
    form_class = RescheduleForm
    key = "reschedule"
    success_message = gettext_lazy("L'échéancier est remplacé ; l'ancien reste consultable.")
    anchor = "echeancier"

    def perform(self, advance, data):
        services.advance_reschedule(advance=advance, by=self.request.user, **data)
