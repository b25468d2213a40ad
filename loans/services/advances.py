"""Advances from the committee's decision to the money paid out: creation, terms, contract,
disbursement (attributed to contributions, posted), the schedule and its reschedule. Every
move of an advance is recorded by its lifecycle (an ``AdvanceTransition``)."""

from __future__ import annotations

import calendar
import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.formats import money
from alize.services import model_update, validate_and_save
from alize.validators import latest_plausible_date

from .. import ledger
from ..models import (
    ADVANCE_LIFECYCLE,
    FREQUENCY_MONTHS,
    ZERO,
    Account,
    Advance,
    AdvanceStatus,
    EntryKind,
    Fund,
    FundContribution,
    Instalment,
)
from ..signals import advance_contracting, advance_rescheduled
from ._common import _move, _not_in_future, _reason, _today

ADVANCE_TERMS = ("amount", "grace_months", "instalment_count", "frequency")


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


def first_schedule(advance: Advance, disbursed_on: dt.date) -> list[tuple[dt.date, Decimal]]:
    """The schedule an advance gets when disbursed on ``disbursed_on``: (due date, amount)
    of each instalment, as ``advance_disburse`` writes it (version 1) and the contract
    prints it."""
    period = FREQUENCY_MONTHS[advance.frequency]
    due_dates = [
        add_months(disbursed_on, advance.grace_months + k * period)
        for k in range(1, advance.instalment_count + 1)
    ]
    return list(zip(due_dates, split_schedule(advance.amount, len(due_dates)), strict=True))


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
    """The contract is signed: approved → contracted, on ``contracted_on``; the advance
    keeps the SHA-256 of the contract PDF the platform produced for it, if any."""
    locked = ADVANCE_LIFECYCLE.lock(advance)
    _not_in_future(contracted_on, "contracted_on")
    ADVANCE_LIFECYCLE.check(locked.status, AdvanceStatus.CONTRACTED)
    if contracted_on < locked.decision.item.committee.date:
        raise ApplicationError(
            _("Le contrat ne peut pas précéder la décision du comité."), field="contracted_on"
        )
    _move(locked, AdvanceStatus.CONTRACTED, by=by)
    locked.contracted_on = contracted_on
    locked.contract_checksum = _signed_contract_checksum(locked)
    locked.save(update_fields=["contracted_on", "contract_checksum"])
    return locked


def _signed_contract_checksum(advance: Advance) -> str:
    """The SHA-256 of the contract PDF the SME signed, answered by the documents layer
    (``loans.signals.advance_contracting``); "" when the platform produced none."""
    answers = advance_contracting.send(sender=Advance, advance=advance)
    return next((checksum for _receiver, checksum in answers if checksum), "")


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
    _write_schedule(
        locked,
        version=1,
        principal=locked.amount,
        due_dates=[due_on for due_on, _amount in first_schedule(locked, disbursed_on)],
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
    """The advance's current schedule, oldest due first, each with ``paid`` (the allocations
    of repayments not reversed, kept by PostgreSQL)."""
    return list(
        Instalment.objects.filter(advance=advance, superseded_at__isnull=True).order_by(
            "due_on", "schedule_version", "number"
        )
    )


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
    advance_rescheduled.send(sender=Advance, advance=locked, by=by, reason=reason)
    return locked
