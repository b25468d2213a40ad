"""The moves of a mission on its page: the firm's answer, its experts, start, completion
or cancellation, and the evaluations."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.urls import reverse
from django.utils.translation import gettext as _

from alize.actions import Action
from alize.web import ServiceCall, confirmation_page, is_confirmed, require

from .. import queries, services
from ..forms import AssignForm, DeclineForm, EvaluationForm, MoveForm
from ..models import MissionStatus
from .detail import MissionDetailView, MissionWriteMixin


class MissionAnswerView(MissionWriteMixin, MissionDetailView):
    """The firm's correspondent accepts the mission, or declines it with a reason."""

    action = Action.RESPOND_MISSION

    def post(self, request, *args, **kwargs):
        self.object = mission = self.get_object()
        if request.POST.get("answer") == "accept":
            with ServiceCall() as call:
                services.mission_accept(mission=mission, by=request.user)
            if call.refused:
                messages.error(request, call.message)
                return self.refused(mission)
            return self.done(mission, _("Mission acceptée : affectez-y vos experts."))
        form = DeclineForm(request.POST)
        if form.is_valid():
            with ServiceCall(form) as call:
                services.mission_decline(
                    mission=mission, reason=form.cleaned_data["reason"], by=request.user
                )
            if not call.refused:
                return self.done(mission, _("Mission déclinée ; l'animateur est prévenu."))
        return self.refused(mission, decline_form=form)


class MissionAssignView(MissionWriteMixin, MissionDetailView):
    """The correspondent puts experts of the firm on the mission; an expert without the
    mission's skill is assigned once the correspondent confirms it on a page that says so
    (plain HTML, like every confirmation)."""

    action = Action.RESPOND_MISSION

    def post(self, request, *args, **kwargs):
        self.object = mission = self.get_object()
        assigned = {a.expert_id for a in queries.mission_assignments(mission)}
        form = AssignForm(
            request.POST, experts=queries.assignable_experts(mission, assigned), skill=mission.skill
        )
        if form.is_valid():
            chosen = form.cleaned_data["experts"]
            without = [expert for expert in chosen if not expert.has_skill]
            if without and not is_confirmed(request):
                return confirmation_page(
                    request,
                    title=_("Affecter un expert sans la compétence de la mission ?"),
                    consequences=[
                        _("%(expert)s n'a pas la compétence « %(skill)s » de la mission.")
                        % {"expert": expert.full_name, "skill": mission.skill.name}
                        for expert in without
                    ],
                    action_url=reverse("missions:assign", args=[mission.pk]),
                    back_url=reverse("missions:detail", args=[mission.pk]),
                )
            with ServiceCall(form) as call, transaction.atomic():
                for expert in chosen:
                    services.mission_assign_expert(
                        mission=mission,
                        expert=expert,
                        by=request.user,
                        confirm_without_skill=is_confirmed(request),
                    )
            if not call.refused:
                return self.done(mission, _("Experts affectés."))
        return self.refused(mission, assign_form=form)


class MissionMoveView(MissionWriteMixin, MissionDetailView):
    """Start the mission (the animateur or the firm's correspondent), complete it once both
    evaluations are in, or cancel it with a reason (the animateur)."""

    action = Action.VIEW_MISSION

    def post(self, request, *args, **kwargs):
        self.object = mission = self.get_object()
        form = MoveForm(request.POST)
        if form.is_valid():
            to_status = form.cleaned_data["to_status"]
            with ServiceCall(form) as call:
                if to_status == MissionStatus.IN_PROGRESS:
                    services.mission_start(mission=mission, by=request.user)
                elif to_status == MissionStatus.COMPLETED:
                    services.mission_complete(mission=mission, by=request.user)
                else:
                    services.mission_cancel(
                        mission=mission, reason=form.cleaned_data["reason"], by=request.user
                    )
            if isinstance(call.error, services.MissionAccessError):
                raise Http404
            if not call.refused:
                return self.done(
                    mission,
                    _("La mission passe au statut « %(status)s ».")
                    % {"status": MissionStatus(to_status).label},
                )
        return self.refused(mission, move_form=form)


class MissionEvaluationView(MissionWriteMixin, MissionDetailView):
    """The evaluation at completion: the SME's (entered by the animateur) or the expert's."""

    action = Action.VIEW_MISSION

    def post(self, request, *args, **kwargs):
        self.object = mission = self.get_object()
        side = request.POST.get("side")
        require(side in ("sme", "expert"))
        form = EvaluationForm(request.POST, prefix=side)
        if form.is_valid():
            with ServiceCall(form) as call:
                services.mission_record_evaluation(
                    mission=mission,
                    party=side,
                    text=form.cleaned_data["text"],
                    rating=form.cleaned_data["rating"],
                    by=request.user,
                )
            if isinstance(call.error, services.MissionAccessError):
                raise Http404
            if not call.refused:
                return self.done(mission, _("Évaluation enregistrée."))
        return self.refused(mission, **{f"{side}_form": form})
