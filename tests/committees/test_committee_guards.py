"""Committee dates and statuses guarded in the services, the « record a past committee »
action and decision corrections. After every refused move, the committee and the project's
stage and dates are unchanged."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from alize.errors import ApplicationError
from alize.tenancy import scope
from committees import services
from committees.models import (
    AgendaItem,
    Attendance,
    Committee,
    CommitteeStatus,
    Decision,
    DecisionCorrection,
)
from pme.models import FollowUpReminder, Project, Stage, StageTransition
from pme.services import follow_up_record, follow_up_reminders_refresh, project_transition
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
    record_quorum,
)

S = CommitteeStatus


def fields_of(error) -> set[str]:
    if isinstance(error, ValidationError):
        return set(error.message_dict)
    return {error.field}


def committee_row(committee):
    row = Committee.unscoped_objects.get(pk=committee.pk)
    return (row.date, row.status, row.place, row.host_id)


def project_row(project):
    row = Project.unscoped_objects.get(pk=project.pk)
    transitions = StageTransition.unscoped_objects.filter(project=row).count()
    return (row.stage, row.first_committee_on, row.approved_on, transitions)


def refused(world, field, call, *, committee=None, project=None):
    """Run a service that must be refused on ``field``; the committee and project are
    unchanged afterwards."""
    before = (
        committee_row(committee) if committee else None,
        project_row(project) if project else None,
    )
    with scope([world.a]), pytest.raises((ValidationError, ApplicationError)) as error:
        call()
    assert field in fields_of(error.value)
    after = (
        committee_row(committee) if committee else None,
        project_row(project) if project else None,
    )
    assert after == before
    return error.value


def on_agenda(world, date, status=S.PLANNED):
    """A committee (built directly, as stored data may be) with one project on its agenda."""
    committee = CommitteeFactory(dispositif=world.a, date=date, status=status)
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    with scope([world.a]):
        item = AgendaItem.objects.create(
            dispositif=world.a, committee=committee, project=project, order=1
        )
        Project.objects.filter(pk=project.pk).update(stage=Stage.ON_AGENDA)
    return committee, item, project


# --- A planned committee is in the future ------------------------------------------------


def test_scheduling_a_committee_in_the_past_is_refused(world):
    refused(
        world,
        "date",
        lambda: services.committee_schedule(
            dispositif=world.a, date=dt.date(2020, 1, 15), place="Mairie"
        ),
    )
    assert not Committee.unscoped_objects.exists()
    with scope([world.a]):
        today = services.committee_schedule(dispositif=world.a, date=TODAY)
        later = services.committee_schedule(dispositif=world.a, date=TODAY + dt.timedelta(days=60))
    assert (today.status, later.status) == (S.PLANNED, S.PLANNED)


@pytest.mark.parametrize("status", [S.PLANNED, S.AGENDA_SENT])
def test_moving_a_planned_committee_into_the_past_is_refused(world, status):
    committee, _, project = on_agenda(world, TODAY + dt.timedelta(days=10), status)
    refused(
        world,
        "date",
        lambda: services.committee_update(
            committee=committee, date=TODAY - dt.timedelta(days=1), place="Ailleurs"
        ),
        committee=committee,
        project=project,
    )
    with scope([world.a]):
        services.committee_update(committee=committee, date=TODAY + dt.timedelta(days=3))
    assert committee_row(committee)[0] == dt.date(2026, 6, 13)


def test_a_planned_committee_whose_day_passed_keeps_its_date_editable_in_other_fields(world):
    committee, _, _ = on_agenda(world, TODAY - dt.timedelta(days=2))
    with scope([world.a]):
        services.committee_update(committee=committee, place="Salle B")
    assert committee_row(committee)[2] == "Salle B"


def test_a_held_committee_is_not_moved_into_the_future(world):
    committee, _, project = on_agenda(world, TODAY - dt.timedelta(days=5), S.HELD)
    refused(
        world,
        "date",
        lambda: services.committee_update(committee=committee, date=TODAY + dt.timedelta(days=1)),
        committee=committee,
        project=project,
    )


def test_the_date_of_a_committee_with_decisions_stays(world):
    committee, item, project = on_agenda(world, TODAY - dt.timedelta(days=5), S.HELD)
    with scope([world.a]):
        record_quorum(item.committee)
        services.committee_record_decision(item=item, outcome="approved", by=None)
    refused(
        world,
        "date",
        lambda: services.committee_update(committee=committee, date=TODAY - dt.timedelta(days=6)),
        committee=committee,
        project=project,
    )
    assert project_row(project)[2] == dt.date(2026, 6, 5)


# --- "Held" only on or after its date; "minutes sent" only after "held" ------------------


@pytest.mark.parametrize("status", [S.PLANNED, S.AGENDA_SENT])
def test_a_committee_is_held_only_from_its_date(world, status):
    committee, _, project = on_agenda(world, TODAY + dt.timedelta(days=1), status)
    refused(
        world,
        "status",
        lambda: services.committee_set_status(committee=committee, status=S.HELD),
        committee=committee,
        project=project,
    )
    for day in (TODAY, TODAY - dt.timedelta(days=3)):
        other = CommitteeFactory(dispositif=world.a, date=day, status=status)
        with scope([world.a]):
            services.committee_set_status(committee=other, status=S.HELD)
        assert committee_row(other)[1] == S.HELD


@pytest.mark.parametrize("status", [S.PLANNED, S.AGENDA_SENT])
def test_minutes_are_sent_only_after_held(world, status):
    committee, _, project = on_agenda(world, TODAY - dt.timedelta(days=1), status)
    refused(
        world,
        "status",
        lambda: services.committee_set_status(committee=committee, status=S.MINUTES_SENT),
        committee=committee,
        project=project,
    )


def test_the_future_committee_of_the_issue_cannot_be_approved_held_and_closed(world):
    """The reported sequence: approve on a committee two months ahead, mark it held and send
    the minutes the same day. Each step is refused and nothing moves."""
    committee, item, project = on_agenda(world, TODAY + dt.timedelta(days=60))
    refused(
        world,
        "outcome",
        lambda: services.committee_record_decision(item=item, outcome="approved", by=None),
        committee=committee,
        project=project,
    )
    for status in (S.HELD, S.MINUTES_SENT):
        refused(
            world,
            "status",
            lambda status=status: services.committee_set_status(committee=committee, status=status),
            committee=committee,
            project=project,
        )
    assert not Decision.unscoped_objects.exists()
    assert project_row(project)[:3] == (Stage.ON_AGENDA, None, None)


# --- Decisions and attendance only on a held committee (or on its day) --------------------


@pytest.mark.parametrize(
    ("offset", "status"),
    [(1, S.PLANNED), (30, S.AGENDA_SENT), (-1, S.PLANNED), (-10, S.AGENDA_SENT)],
)
def test_decisions_and_attendance_refused_before_the_committee_sits(world, offset, status):
    committee, item, project = on_agenda(world, TODAY + dt.timedelta(days=offset), status)
    organisation = OrganisationFactory(name="EDF")
    MembershipFactory(dispositif=world.a, organisation=organisation)
    refused(
        world,
        "outcome",
        lambda: services.committee_record_decision(item=item, outcome="deferred", by=None),
        committee=committee,
        project=project,
    )
    refused(
        world,
        "status",
        lambda: services.attendance_record_roster(
            committee=committee,
            lines=[services.RosterLine(organisation=organisation, status="present")],
        ),
        committee=committee,
        project=project,
    )
    assert not Decision.unscoped_objects.exists()
    assert not Attendance.unscoped_objects.exists()


@pytest.mark.parametrize(
    ("offset", "status"), [(0, S.PLANNED), (0, S.AGENDA_SENT), (0, S.HELD), (-20, S.HELD)]
)
def test_decisions_and_attendance_on_its_day_or_once_held(world, offset, status):
    day = TODAY + dt.timedelta(days=offset)
    committee, item, project = on_agenda(world, day, status)
    organisation = OrganisationFactory(name="EDF")
    MembershipFactory(dispositif=world.a, organisation=organisation)
    with scope([world.a]):
        services.attendance_record_roster(
            committee=committee,
            lines=[
                services.RosterLine(
                    organisation=organisation, status="present", person_name="M. Roy"
                )
            ],
        )
        services.committee_record_decision(item=item, outcome="approved", by=None)
    assert project_row(project)[:3] == (Stage.APPROVED, day, day)


# --- Record a past committee ---------------------------------------------------------------


def test_record_a_past_committee_creates_it_held_with_its_agenda(world):
    host = OrganisationFactory(name="CCI", kind="consular")
    MembershipFactory(dispositif=world.a, organisation=host)
    projects = [project_at(Stage.IN_INSTRUCTION, dispositif=world.a) for _ in range(2)]
    day = dt.date(2024, 3, 12)
    with scope([world.a]):
        committee = services.committee_record_past(
            dispositif=world.a,
            date=day,
            host=host,
            place="CCI",
            minutes="Deux dossiers examinés.",
            projects=projects,
            by=world.animateur_a,
        )
        items = list(committee.items.order_by("order"))
        record_quorum(items[0].committee)
        services.committee_record_decision(item=items[0], outcome="approved", by=None)
        record_quorum(items[1].committee)
        services.committee_record_decision(item=items[1], outcome="rejected", by=None)
    assert committee_row(committee)[:2] == (day, S.HELD)
    assert [item.project_id for item in items] == [p.pk for p in projects]
    assert project_row(projects[0])[:3] == (Stage.APPROVED, day, day)
    assert project_row(projects[1])[:3] == (Stage.REJECTED, day, None)


def test_record_a_past_committee_refusals_create_nothing(world):
    ready = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    not_ready = project_at(Stage.QUALIFIED, dispositif=world.a)
    outsider = OrganisationFactory(name="Hors tour de table")
    cases = [
        ({"date": TODAY + dt.timedelta(days=1)}, "date"),
        ({"date": TODAY - dt.timedelta(days=9), "host": outsider}, "host"),
        ({"date": TODAY - dt.timedelta(days=9), "projects": [ready, not_ready]}, "projects"),
        ({"date": TODAY - dt.timedelta(days=9), "projects": [ready, ready]}, "projects"),
    ]
    for kwargs, field in cases:
        before = project_row(ready)
        refused(
            world,
            field,
            lambda kwargs=kwargs: services.committee_record_past(
                dispositif=world.a, by=None, **kwargs
            ),
        )
        assert project_row(ready) == before
    assert not Committee.unscoped_objects.exists()
    assert not AgendaItem.unscoped_objects.exists()


# --- Correcting a decision -----------------------------------------------------------------


def approved_a_year_ago(world):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    day = TODAY - dt.timedelta(days=400)
    with scope([world.a]):
        committee = services.committee_record_past(
            dispositif=world.a, date=day, projects=[project], by=world.animateur_a
        )
        record_quorum(committee)
        decision = services.committee_record_decision(
            item=committee.items.get(),
            outcome="approved",
            advance_amount=Decimal("12000"),
            missions_granted=2,
            by=world.animateur_a,
        )
        follow_up_reminders_refresh(today=TODAY)
    return decision, project, day


def test_a_decision_corrected_from_approved_to_deferred_restores_the_project(world):
    decision, project, day = approved_a_year_ago(world)
    assert project_row(project)[:3] == (Stage.APPROVED, day, day)
    assert FollowUpReminder.unscoped_objects.filter(project=project, year=1).exists()
    with scope([world.a]):
        correction = services.committee_correct_decision(
            decision=decision,
            outcome="deferred",
            reason="Erreur de saisie : le comité a ajourné le dossier.",
            conditions="Compléter le plan de financement.",
            by=world.animateur_a,
        )
    stored = Project.unscoped_objects.get(pk=project.pk)
    assert stored.stage == Stage.DEFERRED
    assert stored.approved_on is None
    assert stored.first_committee_on == day
    assert not FollowUpReminder.unscoped_objects.filter(project=project).exists()
    moves = list(
        StageTransition.unscoped_objects.filter(project=project)
        .order_by("at", "id")
        .values_list("from_stage", "to_stage", "by", "comment")
    )
    assert moves[-2][:2] == (Stage.ON_AGENDA, Stage.APPROVED)
    assert moves[-1][:3] == (Stage.APPROVED, Stage.DEFERRED, world.animateur_a.pk)
    assert "Erreur de saisie" in moves[-1][3]
    row = DecisionCorrection.unscoped_objects.get()
    assert row == correction
    assert (row.previous_outcome, row.outcome) == ("approved", "deferred")
    assert (row.previous_advance_amount, row.advance_amount) == (Decimal("12000"), None)
    assert (row.previous_missions_granted, row.missions_granted) == (2, 0)
    assert (row.corrected_by, row.reason) == (
        world.animateur_a,
        "Erreur de saisie : le comité a ajourné le dossier.",
    )
    decision = Decision.unscoped_objects.get(pk=decision.pk)
    assert (decision.outcome, decision.advance_amount, decision.missions_granted) == (
        "deferred",
        None,
        0,
    )
    assert list(Decision.history.filter(id=decision.pk).values_list("outcome", flat=True)) == [
        "deferred",
        "approved",
    ]


def test_a_deferral_corrected_to_approval_sets_the_approval_date(world):
    committee, item, project = on_agenda(world, TODAY - dt.timedelta(days=30), S.HELD)
    with scope([world.a]):
        record_quorum(item.committee)
        decision = services.committee_record_decision(item=item, outcome="deferred", by=None)
        services.committee_correct_decision(
            decision=decision,
            outcome="approved",
            advance_amount=Decimal("10000"),
            reason="Accord bancaire reçu en séance.",
            by=None,
        )
    assert project_row(project)[:3] == (Stage.APPROVED, committee.date, committee.date)


def test_a_correction_of_the_details_only_keeps_the_stage(world):
    decision, project, day = approved_a_year_ago(world)
    before = project_row(project)
    with scope([world.a]):
        services.committee_correct_decision(
            decision=decision,
            outcome="approved",
            advance_amount=Decimal("15000"),
            missions_granted=2,
            reason="Montant de l'avance mal reporté.",
            by=None,
        )
    assert project_row(project) == before
    assert DecisionCorrection.unscoped_objects.get().previous_advance_amount == Decimal("12000")


def test_refused_corrections_change_nothing(world):
    decision, project, _ = approved_a_year_ago(world)
    reminders = FollowUpReminder.unscoped_objects.filter(project=project).count()
    correct = services.committee_correct_decision
    cases = [
        ({"outcome": "deferred", "reason": "  "}, "reason"),
        ({"outcome": "maybe", "reason": "x"}, "outcome"),
        ({"outcome": "rejected", "missions_granted": 1, "reason": "x"}, "missions_granted"),
        ({"outcome": "approved", "advance_amount": Decimal("99"), "reason": "x"}, "advance_amount"),
        (
            {
                "outcome": "approved",
                "advance_amount": Decimal("12000"),
                "missions_granted": 2,
                "reason": "rien",
            },
            "outcome",
        ),
    ]
    for kwargs, field in cases:
        refused(
            world,
            field,
            lambda kwargs=kwargs: correct(decision=decision, by=None, **kwargs),
            project=project,
        )
    assert not DecisionCorrection.unscoped_objects.exists()
    assert FollowUpReminder.unscoped_objects.filter(project=project).count() == reminders
    with scope([world.a]):
        follow_up_record(
            project=Project.objects.get(pk=project.pk),
            year=1,
            headcount=12,
            jobs_created=2,
            jobs_maintained=10,
            source="declared",
            by=None,
        )
    refused(
        world,
        "outcome",
        lambda: correct(decision=decision, outcome="deferred", reason="x", by=None),
        project=project,
    )
    with scope([world.a]):
        project_transition(project=project, to_stage=Stage.IN_PROGRESS, by=None)
    refused(
        world,
        "outcome",
        lambda: correct(decision=decision, outcome="deferred", reason="x", by=None),
        project=project,
    )
    assert Decision.unscoped_objects.get(pk=decision.pk).outcome == "approved"
