"""What every backup's manifest records of the loans, and a restore must find again to the
cent: each fund's balances and the totals of each ledger account (alize.backup)."""

from __future__ import annotations

from django.db.models import Sum

from alize.backup import register_figures

from .ledger import balances_by
from .models import LedgerLine


@register_figures("ledger")
def ledger_figures() -> dict:
    funds = {
        str(fund_id): {key: str(value) for key, value in balances.as_dict().items()}
        for fund_id, balances in sorted(balances_by("fund").items())
    }
    accounts = {
        row["account"]: {"debit": str(row["debit"]), "credit": str(row["credit"])}
        for row in LedgerLine.objects.values("account")
        .annotate(debit=Sum("debit"), credit=Sum("credit"))
        .order_by("account")
    }
    return {"funds": funds, "accounts": accounts}
