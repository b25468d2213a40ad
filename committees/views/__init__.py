"""Browser views of committees (the tour de table): list, detail, scheduling, agenda,
attendance, partner commitments and decisions.

Who does what: animateurs of the dispositif and national coordinators run the committee;
committee members read it and record their own organisation's commitments; other roles
get 404. Objects are fetched through scoped managers restricted to the dispositifs whose
committees the user reads, so another dispositif's committee is a 404 like a missing one.
Every change goes through ``committees.services``; a refusal re-renders the page with
HTTP 400 and the message, and changes nothing.
"""

from .agenda import AgendaAddView, AgendaMoveView, AgendaRemoveView
from .calendar import CalendarFeedPageView, CalendarFeedView, CommitteeInvitationView
from .commitments import CommitmentAddView, CommitmentDeleteView, UsualToolsView
from .detail import CommitteeDetailView
from .listing import CommitteeListView
from .meeting import (
    AttendanceView,
    DecisionCorrectView,
    DecisionView,
    InterestDeclareView,
    ReplyView,
)
from .scheduling import (
    CommitteeCreateView,
    CommitteeRecordPastView,
    CommitteeStatusView,
    CommitteeUpdateView,
)
from .scoring import CriteriaView, CriterionDeleteView, CriterionUpdateView, ScoreView

__all__ = (
    "CalendarFeedPageView",
    "CalendarFeedView",
    "CommitteeInvitationView",
    "AgendaAddView",
    "AgendaMoveView",
    "AgendaRemoveView",
    "AttendanceView",
    "CommitmentAddView",
    "CommitmentDeleteView",
    "CommitteeCreateView",
    "CommitteeDetailView",
    "CommitteeListView",
    "CommitteeRecordPastView",
    "CommitteeStatusView",
    "CommitteeUpdateView",
    "DecisionCorrectView",
    "DecisionView",
    "InterestDeclareView",
    "ReplyView",
    "CriteriaView",
    "CriterionDeleteView",
    "CriterionUpdateView",
    "ScoreView",
    "UsualToolsView",
)
