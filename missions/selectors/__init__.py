"""Read side of skill missions, expert hours and partner fatigue.

Row reach (the access policy's ``row_reach``): the national coordination reads every row;
an animateur the rows of their dispositif; a firm correspondent the rows of their firm in
every dispositif (cross-territory missions included); an expert only the missions they are
assigned to and only their own hour logs. Everything else answers 404.

Querysets (for lists, API and pages; lazily evaluated, scoped):
- ``mission_queryset(user, action=VIEW_MISSION)``, ``mission_get(user, pk, action=…)``;
- ``hour_log_queryset(user)``, ``hour_log_get(user, pk)``;
- ``expert_queryset(user)``, ``expert_get(user, pk)``: the correspondent its firm's
  experts, the animateur those of firms seated in its dispositif plus those available to
  other dispositifs, the coordination all, an expert themself;
  ``may_manage_expert(user, expert)`` (correspondent of the firm, coordination) and
  ``shows_personal_data(user, expert)`` (those, and the expert themself) for e-mail/phone.

Figures (each a constant number of queries whatever the rows):
- ``firm_year_figures(firm_ids=, year=)`` → ``{firm_id: FirmFigures}``: hours asked
  (planned hours of the missions proposed to the firm starting that year), pledged (its
  memberships' yearly pledges), delivered (logged that year), missions declined, the
  over-pledge flag. National per firm (a firm's contribution is national, cross-territory
  hours included): summed in SQL over every dispositif, returning only the totals.
- ``mission_suggestions(user=, dispositif_id=, skill=, project=None)`` → experts of firms
  seated in the dispositif plus experts available to other dispositifs, ordered by skill
  match (the mission skill first, then the project's other needs), then pledge headroom
  (firms under their yearly pledge first), each with its firm's ``FirmFigures``.
- ``fatigue_report(user=, year=)`` → ``FatigueReport``: per firm the year's figures, per
  dispositif the months since a partner firm last joined the tour de table; for
  animateurs and the coordination (MANAGE).
- ``week_grid(expert=, monday=, today=None)`` → ``WeekGrid``: the expert's missions × 7
  days with each cell's entry, adjustments, lock state (days to come are locked), the day
  totals (every dispositif).
- ``expert_to_log(expert=, today=)``: missions in progress without hours this month.
- ``firm_portal(user=, firm=, year=)`` → ``FirmPortal``: hours by month and dispositif,
  their value at the firm's rate, the pledge use.
- ``rate_for(firm)``: the firm's ``ExpertRate`` or the national default.
"""

from ._common import mission_logged_hours
from .fatigue import fatigue_report
from .figures import FirmFigures, firm_year_figures, rate_for, rates_for
from .hours import expert_to_log, week_grid
from .portal import firm_portal
from .reach import (
    expert_get,
    expert_of,
    expert_queryset,
    hour_log_get,
    hour_log_queryset,
    hour_log_rows,
    managed_firm_ids,
    may_manage_expert,
    mission_api_queryset,
    mission_get,
    mission_queryset,
    mission_rows,
    shows_personal_data,
)
from .suggestions import mission_suggestions

__all__ = (
    "mission_logged_hours",
    "FirmFigures",
    "expert_get",
    "expert_of",
    "expert_queryset",
    "expert_to_log",
    "fatigue_report",
    "firm_portal",
    "firm_year_figures",
    "hour_log_get",
    "hour_log_queryset",
    "hour_log_rows",
    "managed_firm_ids",
    "may_manage_expert",
    "mission_api_queryset",
    "mission_get",
    "mission_queryset",
    "mission_rows",
    "mission_suggestions",
    "rate_for",
    "rates_for",
    "shows_personal_data",
    "week_grid",
)
