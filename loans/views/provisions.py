"""A fund's provisioning rates: the form on the fund page, saved through the service."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from alize.actions import Action
from alize.web import ActionRequiredMixin, ServiceCall

from .. import queries, services
from ..forms import ProvisionRatesForm
from .funds import render_fund


class FundProvisionRatesView(ActionRequiredMixin, View):
    """Replace a fund's provisioning rates (POST only); the next daily job provisions at
    them. A refused table shows the fund page again with the errors on their rows."""

    action = Action.MANAGE_ADVANCE
    http_method_names = ["post"]

    def post(self, request, pk):
        fund = get_object_or_404(
            queries.fund_detail_queryset(request.user, Action.MANAGE_ADVANCE), pk=pk
        )
        form = ProvisionRatesForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                services.provision_rates_set(fund=fund, rates=form.rates())
            if not call.refused:
                messages.success(request, _("Les taux de provision sont enregistrés."))
                return HttpResponseRedirect(
                    reverse("loans:fund-detail", args=[fund.pk]) + "#provisions"
                )
        return render_fund(request, fund, status=400, provision_rates_form=form)
