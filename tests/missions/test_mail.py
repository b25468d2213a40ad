"""The missions' e-mails: their templates in the recipient's language, and who the monthly
reminder is for (an expert with a mission in progress and no hours on it this month)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.utils import translation

from alize.tenancy import scope
from missions import tasks
from missions.notifications import (
    _mission_context,
    dispositif_animateurs,
    firm_correspondents,
)

from .conftest import log

pytestmark = pytest.mark.django_db


def render(template: str, context: dict, language: str) -> tuple[str, str]:
    values = {"site_url": "https://alize.example", "recipient_name": "Claire", **context}
    with translation.override(language):
        subject = render_to_string(f"mail/{template}/subject.txt", values)
        body = render_to_string(f"mail/{template}/body.txt", values)
    return subject, body


def test_proposal_and_decline_name_the_mission_in_the_recipients_language(missions_world):
    mw = missions_world
    with scope([mw.world.a.pk]):
        mission = (
            type(mw.mission_a)
            .objects.select_related("skill", "project__company", "dispositif", "firm")
            .get(pk=mw.mission_a.pk)
        )
        context = _mission_context(mission)
    subject, body = render("missions/proposal", context, "fr")
    assert mw.skill.name in subject and "proposée" in subject
    assert f"https://alize.example/missions/{mission.pk}/" in body
    assert mission.project.company.name in body and "Bonjour Claire," in body
    subject, body = render("missions/proposal", context, "en")
    assert subject.startswith("Alizé: a skill mission is proposed to you")
    context["decline_reason"] = "Nos experts sont tous pris."
    subject, body = render("missions/declined", context, "en")
    assert "declines" in subject and "Nos experts sont tous pris." in body


def test_reminder_and_invitation_templates(missions_world):
    subject, body = render(
        "missions/reminder",
        {
            "month": dt.date(2026, 11, 1),
            "missions": ["Qualité — Projet"],
            "grid_path": "/missions/hours/",
        },
        "fr",
    )
    assert "novembre 2026" in subject and "- Qualité — Projet" in body
    assert "https://alize.example/missions/hours/" in body
    subject, body = render(
        "partners/expert_invitation",
        {"firm": "EDF", "email": "e@example.org", "set_password_path": "/x/"},
        "en",
    )
    assert "EDF" in subject and "e@example.org" in body and "https://alize.example/x/" in body


def test_recipients_are_the_firms_correspondents_and_the_dispositifs_animateurs(missions_world):
    world = missions_world.world
    assert firm_correspondents(world.firm_a.pk) == [world.correspondent_a]
    assert dispositif_animateurs(world.a.pk) == [world.animateur_a]


def test_the_reminder_goes_to_experts_without_hours_this_month(missions_world):
    mw = missions_world
    day = mw.log_a.date
    month = day.replace(day=1)
    with scope([mw.world.a.pk]):
        assert tasks.experts_to_remind(dispositif_id=mw.world.a.pk, month=month) == {}
    log(mw.mission_a, mw.expert_a, day, "0")  # the month's only entry removed
    with scope([mw.world.a.pk]):
        assert tasks.experts_to_remind(dispositif_id=mw.world.a.pk, month=month) == {
            mw.expert_a: [mw.mission_a]
        }
