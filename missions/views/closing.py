"""Month closing by the animateurs, and the adjustments of a closed month."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.generic import TemplateView

from alize.actions import Action
from alize.web import ActionRequiredMixin, ServiceCall, confirmation_page, is_confirmed

from .. import grid, queries, services
from ..forms import AdjustmentForm, CloseMonthForm, month_choices


class ClosingView(ActionRequiredMixin, TemplateView):
    """Close a month of hours for a dispositif; see what is closed; correct a closed month
    with an adjustment (a signed line with a reason, never a change of the locked entry)."""

    action = Action.MANAGE
    template_name = "missions/closing.html"

    def forms(self, close_form=None, adjustment_form=None):
        dispositifs = queries.managed_dispositifs(self.request.user)
        missions = queries.adjustable_missions(self.request.user)
        experts = queries.adjustable_experts(self.request.user)
        close_form = close_form or CloseMonthForm(
            dispositifs=dispositifs,
            initial={"month": (timezone.localdate().replace(day=1) - dt.timedelta(days=1))},
        )
        adjustment_form = adjustment_form or AdjustmentForm(missions=missions, experts=experts)
        return dispositifs, close_form, adjustment_form

    def render(self, close_form=None, adjustment_form=None, status=200):
        dispositifs, close_form, adjustment_form = self.forms(close_form, adjustment_form)
        dispositifs = list(dispositifs)
        ids = [d.pk for d in dispositifs]
        closed = queries.closed_months(ids)
        closed_keys = {(c.dispositif_id, c.month) for c in closed}
        months = month_choices(timezone.localdate())
        table = [
            (
                dispositif,
                [(month, (dispositif.pk, month) in closed_keys) for month in months],
            )
            for dispositif in dispositifs
        ]
        context = {
            "title": _("Clôture des heures"),
            "months": months,
            "table": table,
            "closed": closed,
            "close_form": close_form,
            "adjustment_form": adjustment_form,
            "adjustments": queries.recent_adjustments(ids),
            "over_plan": queries.missions_over_plan(ids),
            "several_dispositifs": len(dispositifs) > 1,
        }
        return TemplateResponse(self.request, self.template_name, context, status=status)

    def get(self, request, *args, **kwargs):
        return self.render()

    def post(self, request, *args, **kwargs):
        dispositifs, _close, _adjust = self.forms()
        form = CloseMonthForm(request.POST, dispositifs=dispositifs)
        if form.is_valid() and not is_confirmed(request):
            data = form.cleaned_data
            over = queries.missions_over_plan([data["dispositif"].pk])
            warning = (
                [
                    ngettext(
                        "%(n)d mission a des heures au-delà de leurs heures prévues : %(names)s.",
                        "%(n)d missions ont des heures au-delà de leurs heures prévues : "
                        "%(names)s.",
                        len(over),
                    )
                    % {
                        "n": len(over),
                        "names": "; ".join(f"{m} ({grid.over_plan_note(m)})" for m in over),
                    }
                ]
                if over
                else []
            )
            return confirmation_page(
                request,
                title=_("Clore le mois ?"),
                consequences=[
                    *warning,
                    _(
                        "Les heures de %(month)s de %(dispositif)s seront verrouillées : elles "
                        "ne se corrigeront plus que par un ajustement motivé."
                    )
                    % {
                        "month": date_format(data["month"], "YEAR_MONTH_FORMAT"),
                        "dispositif": data["dispositif"].name,
                    },
                    _("Un mois clos ne se rouvre pas."),
                ],
                action_url=reverse("missions:closing"),
                back_url=reverse("missions:closing"),
            )
        if form.is_valid():
            with ServiceCall(form) as call:
                services.month_close(
                    dispositif=form.cleaned_data["dispositif"],
                    month=form.cleaned_data["month"],
                    by=request.user,
                )
            if not call.refused:
                messages.success(
                    request,
                    _("Mois clos : ses heures sont verrouillées."),
                )
                return redirect("missions:closing")
        return self.render(close_form=form, status=400)


class AdjustmentView(ClosingView):
    """Record an adjustment of a closed month (POST only)."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        missions = queries.adjustable_missions(request.user)
        experts = queries.adjustable_experts(request.user)
        form = AdjustmentForm(request.POST, missions=missions, experts=experts)
        if form.is_valid():
            data = form.cleaned_data
            with ServiceCall(form) as call:
                services.hour_adjustment_create(
                    mission=data["mission"],
                    expert=data["expert"],
                    date=data["date"],
                    hours=data["hours"],
                    reason=data["reason"],
                    by=request.user,
                )
            if not call.refused:
                messages.success(request, _("Régularisation enregistrée."))
                return redirect("missions:closing")
        return self.render(adjustment_form=form, status=400)
