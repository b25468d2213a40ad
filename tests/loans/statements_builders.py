"""Builders of the bank statement tests: a fund with an account, disbursed advances whose
SMEs have distinct names, direct debits of their instalments, and the hand-written
CAMT.053 fixture filled in for them."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from pathlib import Path
from string import Template

from django.db.models import F, Sum

from loans.models import (
    Account,
    Advance,
    DirectDebitCollection,
    DirectDebitLine,
    DirectDebitMandate,
    Fund,
    Instalment,
    LedgerLine,
)
from tests.loans.builders import TODAY, advance_at, setup_scope

D = Decimal
FUND_IBAN = "FR7630006000011234567890189"
FIXTURE = Path(__file__).parent / "fixtures" / "camt053_statement.xml"
DISBURSED_ON = TODAY - dt.timedelta(days=45)  # instalment 1 due 15 days ago
BOOKED_ON = TODAY - dt.timedelta(days=14)
_numbers = itertools.count(1)


def statement_fund(fund: Fund) -> Fund:
    with setup_scope():
        Fund.objects.filter(pk=fund.pk).update(iban=FUND_IBAN)
        fund.refresh_from_db()
    return fund


def named_advance(fund: Fund, name: str, **kwargs) -> Advance:
    """A disbursed advance of 12 000 € in 12 monthly instalments of 1 000 €, whose SME is
    called ``name``."""
    kwargs.setdefault("disbursed_on", DISBURSED_ON)
    advance = advance_at("disbursed", fund, **kwargs)
    with setup_scope():
        company = advance.project.company
        type(company).objects.filter(pk=company.pk).update(name=name)
        return Advance.objects.select_related("project__company").get(pk=advance.pk)


def first_instalment(advance: Advance) -> Instalment:
    with setup_scope():
        return Instalment.objects.filter(advance=advance).order_by("due_on").first()


def direct_debit(advance: Advance, *, end_to_end_id: str, mandate: str) -> DirectDebitLine:
    """A mandate of ``advance`` and the debit of its first instalment in a collection."""
    number = next(_numbers)
    with setup_scope():
        signed = DirectDebitMandate.objects.create(
            dispositif=advance.dispositif,
            advance=advance,
            reference=mandate,
            debtor_name=advance.project.company.name[:70],
            iban="FR1420041010050500013M02606",
            bic="PSSTFRPPPAR",
            signed_on=DISBURSED_ON,
        )
        instalment = first_instalment(advance)
        collection = DirectDebitCollection.objects.create(
            dispositif=advance.dispositif,
            fund=advance.fund,
            collection_date=instalment.due_on,
            message_id=f"MSG-TEST-{number}",
            xml="<Document/>",
            checksum="0" * 64,
            line_count=1,
            total=instalment.amount,
        )
        return DirectDebitLine.objects.create(
            dispositif=advance.dispositif,
            collection=collection,
            instalment=instalment,
            mandate=signed,
            amount=instalment.amount,
            sequence_type="FRST",
            end_to_end_id=end_to_end_id,
        )


def fixture_statement(**values) -> bytes:
    """The hand-written CAMT.053 fixture with its fields filled in."""
    defaults = {
        "day": BOOKED_ON.isoformat(),
        "e2e1": "E2E-UNKNOWN",
        "mandate1": "RUM-UNKNOWN-1",
        "name1": "PAYEUR UN",
        "mandate2": "RUM-UNKNOWN-2",
        "name2": "PAYEUR DEUX",
        "ref3": "AV-999999",
        "name4": "PERSONNE",
    }
    return Template(FIXTURE.read_text()).substitute({**defaults, **values}).encode()


def ledger_balances() -> bool:
    """Debits equal credits over the whole ledger, and in every journal transaction."""
    with setup_scope():
        lines = LedgerLine.objects.all()
        totals = lines.aggregate(debit=Sum("debit"), credit=Sum("credit"))
        per_transaction = (
            lines.values("transaction_id")
            .annotate(debit=Sum("debit"), credit=Sum("credit"))
            .exclude(debit=F("credit"))
        )
        return (totals["debit"] or 0) == (totals["credit"] or 0) and not per_transaction.exists()


def cash_of(fund: Fund) -> Decimal:
    with setup_scope():
        sums = LedgerLine.objects.filter(transaction__fund=fund, account=Account.CASH).aggregate(
            debit=Sum("debit"), credit=Sum("credit")
        )
    return (sums["debit"] or D(0)) - (sums["credit"] or D(0))
