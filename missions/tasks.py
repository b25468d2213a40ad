"""Jobs of the missions app (``alize.tasks.ScopedTask``: ids in, queued on commit, run in
the scope of their dispositif): the e-mails of a mission's proposal and decline, and the
monthly reminder (national, fanned out per dispositif; beat entry
``missions-monthly-reminder``)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db.models import Exists, OuterRef
from django.utils import timezone

from alize.tasks import ScopedTask

from . import notifications
from .models import HourLog, MissionAssignment, MissionStatus, SkillMission


def _mission(mission_id: int) -> SkillMission:
    return SkillMission.objects.select_related(
        "skill", "project__company", "dispositif", "firm"
    ).get(pk=mission_id)


@shared_task(base=ScopedTask, name="missions.tasks.send_mission_proposal")
def send_mission_proposal(*, dispositif, mission_id: int) -> int:
    """Mail a new mission's proposal to the firm's correspondents."""
    return notifications.send_mission_proposal(_mission(mission_id))


@shared_task(base=ScopedTask, name="missions.tasks.send_mission_declined")
def send_mission_declined(*, dispositif, mission_id: int) -> int:
    """Mail a firm's decline to the dispositif's animateurs."""
    return notifications.send_mission_declined(_mission(mission_id))


def experts_to_remind(*, dispositif_id: int, month: dt.date) -> dict:
    """Experts assigned to a mission of the dispositif in progress during ``month`` with no
    hours logged on it that month: ``{expert: [missions]}``."""
    month_end = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    logged = HourLog.objects.filter(
        mission=OuterRef("mission"),
        expert=OuterRef("expert"),
        date__gte=month,
        date__lt=month_end,
    )
    assignments = (
        MissionAssignment.objects.filter(
            dispositif_id=dispositif_id,
            mission__status=MissionStatus.IN_PROGRESS,
            mission__starts_on__lt=month_end,
            mission__ends_on__gte=month,
            expert__is_active=True,
        )
        .exclude(Exists(logged))
        .select_related("expert__user", "mission__skill", "mission__project")
        .order_by("expert_id", "mission_id")
    )
    found: dict = {}
    for assignment in assignments:
        found.setdefault(assignment.expert, []).append(assignment.mission)
    return found


@shared_task(base=ScopedTask, national=True, name="missions.tasks.send_monthly_reminders")
def send_monthly_reminders(*, dispositif, month: str | None = None) -> int:
    """Monthly (beat, the 25th): remind each expert with a mission in progress and no hours
    on it this month. The key is per expert and month, so a run twice (or an expert in two
    dispositifs) sends one reminder; returns how many this run sent."""
    first = dt.date.fromisoformat(month) if month else timezone.localdate().replace(day=1)
    sent = 0
    for expert, missions in experts_to_remind(dispositif_id=dispositif.pk, month=first).items():
        if expert.user is None and not expert.email:
            continue
        sent += notifications.send_monthly_reminder(expert=expert, month=first, missions=missions)
    return sent
