"""SEPA direct debits in the browser: an advance's mandate (recorded, revoked), the fund's
collection account, the collection files of a fund (drawn for a due date, listed,
downloaded). Every write goes through ``loans.services``; mandates and files are for those
who record repayments (``RECORD_REPAYMENT``), the fund's account for those who manage it."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from alize.actions import Action
from alize.formats import long_date, money
from alize.web import ActionRequiredMixin, FilteredListView, ServiceCall

from .. import queries, selectors, services
from ..forms import CollectionAccountForm, CollectionForm, MandateForm, MandateRevokeForm
from ..list_filters import CollectionFilterSet
from .advance_detail import AdvanceActionView
from .funds import render_fund


class MandateCreateView(AdvanceActionView):
    """Record the SEPA mandate the SME signed (one in force per advance)."""

    action = Action.RECORD_REPAYMENT
    form_class = MandateForm
    key = "mandate"
    success_message = gettext_lazy("Le mandat de prélèvement est enregistré.")
    anchor = "mandats"

    def perform(self, advance, data):
        services.mandate_create(advance=advance, by=self.request.user, **data)


class MandateRevokeView(AdvanceActionView):
    """Revoke the mandate in force; the debits already sent stay as they are."""

    action = Action.RECORD_REPAYMENT
    form_class = MandateRevokeForm
    key = "mandate_revoke"
    success_message = gettext_lazy("Le mandat est révoqué.")
    anchor = "mandats"

    def post(self, request, pk, mandate):
        self.mandate_pk = mandate
        return super().post(request, pk)

    def perform(self, advance, data):
        mandate = get_object_or_404(selectors.advance_mandates(advance), pk=self.mandate_pk)
        services.mandate_revoke(mandate=mandate, by=self.request.user, **data)


class FundCollectionAccountView(ActionRequiredMixin, View):
    """Set the fund's SEPA creditor identifier and account (POST only)."""

    action = Action.MANAGE_ADVANCE
    http_method_names = ["post"]

    def post(self, request, pk):
        fund = get_object_or_404(queries.fund_detail_queryset(request.user, self.action), pk=pk)
        form = CollectionAccountForm(request.POST, prefix="account")
        if form.is_valid():
            with ServiceCall(form) as call:
                services.fund_set_collection_account(fund=fund, **form.cleaned_data)
            if not call.refused:
                messages.success(request, _("Le compte de prélèvement du fonds est enregistré."))
                url = reverse("loans:fund-detail", args=[fund.pk])
                return HttpResponseRedirect(f"{url}#prelevements")
        fund.refresh_from_db()
        return render_fund(request, fund, status=400, bound={"account": form})


class CollectionGenerateView(ActionRequiredMixin, View):
    """Draw the collection file of the fund for a due date (POST only): a new file of the
    instalments not yet debited, or the last file of that date when nothing new is due."""

    action = Action.RECORD_REPAYMENT
    http_method_names = ["post"]

    def post(self, request, pk):
        fund = get_object_or_404(queries.fund_detail_queryset(request.user, self.action), pk=pk)
        form = CollectionForm(request.POST, prefix="collection")
        if form.is_valid():
            with ServiceCall(form) as call:
                collection, created = services.collection_generate(
                    fund=fund, by=request.user, **form.cleaned_data
                )
            if not call.refused:
                figures = {
                    "count": collection.line_count,
                    "total": money(collection.total),
                    "date": long_date(collection.collection_date),
                }
                if created:
                    message = _(
                        "Remise du %(date)s générée : %(count)s prélèvements, %(total)s. "
                        "Rien n'est enregistré comme payé avant le relevé bancaire."
                    )
                else:
                    message = _(
                        "Rien de nouveau à prélever : la remise du %(date)s (%(count)s "
                        "prélèvements, %(total)s) est celle déjà générée."
                    )
                messages.success(request, message % figures)
                url = reverse("loans:fund-detail", args=[fund.pk])
                return HttpResponseRedirect(f"{url}#prelevements")
        return render_fund(request, fund, status=400, bound={"collection": form})


class CollectionListView(FilteredListView):
    """The collection files of one fund, latest due date first, with their figures."""

    action = Action.RECORD_REPAYMENT
    template_name = "loans/collection_list.html"
    filterset_class = CollectionFilterSet
    sort_fields = {
        "date": "collection_date",
        "created": "created_at",
        "count": "line_count",
        "total": "total",
    }
    default_sort = "-date"

    def get_base_queryset(self):
        self.fund = get_object_or_404(
            queries.fund_detail_queryset(self.request.user, self.action), pk=self.kwargs["pk"]
        )
        return selectors.collection_list(self.request.user, self.fund)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["fund"] = self.fund
        context["title"] = _("Remises de prélèvements — %(fund)s") % {"fund": self.fund.name}
        return context


class CollectionDownloadView(ActionRequiredMixin, View):
    """The pain.008 file exactly as it was generated, as an attachment."""

    action = Action.RECORD_REPAYMENT

    def get(self, request, pk):
        collection = get_object_or_404(selectors.collection_list(request.user).defer(None), pk=pk)
        response = HttpResponse(collection.xml, content_type="application/xml; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{collection.message_id}.xml"'
        response["X-Checksum-SHA256"] = collection.checksum
        return response
