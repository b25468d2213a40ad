"""Write side of skill missions and expert hours.

Contracts (every service is atomic, takes keyword-only arguments, validates fully and
raises ``ApplicationError`` / ``ValidationError`` naming the field; a refused operation
changes nothing). Callers fetch the objects they pass through the selectors (so an object
outside the caller's reach is already a 404); the services then check the row-level rule
of their action and refuse with ``MissionAccessError`` (HTTP 403, code ``forbidden``).

Missions (``SkillMission``):
- ``mission_create(decision=, firm=, skill=, objective=, planned_hours=, starts_on=,
  ends_on=, by=)`` — the animateur (MANAGE in the decision's dispositif) proposes a mission
  of an approved decision to a firm: not more live missions (proposed, accepted, in
  progress, completed) than the decision granted; the firm either holds a seat in the
  dispositif or has an active expert available to other dispositifs (then
  ``cross_territory`` is set). Mails the proposal to the firm's correspondents.
- ``mission_accept(mission=, by=, experts=(), confirm_without_skill=False)`` /
  ``mission_decline(mission=, by=, reason=)`` — the firm's correspondent (RESPOND_MISSION
  for that firm) answers a proposed mission; a decline says why (≥ 10 characters) and is
  mailed to the dispositif's animateurs. ``mission_assign_expert(mission=, expert=, by=,
  confirm_without_skill=False)`` adds an active expert of the firm (one available to other
  dispositifs for a cross-territory mission). An expert without the mission's skill is
  refused (``expert_lacks_skill``) unless ``confirm_without_skill`` says the firm chose
  them knowingly (the page asks first, the API takes the flag).
- ``mission_start(mission=, by=)`` (accepted → in progress, needs an assigned expert; the
  animateur or the correspondent), ``mission_record_evaluation(mission=, by=, party=,
  text=, rating=None)`` (``party`` "sme": the animateur writes the SME's; "expert": an
  expert assigned to it, or the animateur), ``mission_complete(mission=, by=)`` (in
  progress → completed, refused until both evaluations are there),
  ``mission_cancel(mission=, by=, reason=)`` (animateur). Every move is a
  ``MissionTransition``; an illegal one raises ``ApplicationError`` code
  ``illegal_transition``.

Hours (``HourLog``):
- ``hours_save_week(expert=, cells=[HourCell(mission_id, date, hours, note)], by=)`` —
  the expert (``by`` is the expert's own user) saves grid cells: each cell sets the entry
  of (mission, day) (``hours`` 0 or ``None`` removes it). Every cell is checked alone and
  saved in its own savepoint: the result lists what was saved and, for each refused cell,
  a message naming the day and the mission (``WeekResult``). Rules: the expert is
  assigned to a mission that is accepted or in progress, hours > 0 in quarter hours
  (``missions.hour_rules``), the day within the mission's dates and already come (today
  at the latest), not in a closed month, at most 12 hours per person per day across
  every mission of every dispositif. The expert's row is locked (``SELECT … FOR UPDATE``)
  for the whole save, so two concurrent saves cannot both pass the 12-hour check.
- ``hour_log_save(mission=, expert=, date=, hours=, note="", by=, zero_removes=True)`` —
  one cell, raising instead of collecting (the API's write, which passes
  ``zero_removes=False``: no hours are refused there, DELETE removes an entry).
- ``hour_log_delete(log=, by=)`` — the expert removes an entry of an open month.
- ``hour_adjustment_create(mission=, expert=, date=, hours=, reason=, by=, corrects=None)``
  — a visible correction with signed hours and a reason (≥ 10 characters), allowed in a
  closed month too: by the dispositif's animateur, or the expert on their own mission.
  The hours are quarter hours; the day lies within the mission's dates and has come; the
  day's total stays between 0 and 12 hours.
- ``month_close(dispositif=, month=, by=)`` — the animateur locks a month's entries. Hour
  writes hold the month's advisory lock shared and closing takes it exclusive, so a month
  never closes under a write that found it open.

Each hour change also adds itself to ``FirmMonthHours`` (the firm's monthly total in the
dispositif) in the same transaction.

One module per sub-domain (``lifecycle``: missions, their answers, experts, moves and
evaluations; ``hours``: entries, the week grid, adjustments; ``closing``: month closing;
``_common`` holds their shared helpers); callers import the services from this package.
"""

from __future__ import annotations

from ._common import MissionAccessError, is_month_closed, lock_month, month_start
from .closing import CLOSING_YEARS_BACK, month_close
from .hours import (
    ZERO,
    CellError,
    HourCell,
    WeekResult,
    day_total,
    hour_adjustment_create,
    hour_log_delete,
    hour_log_save,
    hours_save_week,
)
from .lifecycle import (
    LIVE_STATUSES,
    firm_is_seated,
    firm_lends_across_territories,
    mission_accept,
    mission_assign_expert,
    mission_cancel,
    mission_complete,
    mission_create,
    mission_decline,
    mission_record_evaluation,
    mission_start,
)

__all__ = (
    "CLOSING_YEARS_BACK",
    "LIVE_STATUSES",
    "ZERO",
    "CellError",
    "HourCell",
    "MissionAccessError",
    "WeekResult",
    "day_total",
    "firm_is_seated",
    "firm_lends_across_territories",
    "hour_adjustment_create",
    "hour_log_delete",
    "hour_log_save",
    "hours_save_week",
    "is_month_closed",
    "lock_month",
    "mission_accept",
    "mission_assign_expert",
    "mission_cancel",
    "mission_complete",
    "mission_create",
    "mission_decline",
    "mission_record_evaluation",
    "mission_start",
    "month_close",
    "month_start",
)
