"""Django admin of the loans app, for the national coordination.

Money moves only through ``loans.services`` (which write the ledger in the same
transaction), so contributions, advances, schedules, repayments, write-offs and the ledger
are shown read-only here (co-financing too, as it must stay in its project's
dispositif; SEPA mandates and collection files as well, written by their services). Funds
are added and renamed through the services.
"""

from django.contrib import admin

from alize.admin import ReadOnlyAdminMixin, ServiceModelAdmin

from . import services
from .models import (
    Advance,
    AdvanceTransition,
    BankStatement,
    BankStatementLine,
    Cofinancing,
    DirectDebitCollection,
    DirectDebitLine,
    DirectDebitMandate,
    Fund,
    FundContribution,
    Instalment,
    JournalTransaction,
    LedgerLine,
    PortfolioSnapshot,
    ProvisionRate,
    Repayment,
    RepaymentAllocation,
    RepaymentReversal,
    StatementColumnMapping,
    WriteOff,
)


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Rows written by the services only: listed and opened, never changed here."""


@admin.register(Fund)
class FundAdmin(ServiceModelAdmin):
    """Funds, added and renamed through the services; a fund's dispositif never changes."""

    fields = ["dispositif", "name"]
    list_display = ["name", "dispositif", "created_at"]
    list_filter = ["dispositif"]
    search_fields = ["name"]

    def get_readonly_fields(self, request, obj=None):
        return ["dispositif"] if obj is not None else []

    def create_through_service(self, request, data):
        return services.fund_create(**data)

    def update_through_service(self, request, obj, data):
        return services.fund_rename(fund=obj, **data)


@admin.register(FundContribution)
class FundContributionAdmin(ReadOnlyAdmin):
    list_display = [
        "fund",
        "kind",
        "organisation",
        "agreement",
        "jobs_to_recreate",
        "amount",
        "received_on",
        "earmark",
    ]
    list_filter = ["kind", "dispositif"]
    search_fields = ["organisation__name", "agreement"]


@admin.register(Advance)
class AdvanceAdmin(ReadOnlyAdmin):
    list_display = ["project", "fund", "amount", "status", "days_past_due", "disbursed_on"]
    list_filter = ["status", "dispositif", "frequency"]
    search_fields = ["project__title", "project__company__name"]


@admin.register(AdvanceTransition)
class AdvanceTransitionAdmin(ReadOnlyAdmin):
    list_display = ["advance", "from_status", "to_status", "by", "at"]
    list_filter = ["to_status"]


@admin.register(Instalment)
class InstalmentAdmin(ReadOnlyAdmin):
    list_display = ["advance", "schedule_version", "number", "due_on", "amount", "overdue"]
    list_filter = ["overdue"]


@admin.register(Repayment)
class RepaymentAdmin(ReadOnlyAdmin):
    list_display = ["advance", "received_on", "amount", "idempotency_key", "recorded_by"]
    search_fields = ["idempotency_key"]


@admin.register(RepaymentAllocation)
class RepaymentAllocationAdmin(ReadOnlyAdmin):
    list_display = ["repayment", "instalment", "amount"]


@admin.register(RepaymentReversal)
class RepaymentReversalAdmin(ReadOnlyAdmin):
    list_display = ["repayment", "reversed_on", "by", "reason"]


@admin.register(WriteOff)
class WriteOffAdmin(ReadOnlyAdmin):
    list_display = ["advance", "status", "amount", "proposed_by", "decided_by"]
    list_filter = ["status"]


@admin.register(Cofinancing)
class CofinancingAdmin(ReadOnlyAdmin):
    list_display = ["project", "organisation", "kind", "amount", "evidence_on"]
    list_filter = ["kind", "dispositif"]
    search_fields = ["organisation", "project__title"]


@admin.register(JournalTransaction)
class JournalTransactionAdmin(ReadOnlyAdmin):
    list_display = ["occurred_on", "kind", "fund", "advance", "description"]
    list_filter = ["kind", "dispositif"]


@admin.register(LedgerLine)
class LedgerLineAdmin(ReadOnlyAdmin):
    list_display = ["transaction", "account", "debit", "credit", "contribution", "advance"]
    list_filter = ["account", "kind"]


@admin.register(PortfolioSnapshot)
class PortfolioSnapshotAdmin(ReadOnlyAdmin):
    list_display = ["fund", "as_of", "outstanding", "at_risk_30", "advances_in_arrears"]


@admin.register(ProvisionRate)
class ProvisionRateAdmin(ReadOnlyAdmin):
    """A fund's provisioning rates, set on the fund page or through the API (the service
    checks the whole table)."""

    list_display = ["fund", "min_days_past_due", "rate"]
    list_filter = ["dispositif"]


@admin.register(BankStatement)
class BankStatementAdmin(ReadOnlyAdmin):
    list_display = ["fund", "source_format", "period_start", "period_end", "line_count"]
    list_filter = ["source_format", "dispositif"]
    search_fields = ["file_name", "file_sha256"]


@admin.register(BankStatementLine)
class BankStatementLineAdmin(ReadOnlyAdmin):
    list_display = ["statement", "booking_date", "amount", "state", "confidence", "advance"]
    list_filter = ["state", "confidence", "direction"]
    search_fields = ["transaction_id", "counterparty_name", "end_to_end_id"]


@admin.register(StatementColumnMapping)
class StatementColumnMappingAdmin(ReadOnlyAdmin):
    list_display = ["fund", "date_column", "amount_column", "text_column", "separator"]


@admin.register(DirectDebitMandate)
class DirectDebitMandateAdmin(ReadOnlyAdmin):
    list_display = ["reference", "advance", "kind", "signed_on", "revoked_on"]
    list_filter = ["kind", "dispositif"]
    search_fields = ["reference", "debtor_name"]


@admin.register(DirectDebitCollection)
class DirectDebitCollectionAdmin(ReadOnlyAdmin):
    list_display = ["message_id", "fund", "collection_date", "line_count", "total", "created_at"]
    list_filter = ["dispositif"]
    search_fields = ["message_id"]


@admin.register(DirectDebitLine)
class DirectDebitLineAdmin(ReadOnlyAdmin):
    list_display = ["end_to_end_id", "collection", "instalment", "amount", "sequence_type"]
    list_filter = ["sequence_type"]
    search_fields = ["end_to_end_id"]
