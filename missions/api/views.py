"""API of missions, hour logs and experts. Viewsets declare queryset, serializer and
filterset; rows come from the missions selectors (row reach: the animateur's dispositif,
the correspondent's firm, the expert's own), and every write goes to a service, whose
refusal names its field (400) or says « forbidden » (403). The lists are served from
plain rows (``RowListMixin``)."""

from __future__ import annotations

from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alize.actions import Action
from alize.api.views import (
    ActionPermissionsMixin,
    RowListMixin,
    ScopedCreateListRetrieveViewSet,
    ScopedViewMixin,
)
from partners import services as expert_services
from partners.models import Expert

from .. import selectors, services
from ..filtersets import ExpertFilterSet, HourLogFilterSet, MissionFilterSet
from ..models import HourLog, HourLogKind, SkillMission
from ..services import HourCell
from .serializers import (
    ExpertSerializer,
    HourAdjustmentSerializer,
    HourLogSerializer,
    HourWeekResultSerializer,
    HourWeekSerializer,
    MissionAcceptSerializer,
    MissionAssignSerializer,
    MissionEvaluationSerializer,
    MissionReasonSerializer,
    MissionSerializer,
    SuggestionQuerySerializer,
    SuggestionSerializer,
    hour_log_row_serializer,
    mission_row_serializer,
)


class MissionViewSet(ActionPermissionsMixin, RowListMixin, ScopedCreateListRetrieveViewSet):
    """Skill missions: the animateur proposes (POST), the firm's correspondent accepts,
    declines and assigns, the animateur starts, completes or cancels; ``suggestions``
    lists the experts to propose for a decision and a skill."""

    queryset = SkillMission.objects.all()
    serializer_class = MissionSerializer
    filterset_class = MissionFilterSet
    ordering_fields = ["starts_on", "status_changed_at"]
    view_action = Action.VIEW_MISSION
    write_actions = {
        "create": Action.MANAGE,
        "accept": Action.RESPOND_MISSION,
        "decline": Action.RESPOND_MISSION,
        "assign": Action.RESPOND_MISSION,
        "start": Action.VIEW_MISSION,
        "evaluate": Action.VIEW_MISSION,
        "complete": Action.MANAGE,
        "cancel": Action.MANAGE,
    }

    def get_queryset(self):
        return selectors.mission_api_queryset(self.request.user, self.view_action)

    def list_rows(self, queryset):
        return selectors.mission_rows(queryset)

    def list_serializer(self, context):
        return mission_row_serializer(context)

    def perform_create(self, serializer):
        mission = services.mission_create(by=self.request.user, **serializer.validated_data)
        serializer.instance = self._reloaded(mission)

    def _reloaded(self, mission):
        return self.get_queryset().get(pk=mission.pk)

    def _answer(self, mission):
        return Response(self.get_serializer(self._reloaded(mission)).data)

    @extend_schema(request=MissionAcceptSerializer, responses=MissionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        """The firm's correspondent accepts the mission, optionally assigning experts."""
        mission = self.get_object()
        data = self._valid(MissionAcceptSerializer, request)
        services.mission_accept(
            mission=mission,
            by=request.user,
            experts=data["experts"],
            confirm_without_skill=data["confirm_without_skill"],
        )
        return self._answer(mission)

    @extend_schema(request=MissionReasonSerializer, responses=MissionSerializer)
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        """The firm's correspondent declines the mission, saying why (10 characters)."""
        mission = self.get_object()
        data = self._valid(MissionReasonSerializer, request)
        services.mission_decline(mission=mission, by=request.user, reason=data["reason"])
        return self._answer(mission)

    @extend_schema(request=MissionAssignSerializer, responses=MissionSerializer)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """The firm's correspondent assigns one of the firm's experts."""
        mission = self.get_object()
        data = self._valid(MissionAssignSerializer, request)
        services.mission_assign_expert(
            mission=mission,
            expert=data["expert"],
            by=request.user,
            confirm_without_skill=data["confirm_without_skill"],
        )
        return self._answer(mission)

    @extend_schema(request=None, responses=MissionSerializer)
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        """An accepted mission with an expert starts."""
        mission = self.get_object()
        services.mission_start(mission=mission, by=request.user)
        return self._answer(mission)

    @extend_schema(request=MissionEvaluationSerializer, responses=MissionSerializer)
    @action(detail=True, methods=["post"])
    def evaluate(self, request, pk=None):
        """The SME's evaluation (by the animateur) or the expert's (by the expert)."""
        mission = self.get_object()
        data = self._valid(MissionEvaluationSerializer, request)
        services.mission_record_evaluation(mission=mission, by=request.user, **data)
        return self._answer(mission)

    @extend_schema(request=None, responses=MissionSerializer)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """The animateur completes the mission once both evaluations are given."""
        mission = self.get_object()
        services.mission_complete(mission=mission, by=request.user)
        return self._answer(mission)

    @extend_schema(request=MissionReasonSerializer, responses=MissionSerializer)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """The animateur cancels the mission, saying why."""
        mission = self.get_object()
        data = self._valid(MissionReasonSerializer, request)
        services.mission_cancel(mission=mission, by=request.user, reason=data["reason"])
        return self._answer(mission)

    @extend_schema(
        parameters=[SuggestionQuerySerializer], responses=SuggestionSerializer(many=True)
    )
    @action(detail=False, methods=["get"], pagination_class=None, filterset_class=None)
    def suggestions(self, request):
        """Experts to propose for a decision's mission of a skill, best match first, firms
        under their yearly pledge first, with each firm's year (the fatigue indicator)."""
        query = SuggestionQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        decision = query.validated_data["decision"]
        suggestions = selectors.mission_suggestions(
            user=request.user,
            dispositif_id=decision.dispositif_id,
            skill=query.validated_data["skill"],
            project=decision.item.project,
        )
        return Response(SuggestionSerializer(suggestions, many=True).data)

    @staticmethod
    def _valid(serializer_class, request) -> dict:
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class HourLogViewSet(
    ActionPermissionsMixin,
    RowListMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    ScopedCreateListRetrieveViewSet,
):
    """Hour logs: the expert writes their own entries (POST one cell, ``week`` many,
    PATCH, DELETE while the month is open); ``adjust`` adds a signed correction (the
    animateur, or the expert on their own mission), also in a closed month."""

    queryset = HourLog.objects.all()
    serializer_class = HourLogSerializer
    filterset_class = HourLogFilterSet
    ordering_fields = ["date"]
    view_action = Action.VIEW_MISSION
    write_actions = {
        "create": Action.LOG_HOURS,
        "week": Action.LOG_HOURS,
        "update": Action.LOG_HOURS,
        "partial_update": Action.LOG_HOURS,
        "destroy": Action.LOG_HOURS,
        "adjust": Action.VIEW_MISSION,
    }

    def get_queryset(self):
        return selectors.hour_log_queryset(self.request.user).select_related("dispositif")

    def list_rows(self, queryset):
        return selectors.hour_log_rows(queryset)

    def list_serializer(self, context):
        return hour_log_row_serializer(context)

    def _expert(self) -> Expert:
        expert = selectors.expert_of(self.request.user)
        if expert is None:
            raise serializers.ValidationError({"expert": [_("Aucun profil d'expert.")]})
        return expert

    def perform_create(self, serializer):
        data = serializer.validated_data
        # Another firm's (or another expert's) mission is not found, as when reading it.
        if not selectors.mission_queryset(self.request.user).filter(pk=data["mission"].pk).exists():
            raise Http404
        serializer.instance = services.hour_log_save(
            mission=data["mission"],
            expert=self._expert(),
            date=data["date"],
            hours=data["hours"],
            note=data.get("note", ""),
            by=self.request.user,
            zero_removes=False,
        )

    def perform_update(self, serializer):
        log = serializer.instance
        data = serializer.validated_data
        if log.kind != HourLogKind.ENTRY:
            raise serializers.ValidationError(
                {"kind": [_("Une régularisation ne se modifie pas : ajoutez-en une autre.")]}
            )
        serializer.instance = services.hour_log_save(
            mission=log.mission,
            expert=log.expert,
            date=log.date,
            hours=data.get("hours", log.hours),
            note=data.get("note", log.note),
            by=self.request.user,
            zero_removes=False,
        )

    def perform_destroy(self, instance):
        services.hour_log_delete(log=instance, by=self.request.user)

    @extend_schema(request=HourWeekSerializer, responses=HourWeekResultSerializer)
    @action(detail=False, methods=["post"])
    def week(self, request):
        """Save many cells of the week grid: valid cells are saved, refused ones come back
        in ``errors`` with a message naming the day and the mission."""
        payload = HourWeekSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        cells = [
            HourCell(cell["mission"], cell["date"], cell["hours"], cell["note"])
            for cell in payload.validated_data["cells"]
        ]
        with transaction.atomic():
            result = services.hours_save_week(expert=self._expert(), cells=cells, by=request.user)
        body = {
            "saved": HourLogSerializer(
                [entry for _cell, entry in result.saved if entry is not None],
                many=True,
                context=self.get_serializer_context(),
            ).data,
            "removed": [
                {"mission": cell.mission_id, "date": cell.date.isoformat()}
                for cell, entry in result.saved
                if entry is None
            ],
            "errors": [
                {
                    "mission": error.mission_id,
                    "date": error.date.isoformat(),
                    "field": error.field,
                    "message": error.message,
                }
                for error in result.errors
            ],
        }
        return Response(body, status=status.HTTP_200_OK)

    @extend_schema(request=HourAdjustmentSerializer, responses=HourLogSerializer)
    @action(detail=False, methods=["post"])
    def adjust(self, request):
        """A visible correction with signed hours and a reason (10 characters)."""
        payload = HourAdjustmentSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        data = payload.validated_data
        if not selectors.mission_queryset(request.user).filter(pk=data["mission"].pk).exists():
            raise Http404
        adjustment = services.hour_adjustment_create(by=request.user, **data)
        return Response(
            HourLogSerializer(adjustment, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED,
        )


class ExpertViewSet(
    ActionPermissionsMixin,
    ScopedViewMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Experts (global rows): read by the firm's correspondent (its firm's), the animateur
    (firms seated in its dispositif, and experts available to other dispositifs), the
    coordination (all) and the expert themself; written by the firm's correspondent and
    the coordination, who also ``invite`` an expert to an account. E-mail and phone only
    reach those who manage the expert and the expert themself."""

    queryset = Expert.objects.all()
    serializer_class = ExpertSerializer
    filterset_class = ExpertFilterSet
    ordering_fields = ["last_name"]
    view_action = Action.VIEW_MISSION
    write_actions = {
        "create": Action.RESPOND_MISSION,
        "update": Action.RESPOND_MISSION,
        "partial_update": Action.RESPOND_MISSION,
        "invite": Action.RESPOND_MISSION,
    }

    def get_queryset(self):
        return (
            selectors.expert_queryset(self.request.user)
            .select_related("organisation")
            .prefetch_related("skills")
        )

    def _check_manages(self, expert=None, organisation=None) -> None:
        firms = selectors.managed_firm_ids(self.request.user)
        firm_id = organisation.pk if organisation is not None else expert.organisation_id
        if firms is not None and firm_id not in firms:
            if organisation is not None:
                raise serializers.ValidationError(
                    {"organisation": [_("Vous ne gérez pas les experts de cette entreprise.")]}
                )
            raise services.MissionAccessError(_("Vous ne gérez pas cet expert."))

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        self._check_manages(organisation=data["organisation"])
        serializer.instance = expert_services.expert_create(**data)

    def perform_update(self, serializer):
        self._check_manages(expert=serializer.instance)
        data = dict(serializer.validated_data)
        data.pop("organisation", None)
        serializer.instance = expert_services.expert_update(
            expert=serializer.instance, skills=data.pop("skills", None), **data
        )

    @extend_schema(request=None, responses=ExpertSerializer)
    @action(detail=True, methods=["post"])
    def invite(self, request, pk=None):
        """Give the expert an account and mail a link to choose a password."""
        expert = self.get_object()
        self._check_manages(expert=expert)
        expert_services.expert_invite(expert=expert)
        return Response(self.get_serializer(self.get_queryset().get(pk=expert.pk)).data)
