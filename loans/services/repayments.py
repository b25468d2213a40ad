"""Repayments of an advance: recorded once per idempotency key, allocated to the oldest
unpaid instalments, posted in proportion to each contribution's money out; and their
reversal by a counter-entry."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.formats import money, short_date
from alize.idempotency import clean_key, run_once
from alize.services import validate_and_save
from loans.models import ADVANCE_LIFECYCLE

from .. import ledger
from ..models import (
    LIVE_STATUSES,
    ZERO,
    Account,
    Advance,
    AdvanceStatus,
    EntryKind,
    Fund,
    Instalment,
    Repayment,
    RepaymentAllocation,
    RepaymentReversal,
)
from ._common import _move, _not_in_future, _reason, _settled_status, _today
from .advances import live_instalments


def _repayment_described(first: Repayment) -> tuple[str, dict]:
    message = _(
        "Cette clé d'idempotence a déjà servi pour un autre remboursement "
        "(%(amount)s le %(date)s) : utilisez une nouvelle clé."
    ) % {"amount": money(first.amount), "date": short_date(first.received_on)}
    extra = {
        "repayment": first.pk,
        "amount": str(first.amount),
        "received_on": first.received_on.isoformat(),
    }
    return message, extra


def repayment_record(
    *,
    advance: Advance,
    amount: Decimal,
    received_on: dt.date,
    idempotency_key: str,
    by,
) -> tuple[Repayment, bool]:
    """Record money received for an advance once per idempotency key (see the module's
    contract, and ``alize.idempotency.run_once``); returns the repayment and whether this
    call created it. Atomic: ``run_once`` runs the claim and the whole write in one atomic
    block (a second one around it would only add a savepoint per call)."""
    key = clean_key(idempotency_key)
    return run_once(
        operation="loans.repayment",
        dispositif_id=advance.dispositif_id,
        key=key,
        payload={"advance": advance, "amount": amount, "received_on": received_on},
        model=Repayment,
        create=lambda: _repayment_create(
            advance=advance, amount=amount, received_on=received_on, key=key, by=by
        ),
        describe=_repayment_described,
    )


def _repayment_create(
    *, advance: Advance, amount: Decimal, received_on: dt.date, key: str, by
) -> Repayment:
    """The repayment itself, once its key is claimed: checks, allocation, ledger, status."""
    locked = ADVANCE_LIFECYCLE.lock(advance)
    if amount is None or amount <= 0:
        raise ApplicationError(_("Le montant doit être positif."), field="amount")
    if locked.status not in LIVE_STATUSES:
        raise ApplicationError(
            _("Une avance « %(status)s » ne reçoit pas de remboursement.")
            % {"status": locked.get_status_display()},
            field="advance",
            code="illegal_transition",
        )
    _not_in_future(received_on, "received_on")
    assert locked.disbursed_on is not None  # every live advance was disbursed
    if received_on < locked.disbursed_on:
        raise ApplicationError(
            _("Un remboursement ne peut pas précéder le décaissement."), field="received_on"
        )
    out = ledger.advance_outstanding_by_contribution(locked.pk)
    left_to_repay = sum(out.values(), ZERO)
    if amount > left_to_repay:
        raise ApplicationError(
            _("Ce remboursement dépasse le capital restant dû (%(left)s).")
            % {"left": money(left_to_repay)},
            field="amount",
            code="overpayment",
            extra={"outstanding": str(left_to_repay)},
        )
    repayment = Repayment(
        dispositif_id=locked.dispositif_id,
        advance=locked,
        amount=amount,
        received_on=received_on,
        idempotency_key=key,
        recorded_by=by,
    )
    # The relations are the locked advance, its dispositif and the caller: no query needed
    # to prove they exist (full_clean would read each of them again).
    repayment.full_clean(
        exclude=["dispositif", "advance", "recorded_by"],
        validate_unique=False,
        validate_constraints=False,
    )
    repayment.save()
    instalments = live_instalments(locked)
    _allocate(repayment, instalments)
    ledger.post(
        fund=locked.fund,
        kind=EntryKind.REPAYMENT,
        occurred_on=received_on,
        advance=locked,
        repayment=repayment,
        by=by,
        description=str(locked.project),
        lines=ledger.pair(
            Account.CASH,
            Account.LOANS,
            ledger.split_proportionally(amount, out),
            advance_id=locked.pk,
        ),
    )
    if amount == left_to_repay:
        _move(locked, AdvanceStatus.REPAID, by=by, comment=_("Dernier remboursement reçu"))
    elif locked.status == AdvanceStatus.DISBURSED:
        _move(locked, AdvanceStatus.REPAYING, by=by)
    elif locked.status == AdvanceStatus.IN_ARREARS and not _has_overdue(instalments, received_on):
        _move(locked, _settled_status(locked), by=by, comment=_("Retard rattrapé"))
        locked.days_past_due = 0
        locked.save(update_fields=["days_past_due"])
    return repayment


def _allocate(repayment: Repayment, instalments: list[Instalment]) -> None:
    """Spread a repayment over the oldest unpaid instalments first; each instalment's
    ``paid`` then includes its share (the caller reads them once)."""
    left, allocations = repayment.amount, []
    for instalment in instalments:
        if not left:
            break
        due = instalment.amount - instalment.paid
        if due <= 0:
            continue
        part = min(due, left)
        allocations.append(
            RepaymentAllocation(
                dispositif_id=repayment.dispositif_id,
                repayment=repayment,
                instalment=instalment,
                amount=part,
            )
        )
        left -= part
        instalment.paid += part
        if part == due and instalment.overdue:
            instalment.overdue = False
            instalment.days_past_due = 0
            instalment.save(update_fields=["overdue", "days_past_due"])
    if left:
        raise ApplicationError(
            _("L'échéancier ne couvre pas ce remboursement."), field="amount", code="overpayment"
        )
    RepaymentAllocation.objects.bulk_create(allocations)


def _has_overdue(instalments: list[Instalment], on: dt.date) -> bool:
    """Whether an instalment due before ``on`` is still not fully paid (``instalments``: the
    advance's live schedule with ``paid`` up to date, as ``_allocate`` leaves it)."""
    return any(i.paid < i.amount and i.due_on < on for i in instalments)


@transaction.atomic
def repayment_reverse(
    *, repayment: Repayment, reason: str, by, reversed_on: dt.date | None = None
) -> RepaymentReversal:
    """Undo a repayment recorded by mistake with a counter-entry (see the module's
    contract); the repayment row stays."""
    reason = _reason(reason)
    reversed_on = reversed_on or _today()
    locked = ADVANCE_LIFECYCLE.lock(repayment.advance)
    Fund.objects.select_for_update().get(pk=locked.fund_id)
    if RepaymentReversal.objects.filter(repayment=repayment).exists():
        raise ApplicationError(_("Ce remboursement est déjà annulé."), field="repayment")
    if locked.status == AdvanceStatus.WRITTEN_OFF:
        raise ApplicationError(
            _("L'avance est passée en perte : ses remboursements ne s'annulent plus."),
            field="repayment",
        )
    if repayment.allocations.filter(instalment__superseded_at__isnull=False).exists():
        raise ApplicationError(
            _("Ce remboursement a payé des échéances remplacées depuis par un rééchelonnement."),
            field="repayment",
        )
    if reversed_on < repayment.received_on:
        raise ApplicationError(
            _("L'annulation ne peut pas précéder le remboursement."), field="reversed_on"
        )
    original = list(repayment.transactions.get(kind=EntryKind.REPAYMENT).lines.all())
    shares = {line.contribution_id: line.debit for line in original if line.account == "cash"}
    cash = ledger.cash_by_contribution(list(shares))
    if any(cash[pk] < amount for pk, amount in shares.items()):
        raise ApplicationError(
            _(
                "L'argent de ce remboursement a déjà été prêté à nouveau : il ne peut plus être "
                "annulé."
            ),
            field="repayment",
        )
    reversal = RepaymentReversal(
        dispositif_id=repayment.dispositif_id,
        repayment=repayment,
        reason=reason,
        reversed_on=reversed_on,
        by=by,
    )
    validate_and_save(reversal)
    ledger.post(
        fund=locked.fund,
        kind=EntryKind.REVERSAL,
        occurred_on=reversed_on,
        advance=locked,
        repayment=repayment,
        by=by,
        description=reason,
        lines=ledger.pair(Account.LOANS, Account.CASH, shares, advance_id=locked.pk),
    )
    if locked.status == AdvanceStatus.REPAID:
        _move(locked, _settled_status(locked), by=by, comment=reason)
    return reversal
