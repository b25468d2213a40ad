"""API of committees: meetings, agenda items, partner commitments and decisions."""

from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from alize.actions import Action
from alize.api.views import ScopedModelViewSet, ScopedReadOnlyViewSet

from .. import services
from ..models import AgendaItem, Committee, Decision, DecisionCorrection, PartnerCommitment
from .filtersets import (
    AgendaItemAPIFilterSet,
    CommitteeAPIFilterSet,
    DecisionAPIFilterSet,
    PartnerCommitmentAPIFilterSet,
)
from .serializers import (
    AgendaAddSerializer,
    AgendaItemSerializer,
    CommitteeSerializer,
    CommitteeStatusSerializer,
    DecisionCorrectSerializer,
    DecisionRecordSerializer,
    DecisionSerializer,
    PartnerCommitmentSerializer,
    PastCommitteeSerializer,
)


class CommitteeViewSet(ScopedModelViewSet):
    """Committees of the dispositifs in scope, with their agenda. Scheduling, the status,
    the agenda and the decisions all go through ``committees.services``."""

    queryset = Committee.objects.select_related("dispositif", "host").prefetch_related(
        Prefetch(
            "items",
            queryset=AgendaItem.objects.select_related("project__company", "decision").order_by(
                "order", "id"
            ),
        )
    )
    serializer_class = CommitteeSerializer
    filterset_class = CommitteeAPIFilterSet
    ordering_fields = ["date"]
    view_action = Action.VIEW_COMMITTEE

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        minutes = fields.pop("minutes", "")
        committee = services.committee_schedule(**fields)
        if minutes:
            committee = services.committee_update(committee=committee, minutes=minutes)
        serializer.instance = committee

    def perform_update(self, serializer):
        serializer.instance = services.committee_update(
            committee=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.committee_delete(committee=instance)

    def _fresh(self, committee):
        return self.get_serializer(self.get_queryset().get(pk=committee.pk)).data

    @extend_schema(request=PastCommitteeSerializer, responses={201: CommitteeSerializer})
    @action(detail=False, methods=["post"], url_path="record-past", url_name="record-past")
    def record_past(self, request):
        """Record, for history, a committee already held, with the projects it examined; it
        is created « held » and its decisions are then recorded with ``decisions``."""
        record = PastCommitteeSerializer(data=request.data, context=self.get_serializer_context())
        record.is_valid(raise_exception=True)
        committee = services.committee_record_past(by=request.user, **record.validated_data)
        return Response(self._fresh(committee), status=status.HTTP_201_CREATED)

    @extend_schema(request=CommitteeStatusSerializer, responses=CommitteeSerializer)
    @action(detail=True, methods=["post"], url_path="status", url_name="status")
    def change_status(self, request, pk=None):
        """Move the committee to its next status (agenda sent, held, minutes sent)."""
        committee = self.get_object()
        change = CommitteeStatusSerializer(data=request.data)
        change.is_valid(raise_exception=True)
        services.committee_set_status(committee=committee, by=request.user, **change.validated_data)
        return Response(self._fresh(committee))

    @extend_schema(request=AgendaAddSerializer, responses={201: AgendaItemSerializer})
    @action(detail=True, methods=["post"])
    def agenda(self, request, pk=None):
        """Put a project in instruction (or deferred) at the end of the agenda."""
        committee = self.get_object()
        entry = AgendaAddSerializer(data=request.data)
        entry.is_valid(raise_exception=True)
        item = services.agenda_add_project(
            committee=committee, by=request.user, **entry.validated_data
        )
        return Response(AgendaItemSerializer(item).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=DecisionRecordSerializer, responses={201: DecisionSerializer})
    @action(detail=True, methods=["post"])
    def decisions(self, request, pk=None):
        """Record the decision on one dossier; the project's stage moves with it."""
        committee = self.get_object()
        record = DecisionRecordSerializer(data=request.data, context={"committee": committee})
        record.is_valid(raise_exception=True)
        decision = services.committee_record_decision(by=request.user, **record.validated_data)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)


class AgendaItemViewSet(ScopedReadOnlyViewSet):
    """Dossiers presented at committees, with their outcome (read-only)."""

    queryset = AgendaItem.objects.select_related(
        "dispositif", "committee", "project__company", "decision"
    )
    serializer_class = AgendaItemSerializer
    filterset_class = AgendaItemAPIFilterSet
    ordering_fields = ["order"]
    view_action = Action.VIEW_COMMITTEE


class PartnerCommitmentViewSet(ScopedReadOnlyViewSet):
    """Tools partners activated for dossiers, in tour de table order: per dossier, other
    partners first, large firms last, each in the order they were recorded (read-only)."""

    queryset = PartnerCommitment.objects.select_related("dispositif", "item", "organisation")
    serializer_class = PartnerCommitmentSerializer
    filterset_class = PartnerCommitmentAPIFilterSet
    ordering = ["item_id", "firm_last", "position", "id"]
    ordering_fields = ["position"]
    view_action = Action.VIEW_COMMITTEE


class DecisionViewSet(ScopedReadOnlyViewSet):
    """Committee decisions with missions and advances granted (read-only; recorded through
    the committee's ``decisions`` action)."""

    queryset = Decision.objects.select_related(
        "dispositif", "item__committee", "item__project"
    ).prefetch_related(
        Prefetch("corrections", queryset=DecisionCorrection.objects.order_by("corrected_at", "id"))
    )
    serializer_class = DecisionSerializer
    filterset_class = DecisionAPIFilterSet
    ordering_fields = ["decided_at"]
    view_action = Action.VIEW_COMMITTEE

    @extend_schema(request=DecisionCorrectSerializer, responses=DecisionSerializer)
    @action(detail=True, methods=["post"])
    def correct(self, request, pk=None):
        """Correct the decision, with a reason: the correction is kept as a visible entry and
        the project's stage and dates follow."""
        decision = self.get_object()
        correction = DecisionCorrectSerializer(data=request.data)
        correction.is_valid(raise_exception=True)
        services.committee_correct_decision(
            decision=decision, by=request.user, **correction.validated_data
        )
        return Response(self.get_serializer(self.get_queryset().get(pk=decision.pk)).data)
