"""Row reach: the missions, hour logs and experts a user reaches, their plain rows for
lists and the API, and who manages an expert or sees their contact details."""

from __future__ import annotations

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, F, OuterRef, Q
from django.http import Http404

from alize.actions import Action
from dispositifs.access import dispositif_ids, row_reach
from dispositifs.models import Membership
from partners.models import Expert

from ..models import HourLog, MissionAssignment, SkillMission


def _nothing() -> Q:
    return Q(pk__in=[])


def mission_queryset(user, action: str = Action.VIEW_MISSION):
    """Missions ``user`` reaches for ``action`` (see the row reach in ``missions.selectors``)."""
    reach = row_reach(user, action)
    queryset = SkillMission.objects.for_user(user, action)
    if reach.everything:
        return queryset
    condition = Q(dispositif__in=reach.dispositif_ids) if reach.dispositif_ids else _nothing()
    if reach.organisations:
        condition |= Q(firm__in=reach.organisations)
    if reach.own:
        condition |= Q(
            Exists(MissionAssignment.objects.filter(mission=OuterRef("pk"), expert__user=user))
        )
    return queryset.filter(condition)


def _expert_ids():
    return ArraySubquery(
        MissionAssignment.objects.filter(mission=OuterRef("pk"))
        .order_by("expert_id")
        .values("expert_id")
    )


def mission_api_queryset(user, action: str = Action.VIEW_MISSION):
    """Missions for the API: with their project, firm and skill, and ``expert_ids``."""
    return (
        mission_queryset(user, action)
        .select_related("project", "firm", "skill", "dispositif")
        .annotate(expert_ids=_expert_ids())
    )


MISSION_ROW_COLUMNS = (
    "id",
    "dispositif_id",
    "project_id",
    "decision_id",
    "firm_id",
    "skill_id",
    "objective",
    "planned_hours",
    "starts_on",
    "ends_on",
    "status",
    "cross_territory",
    "decline_reason",
    "sme_evaluation",
    "sme_rating",
    "expert_evaluation",
    "expert_rating",
    "proposed_at",
    "status_changed_at",
)


def mission_rows(queryset):
    """Plain rows of a missions list (one query): the mission's columns, its dispositif's
    slug, project title, firm and skill names, and its experts' ids."""
    return queryset.values(
        *MISSION_ROW_COLUMNS,
        dispositif_slug=F("dispositif__slug"),
        project_title=F("project__title"),
        firm_name=F("firm__name"),
        skill_name=F("skill__name"),
        expert_ids=_expert_ids(),
    )


HOUR_LOG_ROW_COLUMNS = (
    "id",
    "dispositif_id",
    "mission_id",
    "expert_id",
    "date",
    "hours",
    "kind",
    "corrects_id",
    "note",
    "reason",
    "created_at",
    "updated_at",
)


def hour_log_rows(queryset):
    """Plain rows of an hour-log list (one query) with the dispositif's slug."""
    return queryset.values(*HOUR_LOG_ROW_COLUMNS, dispositif_slug=F("dispositif__slug"))


def mission_get(user, pk, action: str = Action.VIEW_MISSION) -> SkillMission:
    """One mission the user reaches, or 404 (missing and out of reach look the same)."""
    mission = (
        mission_queryset(user, action)
        .select_related("project__company", "skill", "firm", "dispositif", "decision")
        .filter(pk=pk)
        .first()
    )
    if mission is None:
        raise Http404
    return mission


def hour_log_queryset(user):
    """Hour logs ``user`` reaches: the dispositif's (animateur), the firm's
    (correspondent), one's own (expert)."""
    action = Action.VIEW_MISSION
    reach = row_reach(user, action)
    queryset = HourLog.objects.for_user(user, action)
    if reach.everything:
        return queryset
    condition = Q(dispositif__in=reach.dispositif_ids) if reach.dispositif_ids else _nothing()
    if reach.organisations:
        condition |= Q(mission__firm__in=reach.organisations)
    if reach.own:
        condition |= Q(expert__user=user)
    return queryset.filter(condition)


def hour_log_get(user, pk) -> HourLog:
    log = hour_log_queryset(user).select_related("mission", "expert").filter(pk=pk).first()
    if log is None:
        raise Http404
    return log


def expert_queryset(user):
    """Experts ``user`` may read (see ``missions.selectors``); experts are global rows."""
    respond = row_reach(user, Action.RESPOND_MISSION)
    if respond.everything:
        return Expert.objects.all()
    condition = _nothing()
    if respond.organisations:
        condition |= Q(organisation__in=respond.organisations)
    managed = dispositif_ids(user, Action.MANAGE)
    if managed is None:
        return Expert.objects.all()
    if managed:
        seated = Membership.objects.filter(
            dispositif__in=managed, organisation=OuterRef("organisation"), left_on__isnull=True
        )
        condition |= Q(Exists(seated)) | Q(lends_across_territories=True, is_active=True)
    if getattr(user, "is_authenticated", False):
        condition |= Q(user=user)
    return Expert.objects.filter(condition)


def expert_get(user, pk) -> Expert:
    expert = expert_queryset(user).select_related("organisation").filter(pk=pk).first()
    if expert is None:
        raise Http404
    return expert


def may_manage_expert(user, expert: Expert) -> bool:
    """The firm's correspondent and the national coordination manage an expert."""
    reach = row_reach(user, Action.RESPOND_MISSION)
    return reach.everything or expert.organisation_id in reach.organisations


def managed_firm_ids(user) -> frozenset[int] | None:
    """Firms whose experts ``user`` manages (``None``: every firm)."""
    reach = row_reach(user, Action.RESPOND_MISSION)
    return None if reach.everything else reach.organisations


def shows_personal_data(user, expert: Expert) -> bool:
    """E-mail and phone go to those who manage the expert, and to the expert themself."""
    own = getattr(user, "pk", None) is not None and expert.user_id == user.pk
    return own or may_manage_expert(user, expert)


def expert_of(user) -> Expert | None:
    """The expert profile of a user, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return Expert.objects.filter(user=user).select_related("organisation").first()
