"""The missions' e-mails, sent through the mail layer (``alize.mail.send_once``): each has
a key unique forever, so a job that runs twice sends once. Recipients read their mail in
their own language; contexts hold plain values and paths (the mail layer adds the site's
address as ``site_url``).

- the proposal of a mission, to each correspondent of the firm (key per mission and user);
- a decline, to each animateur of the dispositif (key per mission and user);
- the monthly reminder, to each expert with a mission in progress and no hours logged in
  the month (key per expert and month);
- the invitation of an expert to an account (``partners.services.expert_invite``).
"""

from __future__ import annotations

import datetime as dt

from alize.accounts.models import Role, RoleAssignment
from alize.mail import send_once

from .models import SkillMission


def firm_correspondents(firm_id: int) -> list:
    """Users who answer for the firm (its correspondents)."""
    return [
        assignment.user
        for assignment in RoleAssignment.objects.select_related("user").filter(
            role=Role.FIRM_CORRESPONDENT, organisation_id=firm_id, user__is_active=True
        )
    ]


def dispositif_animateurs(dispositif_id: int) -> list:
    """Users who run the dispositif (its animateurs)."""
    return [
        assignment.user
        for assignment in RoleAssignment.objects.select_related("user").filter(
            role=Role.ANIMATEUR, dispositif_id=dispositif_id, user__is_active=True
        )
    ]


def _mission_context(mission: SkillMission) -> dict:
    return {
        "mission_id": mission.pk,
        "mission_path": f"/missions/{mission.pk}/",
        "skill": mission.skill.name,
        "project": mission.project.title,
        "company": mission.project.company.name,
        "dispositif": mission.dispositif.name,
        "firm": mission.firm.name,
        "objective": mission.objective,
        "planned_hours": f"{mission.planned_hours.normalize():f}",
        "starts_on": mission.starts_on.isoformat(),
        "ends_on": mission.ends_on.isoformat(),
        "cross_territory": mission.cross_territory,
        "decline_reason": mission.decline_reason,
    }


def send_mission_proposal(mission: SkillMission) -> int:
    """Mail the proposal to each correspondent of the firm; returns how many were sent."""
    context = _mission_context(mission)
    return sum(
        send_once(
            key=f"missions:proposal:{mission.pk}:user-{user.pk}",
            to=user,
            template="missions/proposal",
            context=context,
        )
        for user in firm_correspondents(mission.firm_id)
    )


def send_mission_declined(mission: SkillMission) -> int:
    """Mail a decline (and its reason) to each animateur of the dispositif."""
    context = _mission_context(mission)
    return sum(
        send_once(
            key=f"missions:declined:{mission.pk}:user-{user.pk}",
            to=user,
            template="missions/declined",
            context=context,
        )
        for user in dispositif_animateurs(mission.dispositif_id)
    )


def send_monthly_reminder(*, expert, month: dt.date, missions: list[SkillMission]) -> bool:
    """Remind an expert to log the month's hours on their missions (once per month)."""
    return send_once(
        key=f"missions:reminder:{month:%Y-%m}:expert-{expert.pk}",
        to=expert.user or expert.email,
        template="missions/reminder",
        context={
            "expert": expert.full_name,
            "month": month,
            "missions": [f"{m.skill.name} — {m.project.title}" for m in missions],
            "grid_path": "/missions/hours/",
        },
    )
