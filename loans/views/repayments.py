"""Repayments of an advance: recording money received (idempotent) and reversing it."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from alize.actions import Action
from alize.formats import money, short_date

from .. import selectors, services
from ..forms import RepaymentForm, ReversalForm
from .advance_detail import AdvanceActionView


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
