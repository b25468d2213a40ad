"""Reads of the bank statement pages and API: a fund's statements, a statement's lines,
the queue of lines still to match, the advances a line may be matched to by hand, and the
fund's CSV mapping. Every read starts from rows the user may ``RECORD_REPAYMENT`` on
(statements carry payers' names: they are the work of those who record repayments)."""

from __future__ import annotations

import re

from alize.actions import Action

from .models import (
    LIVE_STATUSES,
    OPEN_STATES,
    Advance,
    BankStatement,
    BankStatementLine,
    Confidence,
    Fund,
    LineState,
    StatementColumnMapping,
)

ACTION = Action.RECORD_REPAYMENT
LINE_RELATED = ("advance__project__company", "instalment", "duplicate_of__statement")


def statement_funds(user):
    """The funds whose statements the user imports and reviews."""
    return Fund.objects.for_user(user, ACTION).select_related("dispositif")


def fund_statements(fund: Fund):
    return BankStatement.objects.filter(fund=fund).order_by("-imported_at", "-id")


def statements(user):
    return BankStatement.objects.for_user(user, ACTION).select_related("fund", "dispositif")


def statement_lines(statement: BankStatement):
    return (
        BankStatementLine.objects.filter(statement=statement)
        .select_related(*LINE_RELATED)
        .order_by("position", "id")
    )


def high_confidence_count(statement: BankStatement) -> int:
    """How many lines « confirm every high-confidence line » would record."""
    return statement.lines.filter(state=LineState.SUGGESTED, confidence=Confidence.HIGH).count()


def statement_line_rows(user):
    """Every line the user may decide on."""
    return BankStatementLine.objects.for_user(user, ACTION).select_related(
        "statement", "fund", *LINE_RELATED
    )


def fund_queue(fund: Fund):
    """The fund's lines still waiting for a decision, oldest first."""
    return (
        BankStatementLine.objects.filter(fund=fund, state__in=OPEN_STATES)
        .select_related("statement", *LINE_RELATED)
        .order_by("booking_date", "id")
    )


def fund_advance_by_reference(fund: Fund, reference: str) -> Advance | None:
    """The fund's advance named by its reference (``AV-000123``, or its number)."""
    match = re.fullmatch(r"\s*(?:AV-?)?0*(\d{1,9})\s*", reference or "", re.IGNORECASE)
    if not match:
        return None
    return (
        Advance.objects.filter(fund=fund, pk=int(match.group(1)))
        .select_related("project__company")
        .first()
    )


def live_advance_count(fund: Fund) -> int:
    return Advance.objects.filter(fund=fund, status__in=LIVE_STATUSES).count()


def column_mapping(fund: Fund) -> StatementColumnMapping | None:
    return StatementColumnMapping.objects.filter(fund=fund).first()
