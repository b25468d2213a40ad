"""Write-offs of an advance: the proposal, and its approval or rejection by another person."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from alize.actions import Action
from alize.web import ActionRequiredMixin, ServiceCall, require

from .. import queries, services
from ..forms import WriteOffProposalForm
from .advance_detail import AdvanceActionView, render_advance


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
