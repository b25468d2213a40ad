"""Write side of committees: scheduling, agenda, attendance, partner commitments, decisions.

Services run in the caller's scope, are atomic and refuse with ``ApplicationError`` or a
field-keyed ``ValidationError``; a refused operation changes nothing.
"""

from ._common import HELD_STATUSES, SITTING_STATUSES
from .agenda import agenda_add_project, agenda_move_item, agenda_remove_item, agenda_reorder
from .calendar_feed import (
    calendar_feed_open,
    calendar_feed_owner,
    calendar_feed_revoke,
    calendar_feed_token,
)
from .commitments import commitment_delete, commitment_record
from .governance import committee_reply, interest_declare
from .meeting import (
    OUTCOME_STAGE,
    RosterLine,
    attendance_record_roster,
    committee_correct_decision,
    committee_record_decision,
    decision_is_correctable,
    is_in_session,
)
from .scheduling import (
    committee_delete,
    committee_record_past,
    committee_schedule,
    committee_set_status,
    committee_suggest_host,
    committee_update,
)
from .scoring import (
    criterion_create,
    criterion_delete,
    criterion_is_used,
    criterion_update,
    dossier_score,
)

__all__ = (
    "HELD_STATUSES",
    "OUTCOME_STAGE",
    "SITTING_STATUSES",
    "agenda_add_project",
    "agenda_move_item",
    "agenda_remove_item",
    "agenda_reorder",
    "attendance_record_roster",
    "calendar_feed_open",
    "calendar_feed_owner",
    "calendar_feed_revoke",
    "calendar_feed_token",
    "RosterLine",
    "commitment_delete",
    "commitment_record",
    "committee_correct_decision",
    "committee_delete",
    "committee_record_decision",
    "committee_record_past",
    "committee_reply",
    "committee_schedule",
    "committee_set_status",
    "committee_suggest_host",
    "committee_update",
    "criterion_create",
    "criterion_delete",
    "criterion_is_used",
    "criterion_update",
    "dossier_score",
    "decision_is_correctable",
    "interest_declare",
    "is_in_session",
)
