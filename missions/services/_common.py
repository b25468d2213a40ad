"""What the missions services share: the row-level refusal (``MissionAccessError``) and
the checks of who may act on a mission, the month's advisory lock and closed state, and the
check of a reason."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils.translation import gettext as _

from alize.actions import Action
from alize.errors import ApplicationError
from dispositifs.access import may, row_reach
from partners.models import Expert

from ..models import REASON_MIN_LENGTH, ClosedMonth, SkillMission


class MissionAccessError(ApplicationError):
    """The caller reaches the row but may not do this to it (e.g. another firm's answer)."""

    status_code = 403
    default_code = "forbidden"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


# Namespace of the missions' transaction-level advisory locks (« MI » in the top bits).
_MONTH_LOCK_NAMESPACE = 0x4D49 << 40


def lock_month(*, dispositif_id: int, day: dt.date, shared: bool) -> None:
    """Take the month's advisory lock until the transaction ends: hour writes take it
    shared (they run side by side), closing the month takes it exclusive, so a month is
    never closed while a write that found it open is still uncommitted."""
    key = _MONTH_LOCK_NAMESPACE | (dispositif_id << 20) | (day.year * 12 + day.month - 1)
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [key])


def is_month_closed(*, dispositif_id: int, day: dt.date) -> bool:
    """Has the dispositif closed the month of ``day``?"""
    return ClosedMonth.objects.filter(dispositif_id=dispositif_id, month=month_start(day)).exists()


# ---------------------------------------------------------------------------------------
# Who may do what to a row.


def _manages(user, mission: SkillMission) -> bool:
    return may(user, Action.MANAGE, mission.dispositif_id)


def _responds_for_firm(user, mission: SkillMission) -> bool:
    """The firm's correspondent (or someone who reaches the whole dispositif for it)."""
    if not may(user, Action.RESPOND_MISSION, mission.dispositif_id):
        return False
    reach = row_reach(user, Action.RESPOND_MISSION)
    return (
        reach.dispositif_ids is None  # reach.everything, spelt so the type narrows
        or mission.dispositif_id in reach.dispositif_ids
        or mission.firm_id in reach.organisations
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise MissionAccessError(message)


def _expert_of(user) -> Expert | None:
    return Expert.objects.filter(user=user).first() if user is not None else None


def _check_reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise ApplicationError(
            _("Dites pourquoi en au moins %(count)d caractères.") % {"count": REASON_MIN_LENGTH},
            field=field_name,
            code="reason_required",
        )
    return reason
