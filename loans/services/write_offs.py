"""Write-offs, maker-checker: one person proposes with a reason, another approves (the
outstanding principal is posted as a loss) or rejects."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
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
    WriteOff,
    WriteOffStatus,
)
from ._common import _move, _reason, _today
from .provisions import provision_use


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
    posted as a loss, shared between contributions as it is out, the advance's allowance
    is used (``provision_use``), and the advance closes."""
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
    provision_use(advance=advance, write_off=locked, on=on, by=by)
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
