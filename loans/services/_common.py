"""What the loans services share: today's date, the checks of a reason and of a date not in
the future, and the moves of an advance along its lifecycle."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext as _

from alize.errors import ApplicationError

from ..models import ADVANCE_LIFECYCLE, Advance, AdvanceStatus

REASON_MIN_LENGTH = 10
REASON_MAX_LENGTH = 2000


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


def _move(advance: Advance, to_status: str, *, by, comment: str = "", at=None) -> None:
    """Move an advance the caller locked along its lifecycle (``ADVANCE_LIFECYCLE``):
    checked, and recorded with who, when and why."""
    ADVANCE_LIFECYCLE.move(advance, to_status, by=by, reason=comment, at=at, locked=True)


def _settled_status(advance: Advance) -> str:
    """Where a repaying advance stands once nothing is overdue any more."""
    return AdvanceStatus.RESCHEDULED if advance.schedule_version > 1 else AdvanceStatus.REPAYING
