"""Bank statements of a fund: import, matching of each line to an advance, and the
decisions on the lines (record, return, dismiss).

- ``statement_import`` reads a file (``loans.bank_files``), stores its lines — a
  transaction id already known on the fund is stored as a duplicate of the first line
  (« déjà importée ») and never matched again — and matches the new ones. A bad file
  stores nothing.
- Matching (``_match``) is set-based: a handful of queries for the whole statement. For
  each credit, in order: the end-to-end id of one of the fund's direct debits (high), a
  mandate reference (high), the advance's reference ``AV-000123`` in the remittance text
  (medium), the amount of a due instalment with a payer's name like the SME's (low). A
  returned debit (a debit with a return reason, or a reversal) is matched by its
  end-to-end id to the credit it takes back (high).
- ``statement_line_confirm`` records a credit through ``repayment_record`` keyed
  ``bank:<fund>:<transaction id>``, so a transaction is recorded once however many
  statements carry it; for a return it reverses that repayment through
  ``repayment_reverse`` with the bank's reason, and marks the direct debit returned.
  ``statement_confirm_high`` confirms every high-confidence line of a statement, line by
  line (``loans.statement_runner`` runs it in the background, with its progress).
- ``statement_line_dismiss`` takes a line out of the queue with a reason.

Services run in the caller's scope and do not check access (``RECORD_REPAYMENT``)."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections import defaultdict
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.errors import ApplicationError, service_error_text
from alize.formats import money
from alize.idempotency import clean_key, run_once
from alize.services import validate_and_save

from .. import bank_files
from ..models import (
    LIVE_STATUSES,
    Advance,
    BankStatement,
    BankStatementLine,
    Confidence,
    DirectDebitLine,
    DirectDebitMandate,
    Direction,
    Fund,
    Instalment,
    LineState,
    MatchRule,
    StatementColumnMapping,
    StatementFormat,
)
from ._common import _reason
from .repayments import repayment_record, repayment_reverse

if TYPE_CHECKING:
    from ..models import Repayment

STATEMENT_MAX_BYTES = 10 * 1024 * 1024
# How far ahead of its due date a payment still matches an instalment by amount and name.
EARLY_PAYMENT_DAYS = 15
NAME_LIKENESS = 0.8
ADVANCE_REFERENCE = re.compile(r"\bAV[-\s]?(\d{6,9})\b", re.IGNORECASE)
RELATIONS = (
    "dispositif",
    "statement",
    "fund",
    "advance",
    "instalment",
    "direct_debit_line",
    "repayment",
    "reversal_of",
    "duplicate_of",
    "decided_by",
)
MAPPING_FIELDS = (
    "date_column",
    "amount_column",
    "text_column",
    "name_column",
    "transaction_id_column",
    "separator",
    "decimal_comma",
    "date_format",
)


@dataclass
class ConfirmOutcome:
    """What confirming several lines did: how many were recorded or returned, and the
    lines refused with the service's message."""

    done: int = 0
    refused: list[tuple[BankStatementLine, str]] = field(default_factory=list)


# --- Import -----------------------------------------------------------------------------


@transaction.atomic
def statement_import(
    *,
    fund: Fund,
    content: bytes,
    source_format: str,
    by,
    file_name: str = "",
    idempotency_key: str | None = None,
) -> tuple[BankStatement, bool]:
    """Import a statement file of ``fund``'s account and match its new lines; returns the
    statement and whether this call made it (a form sent twice with its hidden key, or an
    API call replayed with its ``Idempotency-Key``, imports once)."""
    if source_format not in StatementFormat.values:
        raise ApplicationError(_("Format de relevé inconnu."), field="source_format")
    if not content:
        raise ApplicationError(_("Le fichier est vide."), field="file")
    if len(content) > STATEMENT_MAX_BYTES:
        raise ApplicationError(
            _("Le fichier dépasse %(size)d Mo.") % {"size": STATEMENT_MAX_BYTES // (1024 * 1024)},
            field="file",
        )
    digest = hashlib.sha256(content).hexdigest()

    def create() -> BankStatement:
        return _statement_create(
            fund=fund,
            content=content,
            source_format=source_format,
            digest=digest,
            file_name=file_name,
            by=by,
        )

    if idempotency_key is None:
        return create(), True
    return run_once(
        operation="loans.statement_import",
        dispositif_id=fund.dispositif_id,
        key=clean_key(idempotency_key),
        payload={"fund": fund, "sha256": digest, "format": source_format},
        model=BankStatement,
        create=create,
    )


def _statement_create(
    *, fund: Fund, content: bytes, source_format: str, digest: str, file_name: str, by
) -> BankStatement:
    if source_format == StatementFormat.CAMT053:
        parsed = bank_files.parse_camt053(content)
    else:
        mapping = StatementColumnMapping.objects.filter(fund=fund).first()
        if mapping is None:
            raise ApplicationError(
                _("Indiquez d'abord les colonnes des relevés CSV de ce fonds."),
                field="source_format",
                code="no_mapping",
            )
        parsed = bank_files.parse_csv(content, mapping)
    if not parsed.lines:
        raise ApplicationError(
            _("Ce relevé ne contient aucune opération comptabilisée."), field="file"
        )
    # One import of a fund at a time: two overlapping statements sent together wait for
    # each other, and the second sees the first's transactions as known.
    locked = Fund.objects.select_for_update().get(pk=fund.pk)
    if locked.iban and parsed.account_iban and parsed.account_iban != locked.iban.replace(" ", ""):
        raise ApplicationError(
            _("Ce relevé est celui du compte %(account)s, pas du compte du fonds (%(fund)s).")
            % {"account": parsed.account_iban, "fund": locked.iban},
            field="file",
            code="other_account",
        )
    statement = validate_and_save(
        BankStatement(
            dispositif_id=fund.dispositif_id,
            fund=fund,
            source_format=source_format,
            file_name=file_name[:255],
            file_sha256=digest,
            account_iban=parsed.account_iban,
            period_start=parsed.period_start,
            period_end=parsed.period_end,
            line_count=len(parsed.lines),
            imported_by=by,
        )
    )
    known = dict(
        BankStatementLine.objects.filter(
            fund=fund, transaction_id__in={line.transaction_id for line in parsed.lines}
        )
        .exclude(state=LineState.DUPLICATE)
        .values_list("transaction_id", "pk")
    )
    rows, seen = [], set()
    for position, line in enumerate(parsed.lines, start=1):
        first = known.get(line.transaction_id)
        repeated = line.transaction_id in seen
        seen.add(line.transaction_id)
        if repeated and first is None:
            raise ApplicationError(
                _("L'identifiant bancaire « %(id)s » figure deux fois dans ce relevé.")
                % {"id": line.transaction_id},
                field="file",
            )
        row = BankStatementLine(
            dispositif_id=fund.dispositif_id,
            statement=statement,
            fund=fund,
            position=position,
            transaction_id=line.transaction_id,
            transaction_id_derived=line.transaction_id_derived,
            booking_date=line.booking_date,
            amount=line.amount,
            direction=line.direction,
            reversal=line.reversal,
            counterparty_name=line.counterparty_name,
            counterparty_account=line.counterparty_account,
            remittance_text=line.remittance_text,
            end_to_end_id=line.end_to_end_id,
            mandate_id=line.mandate_id[:35],
            return_reason=line.return_reason,
            state=LineState.DUPLICATE if first else LineState.UNMATCHED,
            duplicate_of_id=first,
        )
        # The field checks (lengths, choices, digits); the relations are the service's own.
        row.clean_fields(exclude=[*RELATIONS])
        rows.append(row)
    fresh = [row for row in rows if row.state == LineState.UNMATCHED]
    _match(fund, fresh)  # before the insert: the lines are written once, with their proposals
    BankStatementLine.objects.bulk_create(rows, batch_size=1000)
    statement.new_line_count = len(fresh)
    statement.save(update_fields=["new_line_count"])
    return statement


# --- Matching ---------------------------------------------------------------------------


def _match(fund: Fund, lines: list[BankStatementLine]) -> None:
    """Propose an advance for each of the new lines, not yet saved (see the module)."""
    credits = [line for line in lines if line.direction == Direction.CREDIT]
    returns = [line for line in lines if line.is_return]
    matched: list[BankStatementLine] = []

    def propose(line, advance_id, rule, confidence, instalment_id=None, debit=None):
        line.advance_id = advance_id
        line.instalment_id = instalment_id
        line.direct_debit_line = debit
        line.rule = rule
        line.confidence = confidence
        line.state = LineState.SUGGESTED
        matched.append(line)

    e2e = {line.end_to_end_id for line in credits + returns if line.end_to_end_id}
    debits = (
        {
            debit.end_to_end_id: debit
            for debit in DirectDebitLine.objects.filter(
                end_to_end_id__in=e2e, collection__fund=fund
            ).select_related("instalment")
        }
        if e2e
        else {}
    )
    mandates = {line.mandate_id for line in credits if line.mandate_id}
    mandate_advances = (
        dict(
            DirectDebitMandate.objects.filter(
                reference__in=mandates, advance__fund=fund
            ).values_list("reference", "advance_id")
        )
        if mandates
        else {}
    )
    referenced = {
        id(line): [int(number) for number in ADVANCE_REFERENCE.findall(line.remittance_text)]
        for line in credits
    }
    wanted = {number for numbers in referenced.values() for number in numbers}
    wanted |= {debit.instalment.advance_id for debit in debits.values()}
    wanted |= set(mandate_advances.values())
    live_advances = (
        set(
            Advance.objects.filter(fund=fund, pk__in=wanted, status__in=LIVE_STATUSES).values_list(
                "pk", flat=True
            )
        )
        if wanted
        else set()
    )
    left = []
    for line in credits:
        debit = debits.get(line.end_to_end_id)
        if debit and debit.instalment.advance_id in live_advances:
            propose(
                line,
                debit.instalment.advance_id,
                MatchRule.END_TO_END,
                Confidence.HIGH,
                debit.instalment_id,
                debit,
            )
            continue
        advance_id = mandate_advances.get(line.mandate_id)
        if advance_id in live_advances:
            propose(line, advance_id, MatchRule.MANDATE, Confidence.HIGH)
            continue
        found = [number for number in referenced[id(line)] if number in live_advances]
        if len(set(found)) == 1:
            propose(line, found[0], MatchRule.REFERENCE, Confidence.MEDIUM)
            continue
        left.append(line)
    _match_amount_and_name(fund, left, propose)
    _next_instalments([line for line in matched if line.instalment_id is None])
    _match_returns(fund, returns, debits, propose, [line for line in matched if line.is_credit])


def _unpaid_instalments(**filters):
    """Live instalments of live advances, with what is still due on them."""
    return Instalment.objects.filter(
        superseded_at__isnull=True, advance__status__in=LIVE_STATUSES, **filters
    ).filter(paid__lt=F("amount"))


def _match_amount_and_name(fund: Fund, lines: list[BankStatementLine], propose) -> None:
    """Low confidence: an unpaid instalment due by the booking date (or within a fortnight
    after it) of exactly the amount, whose SME's name is like the payer's. Ambiguous lines
    (two advances as likely) stay unmatched; an instalment is proposed once."""
    lines = [line for line in lines if line.counterparty_name.strip()]
    if not lines:
        return
    latest = max(line.booking_date for line in lines) + dt.timedelta(days=EARLY_PAYMENT_DAYS)
    candidates = defaultdict(list)
    for instalment in (
        _unpaid_instalments(
            advance__fund=fund, amount__in={line.amount for line in lines}, due_on__lte=latest
        )
        .values("pk", "advance_id", "amount", "due_on", "advance__project__company__name")
        .order_by("due_on", "pk")
    ):
        candidates[instalment["amount"]].append(instalment)
    names = {
        row["advance__project__company__name"]: bank_files.name_key(
            row["advance__project__company__name"]
        )
        for rows in candidates.values()
        for row in rows
    }
    taken: set[int] = set()
    for line in lines:
        likeness = _Likeness(bank_files.name_key(line.counterparty_name))
        horizon = line.booking_date + dt.timedelta(days=EARLY_PAYMENT_DAYS)
        scored = []
        for row in candidates.get(line.amount, ()):
            if row["pk"] in taken or row["due_on"] > horizon:
                continue
            score = likeness(names[row["advance__project__company__name"]])
            if score >= NAME_LIKENESS:
                scored.append((score, row))
        if not scored:
            continue
        best = max(score for score, _row in scored)
        top = [row for score, row in scored if score == best]
        if len({row["advance_id"] for row in top}) > 1:
            continue
        taken.add(top[0]["pk"])
        propose(line, top[0]["advance_id"], MatchRule.AMOUNT_NAME, Confidence.LOW, top[0]["pk"])


class _Likeness:
    """How like a payer's name (both as ``bank_files.name_key``) a company's name is, from
    0 to 1: 1 when one holds the other as whole words, else difflib's ratio. Each company
    name is scored once per payer, and the cheap upper bounds skip the hopeless ones (as
    ``difflib.get_close_matches`` does)."""

    def __init__(self, payer: str):
        self.payer = payer
        self.matcher = SequenceMatcher(None, b=payer)
        self.known: dict[str, float] = {}

    def __call__(self, company: str) -> float:
        if company not in self.known:
            self.known[company] = self._score(company)
        return self.known[company]

    def _score(self, company: str) -> float:
        payer = self.payer
        if not payer or not company:
            return 0.0
        if f" {company} " in f" {payer} " or f" {payer} " in f" {company} ":
            return 1.0
        self.matcher.set_seq1(company)
        if self.matcher.real_quick_ratio() < NAME_LIKENESS:
            return 0.0
        if self.matcher.quick_ratio() < NAME_LIKENESS:
            return 0.0
        return self.matcher.ratio()


def _next_instalments(lines: list[BankStatementLine]) -> None:
    """The oldest unpaid instalment of each proposed advance, shown beside the line."""
    if not lines:
        return
    first: dict[int, int] = {}
    for pk, advance_id in (
        _unpaid_instalments(advance_id__in={line.advance_id for line in lines})
        .order_by("advance_id", "due_on", "schedule_version", "number")
        .values_list("pk", "advance_id")
    ):
        first.setdefault(advance_id, pk)
    for line in lines:
        line.instalment_id = first.get(line.advance_id) if line.advance_id else None


def _match_returns(fund: Fund, returns, debits, propose, batch) -> None:
    """A returned debit takes back the credit of the same end-to-end id: the one recorded
    (or proposed) on this fund, or proposed in the same statement (``batch``)."""
    ids = {line.end_to_end_id for line in returns if line.end_to_end_id}
    if not ids:
        return
    credits: dict[str, tuple[int, int | None]] = {}
    for e2e, advance_id, instalment_id in (
        BankStatementLine.objects.filter(
            fund=fund,
            direction=Direction.CREDIT,
            end_to_end_id__in=ids,
            state__in=(LineState.RECORDED, LineState.SUGGESTED),
            advance__isnull=False,
        )
        .order_by("booking_date", "pk")
        .values_list("end_to_end_id", "advance_id", "instalment_id")
    ):
        credits.setdefault(e2e, (advance_id, instalment_id))
    for line in batch:
        if line.end_to_end_id in ids and line.advance_id:
            credits.setdefault(line.end_to_end_id, (line.advance_id, line.instalment_id))
    for line in returns:
        debit = debits.get(line.end_to_end_id)
        credit = credits.get(line.end_to_end_id)
        if credit:
            propose(line, credit[0], MatchRule.END_TO_END, Confidence.HIGH, credit[1], debit)
        elif debit:
            propose(
                line,
                debit.instalment.advance_id,
                MatchRule.END_TO_END,
                Confidence.HIGH,
                debit.instalment_id,
                debit,
            )


# --- Decisions --------------------------------------------------------------------------


def transaction_key(line: BankStatementLine) -> str:
    """The idempotency key of the repayment a line records: the fund and the bank's id."""
    key = f"bank:{line.fund_id}:{line.transaction_id}"
    if len(key) > 128:
        key = f"bank:{line.fund_id}:sha:{hashlib.sha256(line.transaction_id.encode()).hexdigest()}"
    return key


@transaction.atomic
def statement_line_confirm(
    *, line: BankStatementLine, by, advance: Advance | None = None
) -> BankStatementLine:
    """Record the line: a credit as a repayment of its advance (``advance`` chooses it by
    hand, for an unmatched or wrongly proposed line), a return as the reversal of the
    repayment it takes back."""
    # The proposed advance comes with the line (the repayment service locks it again).
    line = (
        BankStatementLine.objects.select_for_update(of=("self",))
        .select_related("advance")
        .get(pk=line.pk)
    )
    if line.state not in (LineState.UNMATCHED, LineState.SUGGESTED):
        raise ApplicationError(
            _("Cette ligne est déjà traitée (%(state)s).") % {"state": line.get_state_display()},
            field="line",
            code="line_decided",
        )
    if advance is not None:
        if advance.fund_id != line.fund_id:
            raise ApplicationError(
                _("Cette avance n'est pas prêtée par le fonds de ce relevé."), field="advance"
            )
        if line.advance_id != advance.pk:
            line.advance, line.instalment, line.direct_debit_line = advance, None, None
            line.rule, line.confidence = MatchRule.MANUAL, ""
    if line.advance_id is None:
        raise ApplicationError(_("Choisissez l'avance que cette ligne rembourse."), field="advance")
    if line.is_return:
        _confirm_return(line, by)
    elif line.direction == Direction.CREDIT:
        _confirm_credit(line, by)
    else:
        raise ApplicationError(
            _("Un débit sans motif de rejet ne rembourse rien : écartez-le avec un motif."),
            field="line",
        )
    line.decided_by = by
    line.decided_at = timezone.now()
    line.save()
    return line


def _confirm_credit(line: BankStatementLine, by) -> None:
    assert line.advance is not None
    repayment, _created = repayment_record(
        advance=line.advance,
        amount=line.amount,
        received_on=line.booking_date,
        idempotency_key=transaction_key(line),
        by=by,
    )
    line.repayment = repayment
    line.state = LineState.RECORDED


def _confirm_return(line: BankStatementLine, by) -> None:
    reason = _("Prélèvement rejeté par la banque (motif %(code)s), relevé du %(date)s") % {
        "code": line.return_reason or _("contre-passation"),
        "date": line.booking_date.strftime("%d/%m/%Y"),
    }
    taken_back = _credit_taken_back(line)
    if taken_back is not None and taken_back.state == LineState.RECORDED:
        repayment: Repayment = taken_back.repayment  # type: ignore[assignment]
        if -line.amount != repayment.amount:
            raise ApplicationError(
                _("Le rejet (%(amount)s) ne reprend pas tout le remboursement (%(paid)s).")
                % {"amount": money(-line.amount), "paid": money(repayment.amount)},
                field="line",
            )
        if not hasattr(repayment, "reversal"):
            line.reversal_of = repayment_reverse(
                repayment=repayment,
                reason=reason,
                by=by,
                reversed_on=max(line.booking_date, repayment.received_on),
            )
    elif taken_back is not None:
        # The credit was never recorded: the return settles it, nothing was paid.
        taken_back.state = LineState.DISMISSED
        taken_back.dismissal_reason = reason
        taken_back.decided_by = by
        taken_back.decided_at = timezone.now()
        taken_back.save(update_fields=["state", "dismissal_reason", "decided_by", "decided_at"])
    if line.direct_debit_line_id:
        DirectDebitLine.objects.filter(
            pk=line.direct_debit_line_id, returned_at__isnull=True
        ).update(returned_at=timezone.now(), return_reason=reason[:300])
    line.state = LineState.RETURNED


def _credit_taken_back(line: BankStatementLine) -> BankStatementLine | None:
    """The credit of the fund with the return's end-to-end id: the recorded one, or else
    one still open."""
    if not line.end_to_end_id:
        return None
    credits = (
        BankStatementLine.objects.select_for_update(of=("self",))
        .filter(fund_id=line.fund_id, direction=Direction.CREDIT, end_to_end_id=line.end_to_end_id)
        .select_related("repayment")
        .order_by("booking_date", "pk")
    )
    return (
        credits.filter(state=LineState.RECORDED).first()
        or credits.filter(state__in=(LineState.SUGGESTED, LineState.UNMATCHED)).first()
    )


def high_confidence_lines(statement_id: int) -> list[BankStatementLine]:
    """The high-confidence proposals of a statement still open, credits first then returns
    (a return may take back a credit of the same statement)."""
    return list(
        BankStatementLine.objects.filter(
            statement_id=statement_id, state=LineState.SUGGESTED, confidence=Confidence.HIGH
        ).order_by("direction", "booking_date", "position")  # CRDT before DBIT
    )


def statement_confirm_high(*, statement: BankStatement, by, progress=None) -> ConfirmOutcome:
    """Confirm every high-confidence proposal of a statement, credits first then returns,
    each line in a transaction of its own (``statement_line_confirm``), so a run stopped
    midway keeps what it recorded and a second run records only the rest. A line the
    repayment service refuses stays proposed, with its reason in the outcome. ``progress``
    (optional) is called with the outcome after each line."""
    outcome = ConfirmOutcome()
    for line in high_confidence_lines(statement.pk):
        try:
            statement_line_confirm(line=line, by=by)
        except (ApplicationError, ValidationError) as error:
            outcome.refused.append((line, service_error_text(error)))
        else:
            outcome.done += 1
        if progress is not None:
            progress(outcome)
    return outcome


@transaction.atomic
def statement_line_dismiss(*, line: BankStatementLine, reason: str, by) -> BankStatementLine:
    """Take an open line out of the queue (a bank fee, a payment for something else…),
    with the reason; nothing is recorded."""
    reason = _reason(reason)
    line = BankStatementLine.objects.select_for_update().get(pk=line.pk)
    if line.state not in (LineState.UNMATCHED, LineState.SUGGESTED):
        raise ApplicationError(
            _("Cette ligne est déjà traitée (%(state)s).") % {"state": line.get_state_display()},
            field="line",
            code="line_decided",
        )
    line.state = LineState.DISMISSED
    line.dismissal_reason = reason
    line.decided_by = by
    line.decided_at = timezone.now()
    line.save(update_fields=["state", "dismissal_reason", "decided_by", "decided_at"])
    return line


@transaction.atomic
def column_mapping_save(*, fund: Fund, by, **data) -> StatementColumnMapping:
    """Create or change how the fund's CSV statements are read."""
    unknown = set(data) - set(MAPPING_FIELDS)
    if unknown:
        raise ValueError(f"Unknown mapping fields: {sorted(unknown)}")
    mapping = StatementColumnMapping.objects.filter(fund=fund).first() or StatementColumnMapping(
        dispositif_id=fund.dispositif_id, fund=fund
    )
    for name, value in data.items():
        setattr(
            mapping,
            name,
            value.strip() if isinstance(value, str) and name != "separator" else value,
        )
    mapping.updated_by = by
    return validate_and_save(mapping)
