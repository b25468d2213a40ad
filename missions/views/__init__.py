"""Browser pages of skill missions: the missions list and page (proposal, the firm's answer,
assignments, moves, evaluations), the expert's week grid, the month closing, the fatigue
view, the firms' experts, and the firm portal's export.

Who does what is the access policy's: animateurs run their dispositif's missions
(``MANAGE``), a firm correspondent answers for its firm (``RESPOND_MISSION``), an expert
logs hours on their own missions (``LOG_HOURS``). Rows outside what a user reaches answer
404. Every write goes through ``missions.services`` (or ``partners.services`` for
experts), whose refusals come back onto the form's fields.
"""

from .closing import AdjustmentView, ClosingView
from .detail import MissionDetailView
from .experts import (
    ExpertCreateView,
    ExpertDetailView,
    ExpertInviteView,
    ExpertListView,
    ExpertUpdateView,
)
from .fatigue import FatigueView
from .hours import WeekGridView
from .lifecycle import MissionAnswerView, MissionAssignView, MissionEvaluationView, MissionMoveView
from .listing import MissionListView
from .portal import FirmHoursExportView
from .proposal import MissionProposeView

__all__ = (
    "AdjustmentView",
    "ClosingView",
    "ExpertCreateView",
    "ExpertDetailView",
    "ExpertInviteView",
    "ExpertListView",
    "ExpertUpdateView",
    "FatigueView",
    "FirmHoursExportView",
    "MissionAnswerView",
    "MissionAssignView",
    "MissionDetailView",
    "MissionEvaluationView",
    "MissionListView",
    "MissionMoveView",
    "MissionProposeView",
    "WeekGridView",
)
