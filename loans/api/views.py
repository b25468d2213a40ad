"""API viewsets of the loans app. They declare queryset, serializer and filterset and the
actions of the access policy (reads: ``VIEW_ADVANCE``; writes: ``MANAGE_ADVANCE``,
``RECORD_REPAYMENT`` for repayments and SEPA mandates, ``APPROVE_WRITE_OFF`` to approve a
write-off); every write is delegated to ``loans.services`` (refusals answer 400 naming the
field, 409 for a reused idempotency key). Repayments need an ``Idempotency-Key`` header;
contributions and co-financing take one if given (``alize.idempotency``)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from alize.actions import Action
from alize.api.views import RowListMixin, ScopedModelViewSet, ScopedViewMixin
from alize.errors import ApplicationError
from alize.tenancy import may

from .. import selectors, services
from ..models import (
    Advance,
    Cofinancing,
    DirectDebitMandate,
    Fund,
    Repayment,
    WriteOff,
    WriteOffStatus,
)
from .filtersets import (
    AdvanceAPIFilterSet,
    CofinancingAPIFilterSet,
    FundAPIFilterSet,
    MandateAPIFilterSet,
    RepaymentAPIFilterSet,
)
from .serializers import (
    AdvanceDetailSerializer,
    AdvanceSerializer,
    CofinancingSerializer,
    ContractSerializer,
    ContributionSerializer,
    DisburseSerializer,
    FundSerializer,
    InstalmentSerializer,
    LedgerLineSerializer,
    LeverageSerializer,
    MandateRevokeSerializer,
    MandateSerializer,
    ProvisionRatesSerializer,
    RepaymentSerializer,
    RescheduleSerializer,
    ReversalSerializer,
    WriteOffProposalSerializer,
    advance_row_serializer,
)

IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=True,
    description="Chosen by the client, unique per repayment: a replay with the same key "
    "and payload returns the first result; another payload answers 409.",
)
OPTIONAL_IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    required=False,
    description="Optional, chosen by the client: a replay with the same key and payload "
    "returns the first result; another payload answers 409.",
)


def idempotency_key(request) -> str:
    """The request's ``Idempotency-Key`` header, or "" when it has none."""
    return request.headers.get("Idempotency-Key", "").strip()


class FundViewSet(
    ScopedViewMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Funds of the dispositifs in scope with their balances (sums of the ledger); their
    contributions under ``contributions``. A fund is never deleted: its ledger stays. The
    list reads the balances of a whole page in one query."""

    queryset = Fund.objects.select_related("dispositif")
    serializer_class = FundSerializer
    filterset_class = FundAPIFilterSet
    ordering_fields = ["name", "created_at"]
    view_action = Action.VIEW_ADVANCE
    manage_action = Action.MANAGE_ADVANCE

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        balances = selectors.fund_balances_of(page)
        for fund in page:
            fund.balances = balances[fund.pk]
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def perform_create(self, serializer):
        serializer.instance = services.fund_create(**serializer.validated_data)

    def perform_update(self, serializer):
        """A new name, and the collection account (the three fields together)."""
        data, fund = serializer.validated_data, serializer.instance
        if "name" in data:
            fund = services.fund_rename(fund=fund, name=data["name"])
        account = {name: data[name] for name in services.COLLECTION_ACCOUNT_FIELDS if name in data}
        if account:
            current = {name: getattr(fund, name) for name in services.COLLECTION_ACCOUNT_FIELDS}
            fund = services.fund_set_collection_account(fund=fund, **(current | account))
        serializer.instance = fund

    @extend_schema(
        request=ContributionSerializer,
        responses={200: ContributionSerializer(many=True), 201: ContributionSerializer},
    )
    @extend_schema(methods=["POST"], parameters=[OPTIONAL_IDEMPOTENCY_HEADER])
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def contributions(self, request, pk=None):
        """GET: the fund's contributions (first in, first out) and where their money is.
        POST: record a contribution (posted to the ledger), once per ``Idempotency-Key``
        when one is given."""
        fund = self.get_object()
        if request.method == "POST":
            given = ContributionSerializer(data=request.data, context=self.get_serializer_context())
            given.is_valid(raise_exception=True)
            data, key = given.validated_data, idempotency_key(request)
            if key:
                contribution, _created = services.contribution_record_once(
                    fund=fund, submission_key=key, by=request.user, **data
                )
            else:
                contribution = services.contribution_record(fund=fund, by=request.user, **data)
            row = next(
                r for r in selectors.fund_contributions(fund) if r["contribution"] == contribution
            )
            return Response(self._contribution(row), status=status.HTTP_201_CREATED)
        rows = selectors.fund_contributions(fund)
        return Response([self._contribution(row) for row in rows])

    @extend_schema(request=ProvisionRatesSerializer, responses=ProvisionRatesSerializer)
    @action(
        detail=True,
        methods=["get", "put"],
        url_path="provision-rates",
        pagination_class=None,
        filter_backends=[],
    )
    def provision_rates(self, request, pk=None):
        """GET: the fund's provisioning rates by days past due (the defaults until it sets
        its own). PUT: replace them, checked whole by the service (errors by row field,
        ``rates-<row>-rate``); the next daily job provisions at them."""
        fund = self.get_object()
        if request.method == "PUT":
            given = ProvisionRatesSerializer(data=request.data)
            given.is_valid(raise_exception=True)
            rows = [
                (row["min_days_past_due"], row["rate"]) for row in given.validated_data["rates"]
            ]
            services.provision_rates_set(fund=fund, rates=rows)
        return Response(ProvisionRatesSerializer(selectors.fund_provision_rates(fund)).data)

    @staticmethod
    def _contribution(row: dict) -> dict:
        contribution = row["contribution"]
        for name in ("available", "lent", "repaid", "lost", "outstanding"):
            setattr(contribution, name, row[name])
        return ContributionSerializer(contribution).data


class AdvanceViewSet(
    RowListMixin,
    ScopedViewMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Advances of the dispositifs in scope. Created from an approved decision; the terms
    change until disbursement (PATCH/PUT); the lifecycle moves through the actions; the
    schedule and the ledger lines are read under ``schedule`` and ``ledger``. The list is
    served from plain rows (``selectors.advance_rows``)."""

    queryset = Advance.objects.select_related("dispositif", "fund", "project__company")
    serializer_class = AdvanceSerializer
    filterset_class = AdvanceAPIFilterSet
    ordering_fields = ["created_at", "amount", "days_past_due", "disbursed_on"]
    view_action = Action.VIEW_ADVANCE
    manage_action = Action.MANAGE_ADVANCE

    def get_serializer_class(self):
        if self.action == "retrieve":
            return AdvanceDetailSerializer
        return super().get_serializer_class()

    def list_rows(self, queryset):
        return selectors.advance_rows(queryset)

    def list_serializer(self, context):
        return advance_row_serializer(context)

    def perform_create(self, serializer):
        data = dict(serializer.validated_data)
        serializer.instance = services.advance_create(by=self.request.user, **data)

    def perform_update(self, serializer):
        terms = {
            name: value
            for name, value in serializer.validated_data.items()
            if name in services.ADVANCE_TERMS
        }
        serializer.instance = services.advance_update_terms(advance=serializer.instance, **terms)

    def _detail(self, advance, code=status.HTTP_200_OK):
        serializer = AdvanceDetailSerializer(advance, context=self.get_serializer_context())
        return Response(serializer.data, status=code)

    def _move(self, request, input_serializer, service, **extra):
        advance = self.get_object()
        given = input_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        service(advance=advance, by=request.user, **given.validated_data, **extra)
        return self._detail(advance)

    @extend_schema(request=ContractSerializer, responses=AdvanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def contract(self, request, pk=None):
        """The contract is signed: approved → contracted."""
        return self._move(request, ContractSerializer, services.advance_contract)

    @extend_schema(request=DisburseSerializer, responses=AdvanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def disburse(self, request, pk=None):
        """Pay the advance out of its fund (contracted → disbursed); writes the schedule."""
        return self._move(request, DisburseSerializer, services.advance_disburse)

    @extend_schema(request=RescheduleSerializer, responses=AdvanceDetailSerializer)
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        """Replace the unpaid part of the schedule (the old instalments are kept)."""
        return self._move(request, RescheduleSerializer, services.advance_reschedule)

    @extend_schema(request=WriteOffProposalSerializer, responses=AdvanceDetailSerializer)
    @action(detail=True, methods=["post"], url_path="write-off")
    def propose_write_off(self, request, pk=None):
        """Propose to write the advance off, with a reason; another person approves it."""
        return self._move(request, WriteOffProposalSerializer, services.write_off_propose)

    def _proposed_write_off(self, advance) -> WriteOff:
        proposal = selectors.advance_write_offs(advance).filter(status=WriteOffStatus.PROPOSED)
        proposal = proposal.first()
        if proposal is None:
            raise ApplicationError(
                _("Aucun passage en perte n'est proposé pour cette avance."), field="advance"
            )
        return proposal

    @extend_schema(request=None, responses=AdvanceDetailSerializer)
    @action(detail=True, methods=["post"], url_path="write-off/approve")
    def approve_write_off(self, request, pk=None):
        """Approve the proposed write-off (never its proposer): the loss is posted."""
        advance = self.get_object()
        if not may(request.user, Action.APPROVE_WRITE_OFF, advance.dispositif_id):
            raise Http404
        services.write_off_approve(write_off=self._proposed_write_off(advance), by=request.user)
        advance.refresh_from_db()
        return self._detail(advance)

    @extend_schema(request=None, responses=AdvanceDetailSerializer)
    @action(detail=True, methods=["post"], url_path="write-off/reject")
    def reject_write_off(self, request, pk=None):
        """Turn the proposed write-off down (or withdraw one's own proposal)."""
        advance = self.get_object()
        services.write_off_reject(write_off=self._proposed_write_off(advance), by=request.user)
        return self._detail(advance)

    @extend_schema(responses=InstalmentSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def schedule(self, request, pk=None):
        """The schedule: current instalments, then those replaced by a reschedule."""
        schedule = selectors.advance_schedule(self.get_object())
        rows = schedule["live"] + schedule["superseded"]
        return Response(InstalmentSerializer(rows, many=True).data)

    @extend_schema(responses=LedgerLineSerializer(many=True))
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def ledger(self, request, pk=None):
        """Every ledger line of the advance, in posting order."""
        lines = selectors.advance_ledger_lines(self.get_object())
        return Response(LedgerLineSerializer(lines, many=True).data)


class RepaymentViewSet(
    ScopedViewMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Repayments of the advances in scope. POST needs an ``Idempotency-Key`` header;
    a repayment is never changed or deleted, only reversed (``reverse``)."""

    queryset = Repayment.objects.select_related("dispositif", "reversal__by", "recorded_by")
    serializer_class = RepaymentSerializer
    filterset_class = RepaymentAPIFilterSet
    ordering_fields = ["received_on", "recorded_at"]
    view_action = Action.VIEW_ADVANCE
    manage_action = Action.RECORD_REPAYMENT

    @extend_schema(parameters=[IDEMPOTENCY_HEADER])
    def create(self, request, *args, **kwargs):
        key = idempotency_key(request)
        if not key:
            raise ApplicationError(
                _("L'en-tête Idempotency-Key est requis pour enregistrer un remboursement."),
                field="idempotency_key",
            )
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        repayment, _created = services.repayment_record(
            advance=data["advance"],
            amount=data["amount"],
            received_on=data["received_on"],
            idempotency_key=key,
            by=request.user,
        )
        body = self.get_serializer(Repayment.objects.get(pk=repayment.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=ReversalSerializer, responses=RepaymentSerializer)
    @action(detail=True, methods=["post"])
    def reverse(self, request, pk=None):
        """Undo a repayment recorded by mistake, by a counter-entry in the ledger."""
        repayment = self.get_object()
        given = ReversalSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.repayment_reverse(repayment=repayment, by=request.user, **given.validated_data)
        return Response(self.get_serializer(Repayment.objects.get(pk=repayment.pk)).data)


class MandateViewSet(
    ScopedViewMixin,
    mixins.CreateModelMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """SEPA mandates of the advances in scope. Recorded (POST) and revoked (``revoke``)
    by those who record repayments, through the services of the web form; never changed
    nor deleted."""

    queryset = DirectDebitMandate.objects.select_related("dispositif", "created_by")
    serializer_class = MandateSerializer
    filterset_class = MandateAPIFilterSet
    ordering_fields = ["signed_on", "created_at"]
    view_action = Action.VIEW_ADVANCE
    manage_action = Action.RECORD_REPAYMENT

    def perform_create(self, serializer):
        data = serializer.validated_data
        serializer.instance = services.mandate_create(
            advance=data["advance"],
            debtor_name=data.get("debtor_name", ""),
            iban=data.get("iban", ""),
            bic=data.get("bic", ""),
            signed_on=data.get("signed_on"),
            kind=data["kind"],
            by=self.request.user,
        )

    @extend_schema(request=MandateRevokeSerializer, responses=MandateSerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        """Revoke the mandate, with a reason; no new debit is drawn under it."""
        mandate = self.get_object()
        given = MandateRevokeSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        services.mandate_revoke(mandate=mandate, by=request.user, **given.validated_data)
        return Response(self.get_serializer(self.get_queryset().get(pk=mandate.pk)).data)


@extend_schema_view(create=extend_schema(parameters=[OPTIONAL_IDEMPOTENCY_HEADER]))
class CofinancingViewSet(ScopedModelViewSet):
    """Co-financing of the projects in scope (bank loans, equity, grants); ``leverage``
    gives co-financing ÷ advances per dispositif and nationally. A POST with an
    ``Idempotency-Key`` records once per key."""

    queryset = Cofinancing.objects.select_related("dispositif", "project")
    serializer_class = CofinancingSerializer
    filterset_class = CofinancingAPIFilterSet
    ordering_fields = ["evidence_on", "amount"]
    view_action = Action.VIEW_ADVANCE
    manage_action = Action.MANAGE_ADVANCE

    def perform_create(self, serializer):
        data, key = serializer.validated_data, idempotency_key(self.request)
        if key:
            serializer.instance, _created = services.cofinancing_create_once(
                submission_key=key, by=self.request.user, **data
            )
        else:
            serializer.instance = services.cofinancing_create(by=self.request.user, **data)

    def perform_update(self, serializer):
        serializer.instance = services.cofinancing_update(
            cofinancing=serializer.instance, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.cofinancing_delete(cofinancing=instance)

    @extend_schema(responses=LeverageSerializer(many=True))
    @action(detail=False, methods=["get"], pagination_class=None, filter_backends=[])
    def leverage(self, request):
        """Leverage ratio per dispositif the caller reads, the national figure last."""
        return Response(
            LeverageSerializer(selectors.leverage_by_dispositif(request.user), many=True).data
        )
