"""API of committees: meetings, agenda items, partner commitments and decisions."""

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from alize.actions import Action
from alize.api.views import ActionPermissionsMixin, ScopedModelViewSet, ScopedReadOnlyViewSet

from .. import services
from ..models import AgendaItem, Committee, Decision, DecisionCorrection, PartnerCommitment
from ..selectors import (
    committee_quorums,
    committee_scorings,
    interest_organisations,
    reply_organisation,
    scoring_criteria,
    scoring_organisations,
)
from .filtersets import (
    AgendaItemAPIFilterSet,
    CommitteeAPIFilterSet,
    DecisionAPIFilterSet,
    PartnerCommitmentAPIFilterSet,
)
from .serializers import (
    AgendaAddSerializer,
    AgendaItemSerializer,
    AttendanceSerializer,
    CommitteeSerializer,
    CommitteeStatusSerializer,
    DecisionCorrectSerializer,
    DecisionRecordSerializer,
    DecisionSerializer,
    DossierQuorumSerializer,
    DossierScoreInputSerializer,
    DossierScoringSerializer,
    InterestDeclarationSerializer,
    InterestDeclareSerializer,
    PartnerCommitmentSerializer,
    PastCommitteeSerializer,
    ReplySerializer,
    RosterSerializer,
)


class CommitteeViewSet(ActionPermissionsMixin, ScopedModelViewSet):
    """Committees of the dispositifs in scope, with their agenda. Scheduling, the status,
    the agenda, the roster and the decisions all go through ``committees.services``;
    committee members declare interests and answer the invitation."""

    write_actions = {
        "interests": Action.DECLARE_INTEREST,
        "reply": Action.REPLY_INVITATION,
        "scores": Action.SCORE_DOSSIER,
    }

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
            committee=serializer.instance, by=self.request.user, **serializer.validated_data
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
        fields = dict(record.validated_data)
        if "participants" in fields:
            fields["participants"] = list(fields["participants"])
        decision = services.committee_record_decision(by=request.user, **fields)
        return Response(DecisionSerializer(decision).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=RosterSerializer, responses=AttendanceSerializer(many=True))
    @action(detail=True, methods=["post"], pagination_class=None, filter_backends=[])
    def attendance(self, request, pk=None):
        """Record the roster of the meeting in one go: each seated organisation present,
        represented (by whom), excused or absent."""
        committee = self.get_object()
        roster = RosterSerializer(data=request.data)
        roster.is_valid(raise_exception=True)
        lines = [services.RosterLine(**line) for line in roster.validated_data["lines"]]
        recorded = services.attendance_record_roster(committee=committee, lines=lines)
        return Response(AttendanceSerializer(recorded, many=True).data)

    @extend_schema(request=None, responses=DossierQuorumSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def quorum(self, request, pk=None):
        """Per dossier, whether the quorum holds once recusals are taken out."""
        committee = self.get_object()
        rows = [
            {
                "item": item_id,
                "holds": quorum.holds,
                "missing": quorum.missing,
                "sitting": [org.pk for org in quorum.sitting],
                "recused": [org.pk for org in quorum.recused],
            }
            for item_id, quorum in committee_quorums(committee).items()
        ]
        return Response(DossierQuorumSerializer(rows, many=True).data)

    @extend_schema(
        request=InterestDeclareSerializer, responses={201: InterestDeclarationSerializer}
    )
    @action(detail=True, methods=["post"])
    def interests(self, request, pk=None):
        """Declare an organisation's interest in a dossier: one's own (a committee member),
        or a seated organisation's on its behalf (the animateur). It is recused."""
        committee = self.get_object()
        allowed = {org.pk for org in interest_organisations(request.user, committee)}
        declared = InterestDeclareSerializer(
            data=request.data, context={"committee": committee, "organisations": allowed}
        )
        declared.is_valid(raise_exception=True)
        declaration = services.interest_declare(by=request.user, **declared.validated_data)
        return Response(
            InterestDeclarationSerializer(declaration).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        request=DossierScoreInputSerializer, responses=DossierScoringSerializer(many=True)
    )
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def scores(self, request, pk=None):
        """The optional scoring grid. GET: per scored dossier, the weighted average, spread
        and number of organisations that scored (empty when the dispositif has no
        criterion). POST: a member organisation scores a dossier (0 to 5 per criterion)
        until the committee is held; a recused organisation is refused. Never a vote."""
        committee = self.get_object()
        if request.method == "POST":
            allowed = {org.pk for org in scoring_organisations(request.user, committee)}
            given = DossierScoreInputSerializer(
                data=request.data, context={"committee": committee, "organisations": allowed}
            )
            given.is_valid(raise_exception=True)
            data = given.validated_data
            services.dossier_score(
                item=data["item"],
                organisation=data["organisation"],
                scores={mark["criterion"]: mark["score"] for mark in data["scores"]},
                by=request.user,
            )
        scorings = (
            committee_scorings(committee)
            if scoring_criteria(committee.dispositif_id, active_only=True).exists()
            else {}
        )
        rows = [
            {
                "item": item_id,
                "average": scoring.average,
                "low": scoring.low,
                "high": scoring.high,
                "organisations": scoring.organisations,
            }
            for item_id, scoring in scorings.items()
        ]
        return Response(DossierScoringSerializer(rows, many=True).data)

    @extend_schema(request=ReplySerializer, responses=ReplySerializer)
    @action(detail=True, methods=["post"])
    def reply(self, request, pk=None):
        """A committee member says whether they will come, with a word for the animateur."""
        committee = self.get_object()
        organisation = reply_organisation(request.user, committee)
        if organisation is None:
            raise PermissionDenied(_("Vous ne siégez pas à ce comité."))
        answer = ReplySerializer(data=request.data)
        answer.is_valid(raise_exception=True)
        reply = services.committee_reply(
            committee=committee,
            user=request.user,
            organisation=organisation,
            **answer.validated_data,
        )
        return Response(ReplySerializer(reply).data)


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
