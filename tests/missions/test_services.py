"""Service tests of missions and hours: creation from a decision, the lifecycle, the
matching order, pledge accounting, the hour rules, period locking, cross-territory lending
and the valuation of hours."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model

from alize.accounts.models import Role
from alize.actions import Action
from alize.errors import ApplicationError
from alize.tenancy import scope
from dispositifs.access import dispositif_ids
from missions import selectors, services
from missions.models import (
    FirmMonthHours,
    HourLog,
    HourLogKind,
    MissionStatus,
    MissionTransition,
)
from missions.services import HourCell, MissionAccessError
from partners.models import ExpertRate, RateUnit
from tests.clock import TODAY
from tests.factories import MembershipFactory, OrganisationFactory, SkillFactory, user_with_role

from .conftest import LAST_MONDAY, approved_decision, log, make_expert, running_mission

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user read again: the access policy memoises its answers per user object."""
    return get_user_model().objects.get(pk=user.pk)


def everywhere():
    return scope(every_dispositif=True, reason="test")


def propose(decision, firm, skill, by, **fields):
    with everywhere():
        return services.mission_create(
            decision=decision,
            firm=firm,
            skill=skill,
            objective="Diagnostic export.",
            planned_hours=Decimal(fields.pop("planned_hours", "20")),
            starts_on=fields.pop("starts_on", TODAY - dt.timedelta(days=30)),
            ends_on=fields.pop("ends_on", TODAY + dt.timedelta(days=30)),
            by=by,
            **fields,
        )


# --- creation -------------------------------------------------------------------------


def test_a_mission_comes_from_an_approved_decision_within_its_grant(missions_world):
    mw = missions_world
    world = mw.world
    # decision_a granted 2 missions; mission_a uses one.
    second = propose(mw.decision_a, world.firm_a, mw.skill, world.animateur_a)
    assert second.status == MissionStatus.PROPOSED and not second.cross_territory
    assert second.project_id == mw.mission_a.project_id
    with pytest.raises(ApplicationError) as refused:
        propose(mw.decision_a, world.firm_a, mw.skill, world.animateur_a)
    assert refused.value.field == "decision" and refused.value.code == "missions_exhausted"
    # A declined mission gives its place back.
    with everywhere():
        services.mission_decline(
            mission=second, by=world.correspondent_a, reason="Pas d'expert disponible ce mois."
        )
    assert propose(mw.decision_a, world.firm_a, mw.skill, world.animateur_a).pk


def test_only_the_dispositifs_animateur_proposes(missions_world):
    mw = missions_world
    for outsider in (mw.world.animateur_b, mw.world.correspondent_a, mw.world.expert_a):
        with pytest.raises(MissionAccessError):
            propose(mw.decision_a, mw.world.firm_a, mw.skill, outsider)


def test_a_decision_not_approved_grants_no_mission(missions_world):
    from tests.factories import project_at

    mw = missions_world
    project = project_at("deferred", dispositif=mw.world.a)
    with everywhere():
        decision = project.agenda_items.get().decision
    with pytest.raises(ApplicationError) as refused:
        propose(decision, mw.world.firm_a, mw.skill, mw.world.animateur_a)
    assert refused.value.field == "decision"


def test_a_firm_without_seat_or_lent_expert_is_refused(missions_world):
    mw = missions_world
    with pytest.raises(ApplicationError) as refused:
        propose(mw.decision_a, mw.firm_b, mw.skill, mw.world.animateur_a)
    assert refused.value.field == "firm" and refused.value.code == "firm_not_available"
    public = OrganisationFactory(kind="public_body", public_level="region")
    with pytest.raises(ApplicationError) as refused:
        propose(mw.decision_a, public, mw.skill, mw.world.animateur_a)
    assert refused.value.field == "firm"


# --- lifecycle ------------------------------------------------------------------------


def test_lifecycle_moves_are_kept_and_illegal_ones_refused(missions_world):
    mw = missions_world
    world = mw.world
    mission = propose(mw.decision_a, world.firm_a, mw.skill, world.animateur_a)
    with everywhere():
        with pytest.raises(ApplicationError) as refused:
            services.mission_start(mission=mission, by=world.animateur_a)
        assert refused.value.code == "illegal_transition"
        with pytest.raises(ApplicationError) as refused:
            services.mission_decline(mission=mission, by=world.correspondent_a, reason="non")
        assert refused.value.field == "reason"
        services.mission_accept(mission=mission, by=world.correspondent_a)
        with pytest.raises(ApplicationError) as refused:
            services.mission_start(mission=mission, by=world.animateur_a)
        assert refused.value.code == "no_expert"
        services.mission_assign_expert(
            mission=mission, expert=mw.expert_a, by=world.correspondent_a
        )
        services.mission_start(mission=mission, by=world.correspondent_a)
        with pytest.raises(ApplicationError) as refused:
            services.mission_complete(mission=mission, by=world.animateur_a)
        assert refused.value.field == "sme_evaluation"
        services.mission_record_evaluation(
            mission=mission, by=world.animateur_a, party="sme", text="Très utile.", rating=5
        )
        with pytest.raises(ApplicationError) as refused:
            services.mission_complete(mission=mission, by=world.animateur_a)
        assert refused.value.field == "expert_evaluation"
        services.mission_record_evaluation(
            mission=mission, by=world.expert_a, party="expert", text="Équipe motivée."
        )
        done = services.mission_complete(mission=mission, by=world.animateur_a)
        assert done.status == MissionStatus.COMPLETED
        with pytest.raises(ApplicationError) as refused:
            services.mission_cancel(
                mission=mission, by=world.animateur_a, reason="Projet abandonné par la PME."
            )
        assert refused.value.code == "illegal_transition"
        moves = list(
            MissionTransition.objects.filter(mission=mission).values_list(
                "from_status", "to_status"
            )
        )
    assert moves == [
        ("", "proposed"),
        ("proposed", "accepted"),
        ("accepted", "in_progress"),
        ("in_progress", "completed"),
    ]


def test_only_the_firms_correspondent_answers(missions_world):
    mw = missions_world
    world = mw.world
    mission = propose(mw.decision_a, world.firm_a, mw.skill, world.animateur_a)
    with everywhere():
        for outsider in (mw.correspondent_b, world.animateur_a, world.expert_a):
            with pytest.raises(MissionAccessError):
                services.mission_accept(mission=mission, by=outsider)
        with pytest.raises(ApplicationError) as refused:
            services.mission_accept(
                mission=mission, by=world.correspondent_a, experts=[mw.expert_b]
            )
        assert refused.value.field == "expert"
        services.mission_decline(
            mission=mission, by=world.correspondent_a, reason="Nos experts sont tous pris."
        )
        mission.refresh_from_db()
    assert mission.status == MissionStatus.DECLINED
    assert mission.decline_reason == "Nos experts sont tous pris."


def test_the_sme_evaluation_is_the_animateurs_and_the_expert_one_the_experts(missions_world):
    mw = missions_world
    with everywhere():
        with pytest.raises(MissionAccessError):
            services.mission_record_evaluation(
                mission=mw.mission_a, by=mw.world.expert_a, party="sme", text="Bien."
            )
        with pytest.raises(MissionAccessError):
            services.mission_record_evaluation(
                mission=mw.mission_a, by=mw.expert_user_b, party="expert", text="Bien."
            )


# --- cross-territory lending ------------------------------------------------------------


def test_cross_territory_lending(missions_world):
    mw = missions_world
    world = mw.world
    # B's firm has no seat in A; once it marks an expert available, A may propose to it.
    lent = make_expert(mw.firm_b, skills=[mw.skill], lends=True, last_name="Prêtée")
    mission = propose(mw.decision_a, mw.firm_b, mw.skill, world.animateur_a)
    assert mission.cross_territory and mission.dispositif_id == world.a.pk
    # Its correspondent now reaches A for the mission, and decides.
    correspondent_b = fresh(mw.correspondent_b)
    assert world.a.pk in dispositif_ids(correspondent_b, Action.RESPOND_MISSION)
    with everywhere():
        with pytest.raises(ApplicationError) as refused:
            services.mission_accept(mission=mission, by=correspondent_b, experts=[mw.expert_b])
        assert refused.value.code == "expert_not_lent"
        services.mission_accept(mission=mission, by=correspondent_b, experts=[lent])
    with scope(dispositif_ids(correspondent_b, Action.VIEW_MISSION)):
        assert mission.pk in set(
            selectors.mission_queryset(correspondent_b).values_list("pk", flat=True)
        )
    # A's animateur sees the mission (it belongs to A) and the lent expert.
    with scope([world.a.pk]):
        assert selectors.mission_queryset(world.animateur_a).filter(pk=mission.pk).exists()
        assert selectors.expert_queryset(world.animateur_a).filter(pk=lent.pk).exists()
        assert not selectors.expert_queryset(world.animateur_a).filter(pk=mw.expert_b.pk).exists()
    # B's animateur never sees it.
    with scope([world.b.pk]):
        assert not selectors.mission_queryset(world.animateur_b).filter(pk=mission.pk).exists()
    # The hours count for the firm's national figures.
    lent_user = user_with_role(Role.EXPERT, organisation=mw.firm_b)
    lent.user = lent_user
    lent.save(update_fields=["user"])
    with everywhere():
        services.mission_start(mission=mission, by=world.animateur_a)
    log(mission, lent, LAST_MONDAY, "4")
    figures = selectors.firm_year_figures(firm_ids=[mw.firm_b.pk], year=LAST_MONDAY.year)
    assert figures[mw.firm_b.pk].delivered >= Decimal("4")


# --- suggestions and pledges ------------------------------------------------------------


def test_suggestions_order_by_skill_match_then_pledge_headroom(missions_world):
    mw = missions_world
    world = mw.world
    export = SkillFactory(name="Export test", slug="export-test")
    lean = SkillFactory(name="Lean test", slug="lean-test")
    under = OrganisationFactory(name="Sous engagement", kind="large_firm")
    over = OrganisationFactory(name="Au-delà", kind="large_firm")
    MembershipFactory(dispositif=world.a, organisation=under, pledged_hours_per_year=500)
    MembershipFactory(dispositif=world.a, organisation=over, pledged_hours_per_year=0)
    both_over = make_expert(over, skills=[export, lean], last_name="A-Over-both")
    both_under = make_expert(under, skills=[export, lean], last_name="Z-Under-both")
    skill_over = make_expert(over, skills=[export], last_name="B-Over-skill")
    skill_under = make_expert(under, skills=[export], last_name="Y-Under-skill")
    need_only = make_expert(under, skills=[lean], last_name="C-Need-only")
    make_expert(under, skills=[mw.skill], last_name="D-Unrelated")
    decision = approved_decision(world.a, needs=[lean])
    with scope([world.a.pk]):
        project = decision.item.project
        suggestions = selectors.mission_suggestions(
            user=world.animateur_a, dispositif_id=world.a.pk, skill=export, project=project
        )
    assert [s.expert.pk for s in suggestions] == [
        both_under.pk,
        both_over.pk,
        skill_under.pk,
        skill_over.pk,
        need_only.pk,
    ]
    first = suggestions[0].firm
    assert (first.pledged, first.delivered, first.under_pledge) == (Decimal(500), 0, True)
    assert suggestions[1].firm.over_pledge is False  # nothing asked or delivered yet


def test_pledge_accounting(missions_world):
    mw = missions_world
    world = mw.world
    year = LAST_MONDAY.year
    firm = world.firm_a
    # The world's seat pledges 200 h; a second seat in B adds 100 h (national pledge).
    MembershipFactory(dispositif=world.b, organisation=firm, pledged_hours_per_year=100)
    decision = approved_decision(world.a, missions=3)
    declined = propose(decision, firm, mw.skill, world.animateur_a, planned_hours="300")
    with everywhere():
        services.mission_decline(
            mission=declined, by=fresh(world.correspondent_a), reason="Trop d'heures demandées."
        )
    figures = selectors.firm_year_figures(firm_ids=[firm.pk], year=year)[firm.pk]
    asked = Decimal("40") + Decimal("300")  # mission_a and the declined one
    assert (figures.pledged, figures.asked, figures.delivered) == (
        Decimal(300),
        asked,
        Decimal("3.5"),
    )
    assert (figures.missions, figures.declined) == (2, 1)
    assert figures.over_pledge  # asked 340 h for a 300 h pledge
    assert figures.headroom == Decimal("296.5")
    assert figures.pledge_use == Decimal("0.012")


def test_fatigue_report_flags_firms_over_their_pledge(missions_world):
    mw = missions_world
    world = mw.world
    with scope([world.a.pk]):
        report = selectors.fatigue_report(user=world.animateur_a, year=LAST_MONDAY.year)
    names = {f.name for f in report.firms}
    assert world.firm_a.name in names and mw.firm_b.name not in names
    assert [d.dispositif_id for d in report.dispositifs] == [world.a.pk]
    with everywhere():
        national = selectors.fatigue_report(user=world.coordinator, year=LAST_MONDAY.year)
    assert {world.firm_a.name, mw.firm_b.name} <= {f.name for f in national.firms}
    firm_b = next(f for f in national.firms if f.firm_id == mw.firm_b.pk)
    assert firm_b.delivered == Decimal("2") and not firm_b.over_pledge


# --- hours ------------------------------------------------------------------------------


def test_hours_are_positive_within_the_mission_and_on_ones_own_missions(missions_world):
    mw = missions_world
    mission, expert = mw.mission_a, mw.expert_a
    with everywhere():
        for hours in ("-1", "abc"):
            with pytest.raises(ApplicationError) as refused:
                services.hour_log_save(
                    mission=mission, expert=expert, date=TODAY, hours=hours, by=expert.user
                )
            assert refused.value.field == "hours"
        with pytest.raises(ApplicationError) as refused:
            services.hour_log_save(
                mission=mission,
                expert=expert,
                date=mission.ends_on + dt.timedelta(days=1),
                hours="2",
                by=expert.user,
            )
        assert refused.value.field == "date" and refused.value.code == "outside_mission"
        # Someone else's mission, or someone else's hours.
        with pytest.raises(MissionAccessError):
            services.hour_log_save(
                mission=mw.mission_b, expert=expert, date=TODAY, hours="2", by=expert.user
            )
        with pytest.raises(MissionAccessError):
            services.hour_log_save(
                mission=mission, expert=expert, date=TODAY, hours="2", by=mw.world.animateur_a
            )


def test_a_cell_saved_again_changes_its_entry_and_zero_removes_it(missions_world):
    mw = missions_world
    day = LAST_MONDAY
    changed = log(mw.mission_a, mw.expert_a, day, "5")
    assert changed.pk == mw.log_a.pk and changed.hours == Decimal("5")
    assert log(mw.mission_a, mw.expert_a, day, "0") is None
    with everywhere():
        assert not HourLog.objects.filter(pk=mw.log_a.pk).exists()
        total = FirmMonthHours.objects.get(firm=mw.world.firm_a, month=day.replace(day=1))
    assert total.hours == 0


def test_twelve_hours_a_day_across_missions_and_dispositifs(missions_world):
    mw = missions_world
    world = mw.world
    # A's expert also works, lent, on a mission of B.
    mw.expert_a.lends_across_territories = True
    mw.expert_a.save()
    decision = approved_decision(world.b)
    other = running_mission(
        decision,
        world.firm_a,
        mw.skill,
        animateur=world.animateur_b,
        correspondent=fresh(world.correspondent_a),
        experts=[mw.expert_a],
    )
    assert other.cross_territory
    day = LAST_MONDAY  # 3.5 h already on mission_a
    log(other, mw.expert_a, day, "8.5")
    with pytest.raises(ApplicationError) as refused:
        log(other, mw.expert_a, day, "9")
    assert refused.value.code == "day_over_12_hours" and "12" in refused.value.message
    with everywhere():
        assert services.day_total(expert_id=mw.expert_a.pk, day=day) == Decimal("12")


def test_a_week_save_keeps_valid_cells_and_names_the_day_of_refused_ones(missions_world):
    mw = missions_world
    monday = LAST_MONDAY
    cells = [
        HourCell(mw.mission_a.pk, monday + dt.timedelta(days=1), "7"),
        HourCell(mw.mission_a.pk, monday + dt.timedelta(days=2), "13"),
        HourCell(mw.mission_a.pk, monday + dt.timedelta(days=3), "0,5"),
        HourCell(mw.mission_b.pk, monday + dt.timedelta(days=3), "2"),
    ]
    with everywhere():
        result = services.hours_save_week(expert=mw.expert_a, cells=cells, by=mw.expert_a.user)
        saved = {cell.date: entry.hours for cell, entry in result.saved}
    assert saved == {
        monday + dt.timedelta(days=1): Decimal("7"),
        monday + dt.timedelta(days=3): Decimal("0.5"),
    }
    assert [(e.mission_id, e.date) for e in result.errors] == [
        (mw.mission_a.pk, monday + dt.timedelta(days=2)),
        (mw.mission_b.pk, monday + dt.timedelta(days=3)),
    ]
    wednesday = monday + dt.timedelta(days=2)
    assert str(wednesday.day) in result.errors[0].message
    assert mw.skill.name in result.errors[0].message


def test_a_closed_month_is_locked_and_corrected_by_adjustments(missions_world):
    mw = missions_world
    world = mw.world
    day = LAST_MONDAY
    month = day.replace(day=1)
    with everywhere():
        with pytest.raises(MissionAccessError):
            services.month_close(dispositif=world.a, month=month, by=world.animateur_b)
        services.month_close(dispositif=world.a, month=month, by=world.animateur_a)
        with pytest.raises(ApplicationError) as refused:
            services.month_close(dispositif=world.a, month=month, by=world.animateur_a)
        assert refused.value.code == "already_closed"
    for hours in ("5", "0"):
        with pytest.raises(ApplicationError) as refused:
            log(mw.mission_a, mw.expert_a, day, hours)
        assert refused.value.code == "month_closed"
    with everywhere():
        with pytest.raises(ApplicationError):
            services.hour_log_delete(log=mw.log_a, by=mw.expert_a.user)
        with pytest.raises(ApplicationError) as refused:
            services.hour_adjustment_create(
                mission=mw.mission_a,
                expert=mw.expert_a,
                date=day,
                hours="-1",
                reason="court",
                by=world.animateur_a,
                corrects=mw.log_a,
            )
        assert refused.value.field == "reason"
        adjustment = services.hour_adjustment_create(
            mission=mw.mission_a,
            expert=mw.expert_a,
            date=day,
            hours="-1.5",
            reason="Une réunion comptée deux fois.",
            by=world.animateur_a,
            corrects=mw.log_a,
        )
        with pytest.raises(ApplicationError) as refused:
            services.hour_adjustment_create(
                mission=mw.mission_a,
                expert=mw.expert_a,
                date=day,
                hours="-3",
                reason="Encore une correction du même jour.",
                by=world.animateur_a,
            )
        assert refused.value.code == "day_negative"
        logs = list(HourLog.objects.filter(mission=mw.mission_a).order_by("id"))
        total = FirmMonthHours.objects.get(firm=world.firm_a, month=month).hours
    # The entry is untouched; the correction is its own visible line.
    assert [(x.kind, x.hours) for x in logs] == [
        (HourLogKind.ENTRY, Decimal("3.5")),
        (HourLogKind.ADJUSTMENT, Decimal("-1.5")),
    ]
    assert adjustment.corrects_id == mw.log_a.pk and total == Decimal("2")
    with everywhere():
        grid = selectors.week_grid(expert=mw.expert_a, monday=day)
    row = next(r for r in grid.rows if r.mission.pk == mw.mission_a.pk)
    assert not row.cells[0].editable and row.cells[0].locked_reason == "month_closed"
    assert row.cells[0].adjustments == Decimal("-1.5") and grid.adjustments == [adjustment]


def test_other_dispositifs_months_stay_open(missions_world):
    mw = missions_world
    with everywhere():
        services.month_close(dispositif=mw.world.a, month=LAST_MONDAY, by=mw.world.animateur_a)
    assert log(mw.mission_b, mw.expert_b, LAST_MONDAY, "4").hours == Decimal("4")


# --- valuation --------------------------------------------------------------------------


def test_hours_are_valued_at_the_firms_rate_or_the_national_default(missions_world):
    mw = missions_world
    national = selectors.rate_for(mw.world.firm_a)
    assert national.organisation_id is None and national.unit == RateUnit.HOURLY
    assert national.value_of(Decimal("3.5")) == Decimal("3.5") * national.amount
    daily = ExpertRate.objects.create(
        organisation=mw.firm_b, unit=RateUnit.DAILY, amount=Decimal("700.00")
    )
    assert selectors.rate_for(mw.firm_b) == daily
    assert daily.value_of(Decimal("3.5")) == Decimal("350.00")
    assert daily.value_of(Decimal("1")) == Decimal("100.00")
    assert daily.value_of(Decimal("0.1")) == Decimal("10.00")
    with everywhere():
        portal = selectors.firm_portal(
            user=mw.correspondent_b, firm=mw.firm_b, year=LAST_MONDAY.year
        )
    assert portal.total_hours == Decimal("2") and portal.total_value == Decimal("200.00")
    assert [(m.dispositif_id, m.hours, m.value) for m in portal.months] == [
        (mw.world.b.pk, Decimal("2"), Decimal("200.00"))
    ]


def test_the_fatigue_view_and_the_week_grid_cost_a_few_queries_whatever_the_rows(
    missions_world, django_assert_num_queries
):
    mw = missions_world
    year = LAST_MONDAY.year
    for user in (mw.world.coordinator, mw.world.animateur_a):
        with everywhere():
            selectors.fatigue_report(user=user, year=year)  # the access policy's answers
            with django_assert_num_queries(4):
                report = selectors.fatigue_report(user=user, year=year)
        assert report.firms
    with everywhere(), django_assert_num_queries(3):
        grid = selectors.week_grid(expert=mw.expert_a, monday=LAST_MONDAY)
    assert [row.mission.pk for row in grid.rows] == [mw.mission_a.pk]
