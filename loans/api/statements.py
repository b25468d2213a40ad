"""API of the bank statements: statements (import by multipart upload, list, read, confirm
every high-confidence proposal), their lines (list with filters, read, confirm, dismiss) and
the funds' CSV columns. Everything needs ``RECORD_REPAYMENT`` (lines carry payers' names);
every write goes through ``loans.services.statements``, the web's services."""

from __future__ import annotations

import django_filters
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from alize.actions import Action
from alize.api.serializers import Serializer
from alize.api.views import ScopedViewMixin
from alize.errors import ApplicationError
from alize.filters import TenantAPIFilterSet

from .. import services, statement_runner
from ..models import (
    Advance,
    BankStatement,
    BankStatementLine,
    Confidence,
    Direction,
    Fund,
    LineState,
    MatchRule,
    StatementColumnMapping,
    StatementFormat,
)
from ..services.statements import MAPPING_FIELDS

ACTION = Action.RECORD_REPAYMENT


class BankStatementSerializer(serializers.ModelSerializer):
    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = BankStatement
        fields = [
            "id",
            "dispositif",
            "fund",
            "source_format",
            "file_name",
            "file_sha256",
            "account_iban",
            "period_start",
            "period_end",
            "line_count",
            "new_line_count",
            "imported_at",
            "confirm_run",
            "confirm_status",
            "confirm_total",
            "confirm_done",
            "confirm_refused",
            "confirm_error",
        ]
        read_only_fields = fields


class BankStatementLineSerializer(serializers.ModelSerializer):
    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    advance_reference = serializers.SerializerMethodField()
    # Blank until a line is matched: the schema says so (a read-only field loses the
    # model's blank otherwise).
    rule = serializers.ChoiceField(choices=MatchRule.choices, allow_blank=True, read_only=True)
    confidence = serializers.ChoiceField(
        choices=Confidence.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = BankStatementLine
        fields = [
            "id",
            "dispositif",
            "statement",
            "fund",
            "position",
            "transaction_id",
            "transaction_id_derived",
            "booking_date",
            "amount",
            "direction",
            "reversal",
            "counterparty_name",
            "remittance_text",
            "end_to_end_id",
            "mandate_id",
            "return_reason",
            "state",
            "advance",
            "advance_reference",
            "instalment",
            "rule",
            "confidence",
            "dismissal_reason",
            "repayment",
            "duplicate_of",
            "decided_at",
        ]
        read_only_fields = fields

    def get_advance_reference(self, line) -> str:
        return f"AV-{line.advance_id:06d}" if line.advance_id else ""


class StatementImportSerializer(Serializer):
    fund = serializers.IntegerField()
    source_format = serializers.ChoiceField(choices=StatementFormat.choices)
    file = serializers.FileField()


class LineConfirmSerializer(Serializer):
    advance = serializers.IntegerField(required=False, allow_null=True)


class LineDismissSerializer(Serializer):
    reason = serializers.CharField()


class ColumnMappingSerializer(serializers.ModelSerializer):
    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    fund = serializers.IntegerField(source="fund_id")

    class Meta:
        model = StatementColumnMapping
        fields = ["id", "dispositif", "fund", *MAPPING_FIELDS, "updated_at"]
        read_only_fields = ["updated_at"]
        validators = []


class BankStatementAPIFilterSet(TenantAPIFilterSet):
    class Meta:
        model = BankStatement
        fields = ["dispositif", "fund", "source_format"]


class BankStatementLineAPIFilterSet(TenantAPIFilterSet):
    state = django_filters.MultipleChoiceFilter(choices=LineState.choices, distinct=False)
    direction = django_filters.ChoiceFilter(choices=Direction.choices)
    booked_from = django_filters.DateFilter(field_name="booking_date", lookup_expr="gte")
    booked_to = django_filters.DateFilter(field_name="booking_date", lookup_expr="lte")

    class Meta:
        model = BankStatementLine
        fields = ["dispositif", "fund", "statement", "state", "direction", "confidence"]


def _fund_of(request, pk) -> Fund:
    """A fund the caller records repayments of; another one is a 400 naming ``fund``."""
    fund = Fund.objects.for_user(request.user, ACTION).filter(pk=pk).first()
    if fund is None:
        raise ApplicationError(_("Fonds inconnu."), field="fund")
    return fund


class BankStatementViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Statements of the funds in scope. POST (multipart: ``fund``, ``source_format``,
    ``file``; an optional ``Idempotency-Key``) imports and matches a statement."""

    queryset = BankStatement.objects.select_related("dispositif")
    serializer_class = BankStatementSerializer
    filterset_class = BankStatementAPIFilterSet
    ordering_fields = ["imported_at", "period_end"]
    parser_classes = [MultiPartParser, FormParser, JSONParser]
    view_action = ACTION
    manage_action = ACTION

    @extend_schema(request=StatementImportSerializer, responses=BankStatementSerializer)
    def create(self, request, *args, **kwargs):
        given = StatementImportSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        upload = data["file"]
        if upload.size > services.STATEMENT_MAX_BYTES:
            raise ApplicationError(_("Le fichier est trop gros."), field="file")
        key = request.headers.get("Idempotency-Key", "").strip() or None
        statement, created = services.statement_import(
            fund=_fund_of(request, data["fund"]),
            content=upload.read(),
            source_format=data["source_format"],
            file_name=upload.name,
            idempotency_key=key,
            by=request.user,
        )
        return Response(
            BankStatementSerializer(statement).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=None, responses={202: BankStatementSerializer})
    @action(detail=True, methods=["post"], url_path="confirm-high")
    def confirm_high(self, request, pk=None):
        """Record every high-confidence proposal of the statement in the background: 202
        with the statement (its ``confirm_*`` progress) and its URL in ``Location``, to be
        read until ``confirm_status`` is ``done`` (the refused lines are then listed with
        the reason). Asked again while it runs, the same run answers."""
        statement, _started = statement_runner.statement_confirm_high_request(
            statement=self.get_object(), by=request.user
        )
        url = reverse("api:bank-statement-detail", args=[statement.pk])
        return Response(
            BankStatementSerializer(statement).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": request.build_absolute_uri(url)},
        )


class BankStatementLineViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Lines of the statements in scope (the queue: ``?state=unmatched&state=suggested``);
    ``confirm`` records one (``advance`` chooses it by hand), ``dismiss`` takes it out of
    the queue with a reason."""

    queryset = BankStatementLine.objects.select_related("dispositif")
    serializer_class = BankStatementLineSerializer
    filterset_class = BankStatementLineAPIFilterSet
    ordering_fields = ["booking_date", "amount"]
    view_action = ACTION
    manage_action = ACTION

    @extend_schema(request=LineConfirmSerializer, responses=BankStatementLineSerializer)
    @action(detail=True, methods=["post"])
    def confirm(self, request, pk=None):
        line = self.get_object()
        given = LineConfirmSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        advance = None
        if given.validated_data.get("advance"):
            advance = Advance.objects.filter(
                fund_id=line.fund_id, pk=given.validated_data["advance"]
            ).first()
            if advance is None:
                raise ApplicationError(
                    _("Cette avance n'est pas prêtée par le fonds de ce relevé."), field="advance"
                )
        line = services.statement_line_confirm(line=line, advance=advance, by=request.user)
        return Response(self.get_serializer(line).data)

    @extend_schema(request=LineDismissSerializer, responses=BankStatementLineSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        line = self.get_object()
        given = LineDismissSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        line = services.statement_line_dismiss(
            line=line, reason=given.validated_data["reason"], by=request.user
        )
        return Response(self.get_serializer(line).data)


class StatementColumnMappingViewSet(
    ScopedViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """The funds' CSV columns; POST creates or replaces a fund's."""

    queryset = StatementColumnMapping.objects.select_related("dispositif")
    serializer_class = ColumnMappingSerializer
    filterset_class = None
    view_action = ACTION
    manage_action = ACTION

    def create(self, request, *args, **kwargs):
        given = self.get_serializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = dict(given.validated_data)
        fund = _fund_of(request, data.pop("fund_id"))
        mapping = services.column_mapping_save(fund=fund, by=request.user, **data)
        return Response(self.get_serializer(mapping).data, status=status.HTTP_201_CREATED)
