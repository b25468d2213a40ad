"""Missions fixtures: experts, approved decisions and missions in dispositifs A and B.

``missions_world`` extends the shared ``world``: the expert user of A's firm gets an
``Expert`` profile; B has its own firm (seated in B only), its correspondent and expert,
and each dispositif has a mission in progress with the firm's expert assigned and a few
hours logged (last week, so always in an open month unless a test closes it).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from alize.accounts.models import Role
from alize.tenancy import scope
from committees import services as committee_services
from missions import services
from missions.models import HourLog, SkillMission
from partners.models import Expert
from partners.services import expert_create
from pme.models import Stage
from tests.clock import TODAY
from tests.factories import (
    MembershipFactory,
    OrganisationFactory,
    SkillFactory,
    project_at,
    record_quorum,
    user_with_role,
)


def approved_decision(dispositif, *, missions=2, needs=(), by=None):
    """A decision approving a project of ``dispositif`` with ``missions`` granted."""
    project = project_at(Stage.ON_AGENDA, dispositif=dispositif)
    with scope([dispositif.pk]):
        if needs:
            project.needs.set(needs)
        item = project.agenda_items.get()
        record_quorum(item.committee)
        return committee_services.committee_record_decision(
            item=item, outcome="approved", by=by, missions_granted=missions
        )


def make_expert(firm, *, user=None, skills=(), lends=False, **fields) -> Expert:
    fields.setdefault("email", f"expert{Expert.objects.count() + 1}@example.org")
    expert = expert_create(
        organisation=firm,
        first_name=fields.pop("first_name", "Claire"),
        last_name=fields.pop("last_name", f"Expert {Expert.objects.count() + 1}"),
        skills=skills,
        lends_across_territories=lends,
        **fields,
    )
    if user is not None:
        expert.user = user
        expert.save(update_fields=["user"])
    return expert


def running_mission(decision, firm, skill, *, animateur, correspondent, experts, **fields):
    """A mission moved through the services to « in progress » with ``experts``."""
    with scope(every_dispositif=True, reason="test setup"):
        mission = services.mission_create(
            decision=decision,
            firm=firm,
            skill=skill,
            objective=fields.pop("objective", "Mettre en place un plan qualité."),
            planned_hours=fields.pop("planned_hours", Decimal("40")),
            starts_on=fields.pop("starts_on", TODAY - dt.timedelta(days=60)),
            ends_on=fields.pop("ends_on", TODAY + dt.timedelta(days=60)),
            by=animateur,
        )
        services.mission_accept(
            mission=mission, by=correspondent, experts=experts, confirm_without_skill=True
        )
        services.mission_start(mission=mission, by=animateur)
        mission.refresh_from_db()
        return mission


def log(mission, expert, day, hours, *, by=None):
    with scope(every_dispositif=True, reason="test setup"):
        return services.hour_log_save(
            mission=mission, expert=expert, date=day, hours=Decimal(hours), by=by or expert.user
        )


def world_expert(world) -> Expert:
    """The ``Expert`` profile of the world's expert user (A's firm), created once."""
    expert = Expert.objects.filter(user=world.expert_a).first()
    return expert or make_expert(world.firm_a, user=world.expert_a, last_name="du monde")


def firm_of_b(world):
    """A large firm seated in B only, with its correspondent and an expert."""
    from partners.models import Organisation

    firm = Organisation.objects.filter(slug="entreprise-b-monde").first()
    if firm is None:
        firm = OrganisationFactory(name="Entreprise B du monde", slug="entreprise-b-monde")
        MembershipFactory(dispositif=world.b, organisation=firm)
        user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm)
        make_expert(firm, user=user_with_role(Role.EXPERT, organisation=firm))
    return firm


def world_mission(world, dispositif, *, status="in_progress"):
    """A mission of ``dispositif``: in A lent by A's firm with the world's expert, in B by
    B's own firm and its expert (so A's correspondent and expert never reach it)."""
    from alize.accounts.models import RoleAssignment

    skill = SkillFactory(name="Qualité test", slug="qualite-test")
    if dispositif.pk == world.a.pk:
        firm, expert = world.firm_a, world_expert(world)
        animateur, correspondent = world.animateur_a, world.correspondent_a
    else:
        firm = firm_of_b(world)
        expert = Expert.objects.filter(organisation=firm).first()
        animateur = world.animateur_b
        correspondent = (
            RoleAssignment.objects.filter(role=Role.FIRM_CORRESPONDENT, organisation=firm)
            .first()
            .user
        )
    decision = approved_decision(dispositif, missions=1)
    if status == "proposed":
        with scope(every_dispositif=True, reason="test setup"):
            return services.mission_create(
                decision=decision,
                firm=firm,
                skill=skill,
                objective="Mettre en place un plan qualité.",
                planned_hours=Decimal("40"),
                starts_on=TODAY - dt.timedelta(days=60),
                ends_on=TODAY + dt.timedelta(days=60),
                by=animateur,
            )
    return running_mission(
        decision, firm, skill, animateur=animateur, correspondent=correspondent, experts=[expert]
    )


@dataclass
class MissionsWorld:
    world: object
    skill: object
    firm_b: object
    correspondent_b: object
    expert_user_b: object
    expert_a: Expert
    expert_b: Expert
    decision_a: object
    decision_b: object
    mission_a: SkillMission
    mission_b: SkillMission
    log_a: HourLog
    log_b: HourLog


# The Monday of the week before TODAY's.
LAST_MONDAY = dt.date(2026, 6, 1)


@pytest.fixture
def missions_world(world):
    skill = SkillFactory(name="Qualité test", slug="qualite-test")
    firm_b = OrganisationFactory(name="Entreprise B test", kind="large_firm")
    MembershipFactory(dispositif=world.b, organisation=firm_b)
    correspondent_b = user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm_b)
    expert_user_b = user_with_role(Role.EXPERT, organisation=firm_b)
    expert_a = make_expert(world.firm_a, user=world.expert_a, skills=[skill])
    expert_b = make_expert(firm_b, user=expert_user_b, skills=[skill])
    decision_a = approved_decision(world.a)
    decision_b = approved_decision(world.b)
    mission_a = running_mission(
        decision_a,
        world.firm_a,
        skill,
        animateur=world.animateur_a,
        correspondent=world.correspondent_a,
        experts=[expert_a],
    )
    mission_b = running_mission(
        decision_b,
        firm_b,
        skill,
        animateur=world.animateur_b,
        correspondent=correspondent_b,
        experts=[expert_b],
    )
    day = LAST_MONDAY
    return MissionsWorld(
        world=world,
        skill=skill,
        firm_b=firm_b,
        correspondent_b=correspondent_b,
        expert_user_b=expert_user_b,
        expert_a=expert_a,
        expert_b=expert_b,
        decision_a=decision_a,
        decision_b=decision_b,
        mission_a=mission_a,
        mission_b=mission_b,
        log_a=log(mission_a, expert_a, day, "3.5"),
        log_b=log(mission_b, expert_b, day, "2"),
    )
