"""Write side of the loans app: every movement of money, and every move of an advance.

Contracts (every service is keyword-only, atomic, validates fully and raises
``alize.errors.ApplicationError`` — or Django's ``ValidationError`` — naming the field at
fault; a refused operation changes nothing). Services run inside the caller's tenancy
scope and do not check access: views and API views ask the policy first
(``MANAGE_ADVANCE``, ``RECORD_REPAYMENT``, ``APPROVE_WRITE_OFF``).

- ``fund_create(dispositif, name)``; ``contribution_record(fund, kind, organisation,
  amount, received_on, by, agreement="", agreement_firm=None, earmark="")`` posts
  cash/capital. ``contribution_record_once(fund, submission_key, **fields)`` →
  ``(contribution, created)``: the key (the web form's hidden one, or the API's
  ``Idempotency-Key``) makes a form sent twice record once, like ``repayment_record``.
- ``advance_create(decision, fund, instalment_count, frequency, grace_months, by,
  amount=None)``: from an approved decision with an advance amount (one advance per
  decision); ``amount`` defaults to the decided amount, may be lower, never higher, and
  lies within the dispositif's bounds (also a database trigger). Status « approved ».
  ``advance_update_terms(advance, **terms)`` changes amount and terms before disbursement.
- ``advance_contract(advance, contracted_on, by)``: approved → contracted.
- ``advance_disburse(advance, disbursed_on, by)``: contracted → disbursed; refused when
  the fund's money available to this project is too low. The money is attributed to the
  contributions first in, first out by date received, except that contributions earmarked
  for the project's kind are used first, and never for other kinds. Writes schedule
  version 1: instalment k falls due ``grace_months + k × period`` months after the
  disbursement (the day clamped to the month's end); each instalment is the principal ÷
  count rounded down to the cent, and the last takes the remainder.
- ``repayment_record(advance, amount, received_on, idempotency_key, by)`` → ``(repayment,
  created)``: the same key (per dispositif) with the same payload returns the first
  repayment and ``created=False``, also when two requests race; the same key with another
  payload raises ``ConflictError`` (409, code ``idempotency_key_reused``). Every keyed
  service goes through ``alize.idempotency.run_once``. Overpayment
  (more than the outstanding principal) is refused. Allocated to the oldest unpaid
  instalments first (partial payments allowed); the ledger share of each contribution is
  in proportion to what it still has out in the advance (``ledger.split_proportionally``).
- ``repayment_reverse(repayment, reason, by, reversed_on=None)``: a counter-entry mirroring
  the repayment's lines; its allocations stop counting. Refused once the advance is
  written off, when the repayment paid instalments a reschedule has since replaced, or when
  the cash has been lent again (no balance may go negative).
- ``advance_reschedule(advance, instalment_count, frequency, first_due_on, reason, by)``:
  the unpaid instalments are marked superseded (kept) and a new version spreads the
  outstanding principal; status « rescheduled ».
- ``write_off_propose(advance, reason, by)``; ``write_off_approve(write_off, by,
  on=None)`` (maker-checker: never the proposer; posts the loss, status « written off »);
  ``write_off_reject(write_off, by)``.
- ``cofinancing_create(project, organisation, kind, amount, evidence_on, by)``,
  ``cofinancing_update(cofinancing, **fields)``, ``cofinancing_delete(cofinancing)``;
  ``cofinancing_create_once(project, submission_key, **fields)`` → ``(cofinancing,
  created)`` for the web form and keyed API calls, like ``contribution_record_once``.
- ``arrears_refresh(dispositif, today)``: the daily job's work (see ``loans.tasks``).

Schedule invariant: the live instalments (not superseded) plus what was paid on superseded
ones add up to the principal, to the cent.
"""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.formats import money, short_date
from alize.idempotency import clean_key, run_once
from alize.services import model_update, validate_and_save
from alize.validators import latest_plausible_date

from . import ledger
from .models import (
    ADVANCE_LIFECYCLE,
    FREQUENCY_MONTHS,
    LIVE_STATUSES,
    ZERO,
    Account,
    Advance,
    AdvanceStatus,
    Cofinancing,
    EntryKind,
    Fund,
    FundContribution,
    Instalment,
    PortfolioSnapshot,
    Repayment,
    RepaymentAllocation,
    RepaymentReversal,
    WriteOff,
    WriteOffStatus,
)

REASON_MIN_LENGTH = 10
REASON_MAX_LENGTH = 2000
ADVANCE_TERMS = ("amount", "grace_months", "instalment_count", "frequency")
COFINANCING_FIELDS = ("organisation", "kind", "amount", "evidence_on")
PAR_DAYS = 30


def _today() -> dt.date:
    return timezone.localdate()


def _reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise ApplicationError(
            _("Expliquez pourquoi, en %(count)d caractères au moins.")
            % {"count": REASON_MIN_LENGTH},
            field=field,
        )
    if len(reason) > REASON_MAX_LENGTH:
        raise ApplicationError(
            _("Un motif tient en %(count)d caractères au plus.") % {"count": REASON_MAX_LENGTH},
            field=field,
        )
    return reason


def _not_in_future(value: dt.date, field: str) -> None:
    if value > _today():
        raise ApplicationError(_("Cette date est dans le futur."), field=field)


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` moved by ``months``, the day clamped to the end of a shorter month."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def split_schedule(principal: Decimal, count: int) -> list[Decimal]:
    """``count`` instalments adding up to ``principal`` to the cent: each is the principal
    ÷ count rounded down to the cent, and the last one takes the remainder."""
    cents = int(principal * 100)
    base = cents // count
    amounts = [base] * (count - 1) + [cents - base * (count - 1)]
    return [Decimal(value) / 100 for value in amounts]


def _move(advance: Advance, to_status: str, *, by, comment: str = "", at=None) -> None:
    """Move an advance the caller locked along its lifecycle (``ADVANCE_LIFECYCLE``):
    checked, and recorded with who, when and why."""
    ADVANCE_LIFECYCLE.move(advance, to_status, by=by, reason=comment, at=at, locked=True)


# -- Funds and contributions --------------------------------------------------------------


def _check_fund_name(fund: Fund) -> None:
    same = Fund.objects.filter(dispositif_id=fund.dispositif_id, name__iexact=fund.name)
    if same.exclude(pk=fund.pk).exists():
        raise ApplicationError(_("Ce dispositif a déjà un fonds de ce nom."), field="name")


@transaction.atomic
def fund_create(*, dispositif, name: str) -> Fund:
    """A new fund of a dispositif (its name unique there)."""
    fund = Fund(dispositif=dispositif, name=(name or "").strip())
    _check_fund_name(fund)
    return validate_and_save(fund)


@transaction.atomic
def fund_rename(*, fund: Fund, name: str) -> Fund:
    model_update(fund, ["name"], {"name": (name or "").strip()})
    _check_fund_name(fund)
    return validate_and_save(fund)


@transaction.atomic
def contribution_record(
    *,
    fund: Fund,
    kind: str,
    organisation,
    amount: Decimal,
    received_on: dt.date,
    by,
    agreement: str = "",
    agreement_firm=None,
    earmark: str = "",
) -> FundContribution:
    """Record money put into a fund, and post it (cash / capital) the same day."""
    _not_in_future(received_on, "received_on")
    contribution = FundContribution(
        dispositif_id=fund.dispositif_id,
        fund=fund,
        kind=kind,
        organisation=organisation,
        agreement=(agreement or "").strip(),
        agreement_firm=agreement_firm,
        amount=amount,
        received_on=received_on,
        earmark=earmark or "",
        recorded_by=by,
    )
    validate_and_save(contribution)
    ledger.post(
        fund=fund,
        kind=EntryKind.CONTRIBUTION,
        occurred_on=received_on,
        contribution=contribution,
        by=by,
        description=str(contribution),
        lines=ledger.pair(Account.CASH, Account.CAPITAL, {contribution.pk: contribution.amount}),
    )
    return contribution


def _contribution_payload(
    *,
    fund: Fund,
    kind: str,
    organisation,
    amount: Decimal,
    received_on: dt.date,
    by=None,
    agreement: str = "",
    agreement_firm=None,
    earmark: str = "",
) -> dict:
    """What makes two sends of a contribution the same (everything but who sends it)."""
    return {
        "fund": fund,
        "kind": kind,
        "organisation": organisation,
        "agreement": agreement or "",
        "agreement_firm": agreement_firm,
        "amount": amount,
        "received_on": received_on,
        "earmark": earmark or "",
    }


def _contribution_described(first: FundContribution) -> tuple[str, dict]:
    message = _(
        "Cet envoi a déjà enregistré un apport de %(amount)s reçu le %(date)s ; rien de plus "
        "n'est enregistré. Pour enregistrer un autre apport, rechargez la page et saisissez-le "
        "à nouveau."
    ) % {"amount": money(first.amount), "date": short_date(first.received_on)}
    extra = {
        "contribution": first.pk,
        "amount": str(first.amount),
        "received_on": first.received_on.isoformat(),
    }
    return message, extra


@transaction.atomic
def contribution_record_once(
    *, fund: Fund, submission_key: str, **fields
) -> tuple[FundContribution, bool]:
    """``contribution_record`` for a form that may be sent twice (a double click, a reload)
    or an API call with an ``Idempotency-Key``, through ``alize.idempotency.run_once``: the
    same key (per dispositif) with the same payload returns the first contribution with
    ``created=False``, also when two requests race; another payload raises the 409."""
    key = clean_key(
        submission_key,
        field="submission_key",
        message=_("Une clé d'envoi (1 à 128 caractères) est requise."),
    )

    def create() -> FundContribution:
        contribution = contribution_record(fund=fund, **fields)
        contribution.submission_key = key
        contribution.save(update_fields=["submission_key"])
        return contribution

    return run_once(
        operation="loans.contribution",
        dispositif_id=fund.dispositif_id,
        key=key,
        payload=_contribution_payload(fund=fund, **fields),
        model=FundContribution,
        create=create,
        describe=_contribution_described,
        field=None,
    )


# -- Advances -------------------------------------------------------------------------------


def _check_amount(advance: Advance, decided: Decimal | None) -> None:
    dispositif = advance.dispositif
    low, high = dispositif.advance_min, dispositif.advance_max
    amount = advance.amount
    if amount is None:
        raise ApplicationError(_("Indiquez le montant."), field="amount")
    if not low <= amount <= high:
        raise ApplicationError(
            _("L'avance doit être comprise entre %(min)s et %(max)s dans ce dispositif.")
            % {"min": money(low), "max": money(high)},
            field="amount",
            code="out_of_bounds",
        )
    if decided is not None and amount > decided:
        raise ApplicationError(
            _("Le comité a accordé %(amount)s : l'avance ne peut pas dépasser ce montant.")
            % {"amount": money(decided)},
            field="amount",
        )


@transaction.atomic
def advance_create(
    *,
    decision,
    fund: Fund,
    instalment_count: int,
    by,
    frequency: str = "monthly",
    grace_months: int = 0,
    amount: Decimal | None = None,
) -> Advance:
    """The advance an approved committee decision granted, lent from ``fund`` (of the same
    dispositif), at status « approved »."""
    if decision.outcome != "approved" or not decision.advance_amount:
        raise ApplicationError(
            _("Seule une décision d'accord avec une avance ouvre une avance remboursable."),
            field="decision",
        )
    if Advance.objects.filter(decision=decision).exists():
        raise ApplicationError(_("Cette décision a déjà son avance."), field="decision")
    if fund.dispositif_id != decision.dispositif_id:
        raise ApplicationError(_("Ce fonds appartient à un autre dispositif."), field="fund")
    advance = Advance(
        dispositif_id=decision.dispositif_id,
        fund=fund,
        project=decision.item.project,
        decision=decision,
        amount=decision.advance_amount if amount is None else amount,
        grace_months=grace_months,
        instalment_count=instalment_count,
        frequency=frequency,
        created_by=by,
    )
    _check_amount(advance, decision.advance_amount)
    validate_and_save(advance)
    ADVANCE_LIFECYCLE.record_start(advance, by=by, reason=_("Avance accordée par le comité"))
    return advance


@transaction.atomic
def advance_update_terms(*, advance: Advance, **terms) -> Advance:
    """Change the amount, grace, count or frequency of an advance not yet disbursed."""
    locked = ADVANCE_LIFECYCLE.lock(advance)
    if locked.status not in (AdvanceStatus.APPROVED, AdvanceStatus.CONTRACTED):
        raise ApplicationError(
            _("Les conditions d'une avance décaissée ne changent que par un rééchelonnement."),
            field="status",
            code="illegal_transition",
        )
    model_update(locked, ADVANCE_TERMS, terms)
    _check_amount(locked, locked.decision.advance_amount)
    validate_and_save(locked)
    return locked


@transaction.atomic
def advance_contract(*, advance: Advance, contracted_on: dt.date, by) -> Advance:
    """The contract is signed: approved → contracted."""
    locked = ADVANCE_LIFECYCLE.lock(advance)
    _not_in_future(contracted_on, "contracted_on")
    ADVANCE_LIFECYCLE.check(locked.status, AdvanceStatus.CONTRACTED)
    if contracted_on < locked.decision.item.committee.date:
        raise ApplicationError(
            _("Le contrat ne peut pas précéder la décision du comité."), field="contracted_on"
        )
    _move(locked, AdvanceStatus.CONTRACTED, by=by)
    locked.contracted_on = contracted_on
    locked.save(update_fields=["contracted_on"])
    return locked


def _financing_contributions(fund: Fund, project_type: str) -> list[FundContribution]:
    """The contributions that may finance a project of this kind, in the order they are
    used: those earmarked for the kind first, then the unearmarked ones, each first in,
    first out (received on, then id)."""
    contributions = list(
        FundContribution.objects.filter(fund=fund)
        .filter(Q(earmark="") | Q(earmark=project_type))
        .order_by("received_on", "id")
    )
    return [c for c in contributions if c.earmark] + [c for c in contributions if not c.earmark]


@transaction.atomic
def advance_disburse(*, advance: Advance, disbursed_on: dt.date, by) -> Advance:
    """Pay the advance out of its fund (contracted → disbursed), attribute the money to
    contributions, post it, and write the first schedule. The fund row is locked, so two
    disbursements never spend the same money."""
    locked = ADVANCE_LIFECYCLE.lock(advance)
    Fund.objects.select_for_update().get(pk=locked.fund_id)
    _not_in_future(disbursed_on, "disbursed_on")
    ADVANCE_LIFECYCLE.check(locked.status, AdvanceStatus.DISBURSED)
    if locked.contracted_on and disbursed_on < locked.contracted_on:
        raise ApplicationError(
            _("Le décaissement ne peut pas précéder le contrat."), field="disbursed_on"
        )
    contributions = _financing_contributions(locked.fund, locked.project.project_type)
    cash = ledger.cash_by_contribution([c.pk for c in contributions])
    available = sum(cash.values(), ZERO)
    if available < locked.amount:
        raise ApplicationError(
            _(
                "Le fonds n'a que %(available)s disponibles pour ce projet : "
                "%(amount)s ne peuvent pas être décaissés."
            )
            % {"available": money(available), "amount": money(locked.amount)},
            field="disbursed_on",
            code="insufficient_funds",
            extra={"available": str(available), "amount": str(locked.amount)},
        )
    shares, left = {}, locked.amount
    for contribution in contributions:
        if not left:
            break
        take = min(cash[contribution.pk], left)
        if take > 0:
            shares[contribution.pk] = take
            left -= take
    _move(locked, AdvanceStatus.DISBURSED, by=by)
    locked.disbursed_on = disbursed_on
    locked.schedule_version = 1
    locked.save(update_fields=["disbursed_on", "schedule_version"])
    ledger.post(
        fund=locked.fund,
        kind=EntryKind.DISBURSEMENT,
        occurred_on=disbursed_on,
        advance=locked,
        by=by,
        description=str(locked.project),
        lines=ledger.pair(Account.LOANS, Account.CASH, shares, advance_id=locked.pk),
    )
    period = FREQUENCY_MONTHS[locked.frequency]
    _write_schedule(
        locked,
        version=1,
        principal=locked.amount,
        due_dates=[
            add_months(disbursed_on, locked.grace_months + k * period)
            for k in range(1, locked.instalment_count + 1)
        ],
    )
    return locked


def _write_schedule(advance: Advance, *, version: int, principal: Decimal, due_dates) -> None:
    amounts = split_schedule(principal, len(due_dates))
    Instalment.objects.bulk_create(
        Instalment(
            dispositif_id=advance.dispositif_id,
            advance=advance,
            schedule_version=version,
            number=number,
            due_on=due_on,
            amount=amount,
        )
        for number, (due_on, amount) in enumerate(zip(due_dates, amounts, strict=True), 1)
    )


def outstanding(advance: Advance) -> Decimal:
    """The advance's principal still out: disbursed − repaid − written off (ledger)."""
    return ledger.advance_balances([advance.pk])[advance.pk].outstanding


def live_instalments(advance: Advance) -> list[Instalment]:
    """The advance's current schedule, oldest due first, each with ``paid`` (the sum of the
    allocations of repayments not reversed)."""
    return list(
        Instalment.objects.filter(advance=advance, superseded_at__isnull=True)
        .annotate(
            paid=Sum(
                "allocations__amount",
                filter=Q(allocations__repayment__reversal__isnull=True),
                default=ZERO,
            )
        )
        .order_by("due_on", "schedule_version", "number")
    )


def _settled_status(advance: Advance) -> str:
    """Where a repaying advance stands once nothing is overdue any more."""
    return AdvanceStatus.RESCHEDULED if advance.schedule_version > 1 else AdvanceStatus.REPAYING


# -- Repayments ------------------------------------------------------------------------------


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


@transaction.atomic
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
    call created it."""
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
    repayment.full_clean(validate_unique=False, validate_constraints=False)
    repayment.save()
    _allocate(repayment, live_instalments(locked))
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
    elif locked.status == AdvanceStatus.IN_ARREARS and not _has_overdue(locked, received_on):
        _move(locked, _settled_status(locked), by=by, comment=_("Retard rattrapé"))
        locked.days_past_due = 0
        locked.save(update_fields=["days_past_due"])
    return repayment


def _allocate(repayment: Repayment, instalments: list[Instalment]) -> None:
    """Spread a repayment over the oldest unpaid instalments first."""
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
        if part == due and instalment.overdue:
            instalment.overdue = False
            instalment.days_past_due = 0
            instalment.save(update_fields=["overdue", "days_past_due"])
    if left:
        raise ApplicationError(
            _("L'échéancier ne couvre pas ce remboursement."), field="amount", code="overpayment"
        )
    RepaymentAllocation.objects.bulk_create(allocations)


def _has_overdue(advance: Advance, on: dt.date) -> bool:
    return any(i.paid < i.amount and i.due_on < on for i in live_instalments(advance))


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


# -- Reschedule and write-off ------------------------------------------------------------


@transaction.atomic
def advance_reschedule(
    *,
    advance: Advance,
    instalment_count: int,
    frequency: str,
    first_due_on: dt.date,
    reason: str,
    by,
) -> Advance:
    """Replace the unpaid part of the schedule: unpaid (or partly paid) instalments are
    marked superseded, and a new version spreads the outstanding principal over
    ``instalment_count`` instalments from ``first_due_on``."""
    reason = _reason(reason)
    locked = ADVANCE_LIFECYCLE.lock(advance)
    ADVANCE_LIFECYCLE.check(locked.status, AdvanceStatus.RESCHEDULED)
    if frequency not in FREQUENCY_MONTHS:
        raise ValidationError({"frequency": _("Périodicité inconnue.")})
    if not 1 <= instalment_count <= 120:
        raise ApplicationError(_("Entre 1 et 120 échéances."), field="instalment_count")
    if first_due_on < _today():
        raise ApplicationError(
            _("La première échéance ne peut pas être dans le passé."), field="first_due_on"
        )
    if first_due_on > latest_plausible_date():
        raise ApplicationError(
            _("La première échéance doit tomber dans les dix ans à venir."),
            field="first_due_on",
        )
    left = outstanding(locked)
    if left <= 0:
        raise ApplicationError(_("Il ne reste rien à rembourser."), field="instalment_count")
    now = timezone.now()
    unpaid = [i.pk for i in live_instalments(locked) if i.paid < i.amount]
    Instalment.objects.filter(pk__in=unpaid).update(superseded_at=now)
    version = locked.schedule_version + 1
    period = FREQUENCY_MONTHS[frequency]
    _write_schedule(
        locked,
        version=version,
        principal=left,
        due_dates=[add_months(first_due_on, k * period) for k in range(instalment_count)],
    )
    locked.schedule_version = version
    locked.days_past_due = 0
    locked.save(update_fields=["schedule_version", "days_past_due"])
    _move(locked, AdvanceStatus.RESCHEDULED, by=by, comment=reason, at=now)
    return locked


@transaction.atomic
def write_off_propose(*, advance: Advance, reason: str, by) -> WriteOff:
    """Propose to write off what is left of an advance; someone else approves it."""
    reason = _reason(reason)
    locked = ADVANCE_LIFECYCLE.lock(advance)
    if locked.status not in LIVE_STATUSES:
        raise ApplicationError(
            _("Une avance « %(status)s » ne se passe pas en perte.")
            % {"status": locked.get_status_display()},
            field="advance",
            code="illegal_transition",
        )
    if WriteOff.objects.filter(advance=locked, status=WriteOffStatus.PROPOSED).exists():
        raise ApplicationError(
            _("Cette avance a déjà un passage en perte en cours."), field="advance"
        )
    return validate_and_save(
        WriteOff(dispositif_id=locked.dispositif_id, advance=locked, reason=reason, proposed_by=by)
    )


def _locked_write_off(write_off: WriteOff) -> WriteOff:
    locked = WriteOff.objects.select_for_update().get(pk=write_off.pk)
    if locked.status != WriteOffStatus.PROPOSED:
        raise ApplicationError(
            _("Ce passage en perte est déjà %(status)s.")
            % {"status": locked.get_status_display().lower()},
            field="status",
        )
    return locked


@transaction.atomic
def write_off_approve(*, write_off: WriteOff, by, on: dt.date | None = None) -> WriteOff:
    """Approve a proposed write-off (never by its proposer): the outstanding principal is
    posted as a loss, shared between contributions as it is out, and the advance closes."""
    on = on or _today()
    locked = _locked_write_off(write_off)
    if by is None or locked.proposed_by_id == by.pk:
        raise ApplicationError(
            _("La personne qui propose le passage en perte ne peut pas l'approuver."),
            field="decided_by",
            code="maker_checker",
        )
    advance = ADVANCE_LIFECYCLE.lock(locked.advance)
    out = ledger.advance_outstanding_by_contribution(advance.pk)
    amount = sum(out.values(), ZERO)
    locked.status = WriteOffStatus.APPROVED
    locked.amount = amount
    locked.decided_by = by
    locked.decided_at = timezone.now()
    validate_and_save(locked)
    if amount:
        ledger.post(
            fund=advance.fund,
            kind=EntryKind.WRITE_OFF,
            occurred_on=on,
            advance=advance,
            write_off=locked,
            by=by,
            description=locked.reason,
            lines=ledger.pair(Account.LOSSES, Account.LOANS, out, advance_id=advance.pk),
        )
    _move(advance, AdvanceStatus.WRITTEN_OFF, by=by, comment=locked.reason)
    write_off.status, write_off.amount = locked.status, locked.amount
    write_off.decided_by, write_off.decided_at = locked.decided_by, locked.decided_at
    return write_off


@transaction.atomic
def write_off_reject(*, write_off: WriteOff, by) -> WriteOff:
    """Turn a proposed write-off down (or withdraw it); nothing is posted."""
    locked = _locked_write_off(write_off)
    locked.status = WriteOffStatus.REJECTED
    locked.decided_by = None if locked.proposed_by_id == getattr(by, "pk", None) else by
    locked.decided_at = timezone.now()
    validate_and_save(locked)
    write_off.status, write_off.decided_at = locked.status, locked.decided_at
    write_off.decided_by = locked.decided_by
    return write_off


# -- Co-financing --------------------------------------------------------------------------


@transaction.atomic
def cofinancing_create(
    *, project, organisation: str, kind: str, amount: Decimal, evidence_on: dt.date, by
) -> Cofinancing:
    """Record money obtained for a project besides the advance."""
    _not_in_future(evidence_on, "evidence_on")
    return validate_and_save(
        Cofinancing(
            dispositif_id=project.dispositif_id,
            project=project,
            organisation=(organisation or "").strip(),
            kind=kind,
            amount=amount,
            evidence_on=evidence_on,
            recorded_by=by,
        )
    )


def _cofinancing_described(first: Cofinancing) -> tuple[str, dict]:
    message = _(
        "Cet envoi a déjà enregistré un cofinancement de %(amount)s (%(organisation)s, "
        "justifié le %(date)s) ; rien de plus n'est enregistré. Pour enregistrer un autre "
        "cofinancement, rechargez la page et saisissez-le à nouveau."
    ) % {
        "amount": money(first.amount),
        "organisation": first.organisation,
        "date": short_date(first.evidence_on),
    }
    extra = {
        "cofinancing": first.pk,
        "amount": str(first.amount),
        "evidence_on": first.evidence_on.isoformat(),
    }
    return message, extra


@transaction.atomic
def cofinancing_create_once(*, project, submission_key: str, **fields) -> tuple[Cofinancing, bool]:
    """``cofinancing_create`` for a form that may be sent twice or an API call with an
    ``Idempotency-Key``, like ``contribution_record_once``: the first co-financing recorded
    under the key (per dispositif) comes back with ``created=False``; another payload under
    the same key raises the 409."""
    key = clean_key(
        submission_key,
        field="submission_key",
        message=_("Une clé d'envoi (1 à 128 caractères) est requise."),
    )

    def create() -> Cofinancing:
        cofinancing = cofinancing_create(project=project, **fields)
        cofinancing.submission_key = key
        cofinancing.save(update_fields=["submission_key"])
        return cofinancing

    payload = {name: fields.get(name) for name in COFINANCING_FIELDS}
    payload["project"] = project
    return run_once(
        operation="loans.cofinancing",
        dispositif_id=project.dispositif_id,
        key=key,
        payload=payload,
        model=Cofinancing,
        create=create,
        describe=_cofinancing_described,
        field=None,
    )


@transaction.atomic
def cofinancing_update(*, cofinancing: Cofinancing, **fields) -> Cofinancing:
    if "evidence_on" in fields:
        _not_in_future(fields["evidence_on"], "evidence_on")
    model_update(cofinancing, COFINANCING_FIELDS, fields)
    return validate_and_save(cofinancing)


@transaction.atomic
def cofinancing_delete(*, cofinancing: Cofinancing) -> None:
    cofinancing.delete()


# -- Arrears -----------------------------------------------------------------------------


@transaction.atomic
def arrears_refresh(*, dispositif, today: dt.date) -> dict:
    """Mark the overdue instalments of the dispositif's live advances (due before
    ``today`` and not fully paid) with their days past due, move advances into arrears (and
    out of it once caught up), and write each fund's portfolio at risk for ``today``.
    Idempotent: running it twice on a day changes nothing more. Returns counts."""
    advances = {
        a.pk: a
        for a in Advance.objects.select_for_update()
        .filter(dispositif=dispositif, status__in=LIVE_STATUSES)
        .order_by("pk")
    }
    instalments = (
        Instalment.objects.filter(advance__in=list(advances), superseded_at__isnull=True)
        .annotate(
            paid=Sum(
                "allocations__amount",
                filter=Q(allocations__repayment__reversal__isnull=True),
                default=ZERO,
            )
        )
        .order_by()
    )
    worst: dict[int, int] = dict.fromkeys(advances, 0)
    changed = []
    for instalment in instalments:
        late = instalment.paid < instalment.amount and instalment.due_on < today
        days = (today - instalment.due_on).days if late else 0
        if late:
            worst[instalment.advance_id] = max(worst[instalment.advance_id], days)
        if (instalment.overdue, instalment.days_past_due) != (late, days):
            instalment.overdue, instalment.days_past_due = late, days
            changed.append(instalment)
    Instalment.objects.bulk_update(changed, ["overdue", "days_past_due"])
    moved = 0
    for pk, advance in advances.items():
        days = worst[pk]
        if days and advance.status != AdvanceStatus.IN_ARREARS:
            _move(
                advance,
                AdvanceStatus.IN_ARREARS,
                by=None,
                comment=_("Jours de retard : %(days)d") % {"days": days},
            )
            moved += 1
        elif not days and advance.status == AdvanceStatus.IN_ARREARS:
            _move(advance, _settled_status(advance), by=None, comment=_("Retard rattrapé"))
            moved += 1
        if (advance.days_past_due, advance.arrears_checked_on) != (days, today):
            advance.days_past_due, advance.arrears_checked_on = days, today
            advance.save(update_fields=["days_past_due", "arrears_checked_on"])
    balances = ledger.advance_balances(list(advances))
    funds = Fund.objects.filter(dispositif=dispositif).values_list("pk", flat=True)
    fund_out = ledger.fund_balances(funds)
    for fund_id in funds:
        at_risk = sum(
            (
                balances[pk].outstanding
                for pk, a in advances.items()
                if a.fund_id == fund_id and worst[pk] > PAR_DAYS
            ),
            ZERO,
        )
        PortfolioSnapshot.objects.update_or_create(
            dispositif_id=dispositif.pk,
            fund_id=fund_id,
            as_of=today,
            defaults={
                "outstanding": fund_out[fund_id].outstanding,
                "at_risk_30": at_risk,
                "advances_in_arrears": sum(
                    1 for pk, a in advances.items() if a.fund_id == fund_id and worst[pk]
                ),
            },
        )
    return {
        "advances": len(advances),
        "overdue_instalments": sum(1 for i in instalments if i.overdue),
        "moved": moved,
    }
