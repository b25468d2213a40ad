"""The mission page, and the base of the actions that re-render it when refused."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from alize.actions import Action
from alize.web import ScopedDetailView
from dispositifs.access import may

from .. import queries
from ..forms import AssignForm, DeclineForm, EvaluationForm, MoveForm
from ..models import MissionStatus


class MissionDetailView(ScopedDetailView):
    """A mission: project, firm, experts, dates, planned and logged hours, its history and
    evaluations, with the moves the user may make."""

    action = Action.VIEW_MISSION
    template_name = "missions/mission_detail.html"
    context_object_name = "mission"

    def get_queryset(self):
        return queries.mission_detail_queryset(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        mission = self.object
        user = self.request.user
        manage = may(user, Action.MANAGE, mission.dispositif_id)
        respond = self.responds_for(mission)
        assigned = queries.is_assigned(mission, user)
        status = mission.status
        assignments = queries.mission_assignments(mission)
        assigned_ids = {a.expert_id for a in assignments}
        evaluating = status in (MissionStatus.IN_PROGRESS, MissionStatus.COMPLETED)
        allowed = mission.allowed_next_statuses
        moves = []
        # Starting needs an expert on the mission (the service refuses it otherwise).
        startable = status != MissionStatus.ACCEPTED or bool(assignments)
        if MissionStatus.IN_PROGRESS in allowed and (manage or respond) and startable:
            moves.append((MissionStatus.IN_PROGRESS, _("Démarrer la mission")))
        if MissionStatus.COMPLETED in allowed and manage:
            moves.append((MissionStatus.COMPLETED, _("Terminer la mission")))
        context.update(
            title=str(mission),
            can_manage=manage,
            can_respond=respond,
            assignments=assignments,
            hours_by_expert=queries.mission_hours_by_expert(mission, user),
            history=queries.mission_history(mission),
            moves=moves,
            can_cancel=manage and MissionStatus.CANCELLED in allowed,
            can_answer=respond and status == MissionStatus.PROPOSED,
            can_assign=respond and status in (MissionStatus.ACCEPTED, MissionStatus.IN_PROGRESS),
            can_evaluate_sme=manage and evaluating,
            can_evaluate_expert=(manage or assigned) and evaluating,
            show_hours_link=assigned and mission.is_open_for_hours,
            waits_for_expert=status == MissionStatus.ACCEPTED and not assignments,
        )
        context.setdefault("decline_form", DeclineForm())
        context.setdefault("move_form", MoveForm())
        if context["can_assign"]:
            context.setdefault(
                "assign_form",
                AssignForm(
                    experts=queries.assignable_experts(mission, assigned_ids), skill=mission.skill
                ),
            )
        if context["can_evaluate_sme"]:
            context.setdefault(
                "sme_form",
                EvaluationForm(
                    prefix="sme",
                    initial={"text": mission.sme_evaluation, "rating": mission.sme_rating},
                ),
            )
        if context["can_evaluate_expert"]:
            context.setdefault(
                "expert_form",
                EvaluationForm(
                    prefix="expert",
                    initial={
                        "text": mission.expert_evaluation,
                        "rating": mission.expert_rating,
                    },
                ),
            )
        return context

    def responds_for(self, mission) -> bool:
        """May the user answer for the mission's firm (its correspondent, the coordination)?"""
        return queries.responds_for(self.request.user, mission)


class MissionWriteMixin:
    """POST-only actions on a mission page; a refusal shows the page again (400) with the
    form's errors."""

    http_method_names = ["post"]

    def get_queryset(self):
        return queries.mission_detail_queryset(self.request.user, self.action)

    def refused(self, mission, **forms_in_error):
        self.object = queries.mission_detail_queryset(self.request.user).get(pk=mission.pk)
        context = self.get_context_data(object=self.object, **forms_in_error)
        return self.render_to_response(context, status=400)

    def done(self, mission, message):
        messages.success(self.request, message)
        return redirect("missions:detail", mission.pk)
