"""Funds: their list with balances, a fund's page (contributions, where each euro went,
utilisation) and the recording of a contribution."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from alize import charts
from alize.actions import Action
from alize.formats import money, share_percent, short_month
from alize.web import ActionRequiredMixin, FilteredListView, ServiceCall, several_dispositifs
from dispositifs.access import may

from .. import queries, selectors, services
from ..forms import CollectionAccountForm, CollectionForm, ContributionForm, ProvisionRatesForm
from ..list_filters import FundFilterSet
from .arrears import advance_detail_prefix


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
                    "month": short_month(point["month"]),
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


# The collection files shown on the fund page; the rest are on its collections' list.
RECENT_COLLECTIONS = 5


def financed_rows_html(shares: list[dict], detail: str) -> str:
    """The rows of the advances one contribution financed (up to
    ``queries.ATTRIBUTION_ROWS`` per contribution), built here rather than by the template's
    loop: each figure formatted once, the advance's link from ``detail`` (the advance page's
    address without its id) rather than resolved again for every row."""
    return format_html_join(
        "",
        '<tr><td><a href="{}{}/">{}</a><br><span class="muted">{}</span></td>'
        '<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td>'
        '<td class="num">{}</td></tr>',
        (
            (
                detail,
                share["advance"].pk,
                share["advance"].project.company.name,
                share["advance"].project.title,
                money(share["lent"]),
                money(share["repaid"]),
                money(share["lost"]),
                money(share["outstanding"]),
            )
            for share in shares
        ),
    )


def render_fund(
    request,
    fund,
    *,
    status: int = 200,
    contribution_form=None,
    provision_rates_form=None,
    bound=None,
):
    """The fund page: balances (gross outstanding, provision, net), contributions and their
    attribution, utilisation, the provisioning rates, and the direct debits (the collection
    account, the latest collection files, drawing one). ``bound`` holds the forms re-shown
    with their errors, keyed "account" or "collection"."""
    bound = bound or {}
    user = request.user
    manager = may(user, Action.MANAGE_ADVANCE, fund.dispositif_id)
    recorder = may(user, Action.RECORD_REPAYMENT, fund.dispositif_id)
    contributions = selectors.fund_contributions(fund)
    financed = queries.fund_attribution(fund)
    detail = advance_detail_prefix()
    for row in contributions:
        row["financed"] = financed.get(row["contribution"].pk, {"count": 0, "advances": []})
        row["financed_html"] = financed_rows_html(row["financed"]["advances"], detail)
    utilisation = selectors.fund_utilisation(fund, until=timezone.localdate())
    if manager and contribution_form is None:
        contribution_form = ContributionForm()
    rates, default_rates = selectors.fund_provision_rates(fund)
    if manager and provision_rates_form is None:
        provision_rates_form = ProvisionRatesForm(rates=rates)
    account_form = None
    if manager:
        account_form = bound.get("account") or CollectionAccountForm(
            prefix="account",
            initial={name: getattr(fund, name) for name in services.COLLECTION_ACCOUNT_FIELDS},
        )
    collections, collection_form = [], None
    if recorder:
        collections = list(selectors.collection_list(user, fund)[:RECENT_COLLECTIONS])
        collection_form = bound.get("collection") or CollectionForm(prefix="collection")
    context = {
        "title": fund.name,
        "fund": fund,
        "balances": selectors.fund_balances(fund),
        "contributions": contributions,
        "utilisation": utilisation,
        "chart": utilisation_chart(utilisation),
        "can_manage": manager,
        "can_record": may(user, Action.RECORD_REPAYMENT, fund.dispositif_id),
        "contribution_form": contribution_form if manager else None,
        "provision_rates": rates,
        "default_rates": default_rates,
        "provision_rates_form": provision_rates_form if manager else None,
        "can_collect": recorder,
        "account_form": account_form,
        "collection_form": collection_form,
        "collections": collections,
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
