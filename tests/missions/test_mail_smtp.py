"""The missions' e-mails through the mail layer and a real local SMTP server: the monthly
reminder reaches each expert once even when the job runs twice; the proposal reaches the
firm's correspondent and the decline the animateur, in the recipient's language."""

from __future__ import annotations

import pytest

from alize.tenancy import scope
from missions import notifications, tasks
from missions.models import SkillMission

from .conftest import log

pytestmark = pytest.mark.django_db

FRENCH_MONTHS = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
]


def recipients(smtp_server) -> list[str]:
    return sorted(message["To"] for message in smtp_server.messages)


def test_the_monthly_reminder_reaches_each_expert_once_when_the_job_runs_twice(
    missions_world, smtp_server
):
    mw = missions_world
    day = mw.log_a.date
    month = day.replace(day=1).isoformat()
    # A's expert has no hours that month any more; B's expert has some.
    log(mw.mission_a, mw.expert_a, day, "0")
    with scope(every_dispositif=True, reason="test: the job's own scopes"):
        first = tasks.send_monthly_reminders.apply(kwargs={"month": month}).get()
        second = tasks.send_monthly_reminders.apply(kwargs={"month": month}).get()
    assert len(first) == len(second) >= 2  # one task per dispositif, each time
    (message,) = smtp_server.messages
    assert mw.expert_a.user.email in message["To"]
    # The month as a sentence writes it, « juillet 2026 », not « 07/2026 ».
    month_name = f"{FRENCH_MONTHS[day.month - 1]} {day.year}"
    body = message.get_body(("plain",)).get_content()
    assert month_name in message["Subject"]
    assert month_name in body
    assert mw.skill.name in body


def test_proposal_and_decline_reach_the_correspondent_and_the_animateur(
    missions_world, smtp_server
):
    mw = missions_world
    world = mw.world
    with scope([world.a.pk]):
        mission = SkillMission.objects.select_related(
            "skill", "project__company", "dispositif", "firm"
        ).get(pk=mw.mission_a.pk)
        assert notifications.send_mission_proposal(mission) == 1
        assert notifications.send_mission_proposal(mission) == 0
        mission.decline_reason = "Aucun expert disponible."
        assert notifications.send_mission_declined(mission) == 1
    assert recipients(smtp_server) == sorted([world.correspondent_a.email, world.animateur_a.email])


def test_the_invitation_mails_a_working_link_to_choose_a_password(
    missions_world, smtp_server, client, django_capture_on_commit_callbacks
):
    from partners.services import expert_invite

    from .conftest import make_expert

    expert = make_expert(missions_world.world.firm_a, email="nouvelle.experte@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        expert_invite(expert=expert)
    (message,) = smtp_server.messages
    assert message["To"] == "nouvelle.experte@example.org"
    body = message.get_body(("plain",)).get_content()
    (link,) = [line for line in body.splitlines() if "/accounts/password-reset/" in line]
    path = link.split("://", 1)[1].split("/", 1)[1]
    response = client.get("/" + path)
    assert response.status_code in (200, 302)
    assert "invalid" not in response.content.decode().lower()
