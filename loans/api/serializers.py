"""API serializers of the loans app. Inputs are validated here for shape and scope, then
handed to ``loans.services`` by the viewsets; balances are read from the ledger; status and
money movements are never written directly.

Personal data (who recorded, proposed or approved something, and their reasons) reaches
only those who manage the row's dispositif; API clients read figures without it."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from alize.actions import Action
from alize.api.serializers import (
    ModelSerializer,
    MoneyField,
    OptionalChoiceField,
    PersonalDataMixin,
    RowSerializer,
    Serializer,
    TenantSerializer,
)
from alize.tenancy import may
from committees.models import Decision
from partners.models import Organisation
from pme.models import Project

from .. import selectors
from ..models import (
    Account,
    Advance,
    AdvanceStatus,
    Cofinancing,
    DirectDebitMandate,
    EntryKind,
    Frequency,
    Fund,
    FundContribution,
    Instalment,
    LedgerLine,
    MandateKind,
    Repayment,
)

MONEY = {"max_digits": 14, "read_only": True}


def check_may(serializer, action: str, dispositif_id, field: str) -> None:
    """Refuse (400 on ``field``) a relation into a dispositif where the caller may not
    ``action``."""
    request = serializer.context.get("request")
    if request is not None and not may(request.user, action, dispositif_id):
        raise serializers.ValidationError({field: _("Vous n'animez pas ce dispositif.")})


class BalancesMixin(Serializer):
    """The ledger's figures of a fund: contributed, available, lent, repaid, lost,
    outstanding (read from ``instance.balances`` when the view set it, else computed)."""

    contributed = MoneyField(**MONEY)
    available = MoneyField(**MONEY)
    lent = MoneyField(**MONEY)
    repaid = MoneyField(**MONEY)
    lost = MoneyField(**MONEY)
    outstanding = MoneyField(**MONEY)


class FundSerializer(BalancesMixin, TenantSerializer):
    """A fund of a dispositif with its balances, all sums of the ledger: gross
    ``outstanding``, the ``provision`` set aside against its loss, and ``net``."""

    provision = MoneyField(**MONEY)
    net = MoneyField(**MONEY)

    class Meta:
        model = Fund
        fields = [
            "id",
            "dispositif",
            "name",
            "creditor_identifier",
            "iban",
            "bic",
            "created_at",
            "contributed",
            "available",
            "lent",
            "repaid",
            "lost",
            "outstanding",
            "provision",
            "net",
        ]
        # The name's uniqueness per dispositif is checked by the service, on ``name``.
        validators = []

    def to_representation(self, instance):
        if not hasattr(instance, "balances"):
            instance.balances = selectors.fund_balances(instance)
        for name, value in instance.balances.as_dict().items():
            setattr(instance, name, value)
        instance.net = instance.balances.net
        return super().to_representation(instance)


class ProvisionRateSerializer(Serializer):
    """One bucket of a fund's provisioning table: from ``min_days_past_due`` days past due,
    ``rate`` % of the outstanding principal is provisioned."""

    min_days_past_due = serializers.IntegerField()
    rate = serializers.DecimalField(max_digits=7, decimal_places=4)


class ProvisionRatesSerializer(Serializer):
    """A fund's provisioning table (``default``: the fund has not set its own). Written
    whole by PUT; the rules are the service's, its errors named ``rates-<row>-<field>``
    as on the fund page's form."""

    default = serializers.BooleanField(read_only=True)
    rates = ProvisionRateSerializer(many=True, allow_empty=True)

    def to_representation(self, instance):
        table, default = instance
        return {
            "default": default,
            "rates": [{"min_days_past_due": days, "rate": f"{rate:.2f}"} for days, rate in table],
        }


class ContributionSerializer(ModelSerializer):
    """A contribution to a fund and where its money is: available, lent (financed),
    repaid, lost and outstanding."""

    organisation = serializers.PrimaryKeyRelatedField(queryset=Organisation.objects.all())
    organisation_name = serializers.CharField(source="organisation.name", read_only=True)
    agreement_firm = serializers.PrimaryKeyRelatedField(
        queryset=Organisation.objects.all(), required=False, allow_null=True
    )
    earmark = serializers.CharField(required=False, allow_blank=True, default="")
    available = MoneyField(**MONEY)
    lent = MoneyField(**MONEY)
    repaid = MoneyField(**MONEY)
    lost = MoneyField(**MONEY)
    outstanding = MoneyField(**MONEY)

    class Meta:
        model = FundContribution
        fields = [
            "id",
            "fund",
            "kind",
            "organisation",
            "organisation_name",
            "agreement",
            "agreement_firm",
            "jobs_to_recreate",
            "amount",
            "received_on",
            "earmark",
            "available",
            "lent",
            "repaid",
            "lost",
            "outstanding",
        ]
        read_only_fields = ["fund"]


class AdvanceSerializer(TenantSerializer):
    """An advance: its terms, status and outstanding principal (from the ledger). It
    is created from an approved decision; the status moves through the actions."""

    create_only_fields = ("fund", "decision")

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    fund = serializers.PrimaryKeyRelatedField(queryset=Fund.objects.all())
    fund_name = serializers.CharField(source="fund.name", read_only=True)
    project = serializers.PrimaryKeyRelatedField(read_only=True)
    project_title = serializers.CharField(source="project.title", read_only=True)
    company_name = serializers.CharField(source="project.company.name", read_only=True)
    decision = serializers.PrimaryKeyRelatedField(queryset=Decision.objects.all())
    amount = MoneyField(max_digits=12, required=False)
    interest_rate = serializers.DecimalField(max_digits=5, decimal_places=2, read_only=True)
    status = serializers.ChoiceField(choices=AdvanceStatus.choices, read_only=True)
    outstanding = MoneyField(**MONEY)

    class Meta:
        model = Advance
        fields = [
            "id",
            "dispositif",
            "fund",
            "fund_name",
            "project",
            "project_title",
            "company_name",
            "decision",
            "amount",
            "interest_rate",
            "grace_months",
            "instalment_count",
            "frequency",
            "status",
            "status_changed_at",
            "contracted_on",
            "disbursed_on",
            "schedule_version",
            "days_past_due",
            "outstanding",
            "created_at",
        ]
        read_only_fields = [
            "status_changed_at",
            "contracted_on",
            "disbursed_on",
            "schedule_version",
            "days_past_due",
        ]

    def validate_decision(self, decision):
        check_may(self, Action.MANAGE_ADVANCE, decision.dispositif_id, "decision")
        return decision

    def to_representation(self, instance):
        # PostgreSQL keeps the figure as ledger lines are posted: an instance a service
        # locked before posting holds the figure it read then (the detail's balances are
        # read now).
        if getattr(instance, "balances", None) is None:
            instance.refresh_from_db(fields=["outstanding"])
        return super().to_representation(instance)


def advance_row_serializer(context: dict) -> RowSerializer:
    """``AdvanceSerializer``'s JSON for the rows of ``selectors.advance_rows``."""
    return RowSerializer(
        AdvanceSerializer,
        context=context,
        computed={
            "dispositif": lambda row: row["dispositif_slug"],
            "fund": lambda row: row["fund_id"],
            "project": lambda row: row["project_id"],
            "decision": lambda row: row["decision_id"],
        },
    )


class TransitionSerializer(Serializer):
    from_status = OptionalChoiceField(choices=AdvanceStatus.choices)
    to_status = serializers.ChoiceField(choices=AdvanceStatus.choices)
    by = serializers.StringRelatedField(allow_null=True)
    at = serializers.DateTimeField()
    comment = serializers.CharField()


class AdvanceDetailSerializer(PersonalDataMixin, AdvanceSerializer):
    """One advance with its reference (``AV-000123``), the SHA-256 of its signed contract,
    its ledger figures, next possible statuses and, for those who manage it, its timeline
    (who moved it, when, why)."""

    personal_fields = ("created_by", "timeline")

    disbursed = MoneyField(source="balances.lent", **MONEY)
    repaid = MoneyField(source="balances.repaid", **MONEY)
    written_off = MoneyField(source="balances.lost", **MONEY)
    allowed_next_statuses = serializers.ListField(
        child=serializers.ChoiceField(choices=AdvanceStatus.choices), read_only=True
    )
    created_by = serializers.StringRelatedField(allow_null=True)
    timeline = serializers.SerializerMethodField()
    reference = serializers.CharField(read_only=True)
    contract_checksum = serializers.CharField(read_only=True)

    class Meta(AdvanceSerializer.Meta):
        fields = [
            *AdvanceSerializer.Meta.fields,
            "reference",
            "contract_checksum",
            "disbursed",
            "repaid",
            "written_off",
            "allowed_next_statuses",
            "created_by",
            "timeline",
        ]

    def get_timeline(self, advance) -> list[dict]:
        return TransitionSerializer(selectors.advance_timeline(advance), many=True).data

    def to_representation(self, instance):
        instance.balances = selectors.advance_balances(instance)
        instance.outstanding = instance.balances.outstanding
        return super().to_representation(instance)


class ContractSerializer(Serializer):
    contracted_on = serializers.DateField()


class DisburseSerializer(Serializer):
    disbursed_on = serializers.DateField()


class RescheduleSerializer(Serializer):
    instalment_count = serializers.IntegerField(min_value=1, max_value=120)
    frequency = serializers.ChoiceField(choices=Frequency.choices)
    first_due_on = serializers.DateField()
    reason = serializers.CharField()


class WriteOffProposalSerializer(Serializer):
    reason = serializers.CharField()


class InstalmentSerializer(ModelSerializer):
    """One instalment with what was paid on it (repayments not reversed)."""

    paid = MoneyField(**MONEY)
    remaining = MoneyField(**MONEY)
    superseded = serializers.SerializerMethodField()

    class Meta:
        model = Instalment
        fields = [
            "id",
            "schedule_version",
            "number",
            "due_on",
            "amount",
            "paid",
            "remaining",
            "overdue",
            "days_past_due",
            "superseded",
            "superseded_at",
        ]
        read_only_fields = fields

    def get_superseded(self, instalment) -> bool:
        return instalment.superseded_at is not None


class LedgerLineSerializer(ModelSerializer):
    """One ledger line of an advance: account, debit or credit, whose money."""

    account = serializers.ChoiceField(choices=Account.choices)
    kind = serializers.ChoiceField(choices=EntryKind.choices)
    contribution_source = serializers.CharField(
        source="contribution.organisation.name", read_only=True
    )

    class Meta:
        model = LedgerLine
        fields = [
            "id",
            "transaction",
            "kind",
            "occurred_on",
            "account",
            "debit",
            "credit",
            "contribution",
            "contribution_source",
        ]
        read_only_fields = fields


class RepaymentSerializer(PersonalDataMixin, ModelSerializer):
    """A repayment, its allocation state and, if it was reversed, when. Who recorded it
    and why it was reversed are personal data, and the key that made its recording
    idempotent is internal: for those who manage the advance."""

    personal_fields = ("idempotency_key", "recorded_by", "reversal_reason", "reversed_by")

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    advance = serializers.PrimaryKeyRelatedField(queryset=Advance.objects.all())
    idempotency_key = serializers.CharField(read_only=True)
    recorded_by = serializers.StringRelatedField(allow_null=True)
    reversed = serializers.SerializerMethodField()
    reversed_on = serializers.SerializerMethodField()
    reversal_reason = serializers.SerializerMethodField()
    reversed_by = serializers.SerializerMethodField()

    class Meta:
        model = Repayment
        fields = [
            "id",
            "dispositif",
            "advance",
            "received_on",
            "amount",
            "idempotency_key",
            "recorded_by",
            "recorded_at",
            "reversed",
            "reversed_on",
            "reversal_reason",
            "reversed_by",
        ]
        read_only_fields = ["recorded_at"]
        validators = []

    @staticmethod
    def _reversal(repayment):
        return getattr(repayment, "reversal", None)

    def get_reversed(self, repayment) -> bool:
        return self._reversal(repayment) is not None

    def get_reversed_on(self, repayment) -> str | None:
        reversal = self._reversal(repayment)
        return reversal.reversed_on.isoformat() if reversal else None

    def get_reversal_reason(self, repayment) -> str | None:
        reversal = self._reversal(repayment)
        return reversal.reason if reversal else None

    def get_reversed_by(self, repayment) -> str | None:
        reversal = self._reversal(repayment)
        return str(reversal.by) if reversal and reversal.by else None

    def validate_advance(self, advance):
        check_may(self, Action.RECORD_REPAYMENT, advance.dispositif_id, "advance")
        return advance


class MandateSerializer(PersonalDataMixin, TenantSerializer):
    """A SEPA mandate of an advance. The account holder, the account and the reason of a
    revocation reach only those who manage the advance's dispositif. Created through
    ``loans.services.mandate_create`` (the same rules as the web form); revoked through
    ``revoke``, never changed or deleted."""

    personal_fields = ("debtor_name", "iban", "bic", "revoked_reason", "created_by")

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    advance = serializers.PrimaryKeyRelatedField(queryset=Advance.objects.all())
    # Checked by the service (which names the field), so typed spaces are accepted here.
    iban = serializers.CharField(max_length=42)
    bic = serializers.CharField(max_length=14)
    kind = serializers.ChoiceField(choices=MandateKind.choices, default=MandateKind.RECURRENT)
    in_force = serializers.BooleanField(read_only=True)
    created_by = serializers.StringRelatedField(allow_null=True)

    class Meta:
        model = DirectDebitMandate
        fields = [
            "id",
            "dispositif",
            "advance",
            "reference",
            "debtor_name",
            "iban",
            "bic",
            "signed_on",
            "kind",
            "in_force",
            "revoked_on",
            "revoked_reason",
            "created_by",
            "created_at",
        ]
        read_only_fields = ["reference", "revoked_on", "revoked_reason", "created_at"]
        validators = []

    def validate_advance(self, advance):
        check_may(self, Action.RECORD_REPAYMENT, advance.dispositif_id, "advance")
        return advance


class MandateRevokeSerializer(Serializer):
    reason = serializers.CharField()
    revoked_on = serializers.DateField(required=False)


class ReversalSerializer(Serializer):
    reason = serializers.CharField()
    reversed_on = serializers.DateField(required=False)


class CofinancingSerializer(TenantSerializer):
    """Money obtained for a project besides the advance (leverage)."""

    create_only_fields = ("project",)

    dispositif = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    project = serializers.PrimaryKeyRelatedField(queryset=Project.objects.all())
    project_title = serializers.CharField(source="project.title", read_only=True)

    class Meta:
        model = Cofinancing
        fields = [
            "id",
            "dispositif",
            "project",
            "project_title",
            "organisation",
            "kind",
            "amount",
            "evidence_on",
            "recorded_at",
        ]

    def validate_project(self, project):
        check_may(self, Action.MANAGE_ADVANCE, project.dispositif_id, "project")
        return project


class LeverageSerializer(Serializer):
    dispositif_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    advances = MoneyField(**MONEY)
    cofinancing = MoneyField(**MONEY)
    ratio = serializers.DecimalField(max_digits=10, decimal_places=2, allow_null=True)
