"""Read side of the pme app: lists, the project page's panels and the pipeline funnel.

Selectors run inside the caller's tenancy scope and narrow it with the access policy
(``for_user``): an animateur who also sits on another dispositif's committee reads that
one's dossiers but does not run its pipeline.
"""

from ._common import managed_dispositifs
from .companies import (
    COMPANY_ROW_COLUMNS,
    EqualsAny,
    company_detail_queryset,
    company_list,
    company_projects,
    company_rows,
    criteria_met_condition,
    criteria_to_check_condition,
    eligibility_cutoff,
    project_count_subquery,
    with_dossier_gaps,
    with_eligibility,
)
from .follow_ups import (
    FollowUpYear,
    follow_up_list,
    open_follow_up_reminders,
    overdue_reminder_condition,
    project_follow_up_table,
)
from .funnel import (
    FUNNEL_CACHE_SECONDS,
    FUNNEL_VERSION_KEY,
    OUTSIDE_FUNNEL,
    Funnel,
    FunnelBar,
    funnel_changed,
    pipeline_funnel,
    pipeline_funnel_cached,
)
from .history import HISTORY_FIELDS, SAME_SAVE, FieldChange, HistoryEntry, project_history
from .projects import (
    PROJECT_ROW_COLUMNS,
    ProjectMoves,
    Step,
    Stepper,
    project_detail_queryset,
    project_list,
    project_manage_queryset,
    project_manual_next_stages,
    project_moves,
    project_rows,
    project_stepper,
    project_timeline,
    referral_sources,
    stale_projects,
)

__all__ = (
    "COMPANY_ROW_COLUMNS",
    "FUNNEL_CACHE_SECONDS",
    "FUNNEL_VERSION_KEY",
    "HISTORY_FIELDS",
    "OUTSIDE_FUNNEL",
    "PROJECT_ROW_COLUMNS",
    "SAME_SAVE",
    "EqualsAny",
    "FieldChange",
    "FollowUpYear",
    "follow_up_list",
    "Funnel",
    "FunnelBar",
    "HistoryEntry",
    "ProjectMoves",
    "Step",
    "Stepper",
    "company_detail_queryset",
    "company_list",
    "company_projects",
    "company_rows",
    "criteria_met_condition",
    "criteria_to_check_condition",
    "eligibility_cutoff",
    "funnel_changed",
    "managed_dispositifs",
    "open_follow_up_reminders",
    "overdue_reminder_condition",
    "pipeline_funnel",
    "pipeline_funnel_cached",
    "project_count_subquery",
    "project_detail_queryset",
    "project_follow_up_table",
    "project_history",
    "project_list",
    "project_manage_queryset",
    "project_manual_next_stages",
    "project_moves",
    "project_rows",
    "project_stepper",
    "project_timeline",
    "referral_sources",
    "stale_projects",
    "with_dossier_gaps",
    "with_eligibility",
)
