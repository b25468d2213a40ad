"""The proposal of a mission from an approved decision, with the suggested experts."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import FormView

from alize.actions import Action
from alize.web import ActionRequiredMixin, InvalidFormStatusMixin, ServiceCall

from .. import grid, queries, selectors, services
from ..forms import ProposeMissionForm


class MissionProposeView(ActionRequiredMixin, InvalidFormStatusMixin, FormView):
    """The animateur proposes a mission from an approved decision: the suggested experts in
    the service's order (skill match, then firms under their pledge), each with the firm's
    hours asked, pledged and delivered this year, before the choice of the firm."""

    action = Action.MANAGE
    template_name = "missions/mission_propose.html"
    form_class = ProposeMissionForm

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.decision = get_object_or_404(
                queries.decisions_for_missions(request.user), pk=kwargs["decision_pk"]
            )
            self.project = self.decision.item.project
        return super().dispatch(request, *args, **kwargs)

    def chosen_skill(self):
        """The skill asked (``?skill=``), else the one the committee decided
        (``queries.decided_skill``: named by the decision, else a need of the project, one
        that no mission of the decision has yet)."""
        if not hasattr(self, "_skill"):
            skills = queries.skills()
            by_pk = {str(skill.pk): skill for skill in skills}
            value = self.request.POST.get("skill") or self.request.GET.get("skill") or ""
            self._skill = by_pk.get(value) or queries.decided_skill(
                self.decision, self.project, skills
            )
        return self._skill

    def suggestions(self):
        if not hasattr(self, "_suggestions"):
            self._suggestions = selectors.mission_suggestions(
                user=self.request.user,
                dispositif_id=self.decision.dispositif_id,
                skill=self.chosen_skill(),
                project=self.project,
                year=timezone.localdate().year,
            )
        return self._suggestions

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        figures = {s.firm.firm_id: s.firm for s in self.suggestions()}
        firm_labels = {
            firm_id: _(
                "%(firm)s — demandées %(asked)s h, promises %(pledged)s h, "
                "réalisées %(delivered)s h cette année"
            )
            % {
                "firm": figure.name,
                "asked": grid.hours_label(figure.asked),
                "pledged": grid.hours_label(figure.pledged),
                "delivered": grid.hours_label(figure.delivered),
            }
            for firm_id, figure in figures.items()
        }
        kwargs.update(
            skills=queries.skill_choices(),
            firms=queries.proposable_firms(self.decision.dispositif_id),
            firm_labels=firm_labels,
        )
        return kwargs

    def get_initial(self):
        today = timezone.localdate()
        initial = {
            "skill": self.chosen_skill().pk,
            "objective": self.decision.missions_description,
            "starts_on": today,
            "ends_on": today + dt.timedelta(days=90),
        }
        firm = self.request.GET.get("firm", "")
        if firm.isdigit():
            initial["firm"] = int(firm)
        return initial

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(
            title=_("Proposer une mission"),
            decision=self.decision,
            project=self.project,
            suggestions=self.suggestions(),
            skill=self.chosen_skill(),
            skills=queries.skills(),
        )
        return context

    def form_valid(self, form):
        data = form.cleaned_data
        with ServiceCall(form) as call:
            mission = services.mission_create(
                decision=self.decision,
                firm=data["firm"],
                skill=data["skill"],
                objective=data["objective"],
                planned_hours=data["planned_hours"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                by=self.request.user,
            )
        if call.refused:
            return self.form_invalid(form)
        messages.success(
            self.request,
            _("Mission proposée à %(firm)s ; son correspondant est prévenu.")
            % {"firm": data["firm"].name},
        )
        return redirect("missions:detail", mission.pk)
