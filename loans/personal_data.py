"""The ledger's tables are never rewritten by an erasure (docs/personal-data.md
"Erasure"): they are append-only (database triggers, docs/architecture.md §7) and an
accounting record kept under a legal obligation. Their labels name projects and reasons,
not persons."""

from alize.personal_data.registry import register_kept_table

from .models import JournalTransaction, LedgerLine

for _model in (JournalTransaction, LedgerLine):
    register_kept_table(
        _model._meta.db_table, "append-only accounting record (legal obligation to keep)"
    )
