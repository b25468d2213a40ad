"""Every legal and illegal move of the project stage machine (docs/architecture.md §4)."""

import datetime as dt
import itertools

import pytest

from alize.errors import ApplicationError
from alize.tenancy import scope
from pme import services
from pme.models import Project, Stage, StageTransition
from tests.factories import project_at

S = Stage
# Moves an animateur makes by hand.
LEGAL_MANUAL = {
    (S.REFERRED, S.QUALIFIED), (S.REFERRED, S.ABANDONED),
    (S.QUALIFIED, S.IN_INSTRUCTION), (S.QUALIFIED, S.ABANDONED),
    (S.IN_INSTRUCTION, S.QUALIFIED), (S.IN_INSTRUCTION, S.ABANDONED),
    (S.ON_AGENDA, S.ABANDONED),
    (S.DEFERRED, S.IN_INSTRUCTION), (S.DEFERRED, S.ABANDONED),
    (S.APPROVED, S.IN_PROGRESS), (S.APPROVED, S.ABANDONED),
    (S.IN_PROGRESS, S.FOLLOWED_UP), (S.IN_PROGRESS, S.ABANDONED),
    (S.FOLLOWED_UP, S.CLOSED),
    # Reopening: project_at abandons from « in instruction », so it reopens there.
    (S.ABANDONED, S.IN_INSTRUCTION),
}  # fmt: skip
REASON = "Le dirigeant a rappelé : le projet repart."  # long enough for abandon and reopen
# Moves made only by the agenda (inscription, withdrawal) or by a committee decision.
LEGAL_VIA_AGENDA = {(S.IN_INSTRUCTION, S.ON_AGENDA), (S.DEFERRED, S.ON_AGENDA),
                    (S.ON_AGENDA, S.IN_INSTRUCTION)}  # fmt: skip
LEGAL_VIA_DECISION = {(S.ON_AGENDA, S.APPROVED), (S.ON_AGENDA, S.DEFERRED),
                      (S.ON_AGENDA, S.REJECTED)}  # fmt: skip

PAIRS = list(itertools.product(Stage.values, Stage.values))


@pytest.mark.parametrize(("from_stage", "to_stage"), PAIRS)
def test_manual_transition(world, from_stage, to_stage):
    project = project_at(from_stage, dispositif=world.a)
    assert project.stage == from_stage
    before = StageTransition.unscoped_objects.filter(project=project).count()
    with scope([world.a]):
        if (from_stage, to_stage) in LEGAL_MANUAL:
            services.project_transition(
                project=project, to_stage=to_stage, by=world.animateur_a, comment=REASON
            )
            project.refresh_from_db()
            assert project.stage == to_stage
            last = StageTransition.objects.filter(project=project).last()
            assert (last.from_stage, last.to_stage, last.by, last.comment) == (
                from_stage, to_stage, world.animateur_a, REASON,
            )  # fmt: skip
        else:
            with pytest.raises(ApplicationError) as refused:
                services.project_transition(
                    project=project, to_stage=to_stage, by=world.animateur_a, comment=REASON
                )
            assert refused.value.field == "to_stage"
            project.refresh_from_db()
            assert project.stage == from_stage
    assert StageTransition.unscoped_objects.filter(project=project).count() == before + (
        (from_stage, to_stage) in LEGAL_MANUAL
    )


def committee_move(project, to_stage):
    """The committee-side service that makes a move: agenda in, agenda out, or decision."""
    if to_stage == S.ON_AGENDA:
        return services.project_put_on_agenda(project=project, by=None, comment="agenda")
    if to_stage == S.IN_INSTRUCTION:
        return services.project_take_off_agenda(project=project, by=None, comment="withdrawn")
    return services.project_record_committee_outcome(
        project=project,
        to_stage=to_stage,
        committee_date=dt.date(2026, 3, 12),
        by=None,
        comment="decision",
    )


@pytest.mark.parametrize(("from_stage", "to_stage"), sorted(LEGAL_VIA_AGENDA | LEGAL_VIA_DECISION))
def test_agenda_and_decision_moves_go_through_committee_services(world, from_stage, to_stage):
    project = project_at(from_stage, dispositif=world.a)
    with scope([world.a]):
        committee_move(project, to_stage)
    project.refresh_from_db()
    assert project.stage == to_stage


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [
        (S.REFERRED, S.APPROVED),
        (S.QUALIFIED, S.ON_AGENDA),
        (S.APPROVED, S.REJECTED),
        (S.REFERRED, S.IN_INSTRUCTION),
    ],
)
def test_committee_services_do_not_open_illegal_moves(world, from_stage, to_stage):
    project = project_at(from_stage, dispositif=world.a)
    before = StageTransition.unscoped_objects.filter(project=project).count()
    with scope([world.a]), pytest.raises(ApplicationError):
        committee_move(project, to_stage)
    project.refresh_from_db()
    assert project.stage == from_stage
    assert StageTransition.unscoped_objects.filter(project=project).count() == before


def test_committee_outcome_sets_the_committee_dates(world):
    project = project_at(S.ON_AGENDA, dispositif=world.a)
    with scope([world.a]):
        committee_move(project, S.APPROVED)
    project.refresh_from_db()
    assert project.first_committee_on == dt.date(2026, 3, 12)
    assert project.approved_on == dt.date(2026, 3, 12)


def test_unknown_stage_is_refused(world):
    project = project_at(S.REFERRED, dispositif=world.a)
    with scope([world.a]), pytest.raises(ApplicationError):
        services.project_transition(project=project, to_stage="teleported", by=None)


def test_timeline_starts_at_referral(world):
    project = project_at(S.APPROVED, dispositif=world.a, by=None)
    with scope([world.a]):
        steps = [(t.from_stage, t.to_stage) for t in project.transitions.all()]
    assert steps == [
        ("", S.REFERRED), (S.REFERRED, S.QUALIFIED), (S.QUALIFIED, S.IN_INSTRUCTION),
        (S.IN_INSTRUCTION, S.ON_AGENDA), (S.ON_AGENDA, S.APPROVED),
    ]  # fmt: skip


# Abandoning and reopening -----------------------------------------------------------------

DATE_FIELDS = ("stage", "stage_changed_at", "approved_on", "first_committee_on")


def state(project):
    """The project's stage and dates, and the length of its timeline, as stored."""
    row = Project.unscoped_objects.values(*DATE_FIELDS).get(pk=project.pk)
    return row, StageTransition.unscoped_objects.filter(project=project).count()


def refused(world, project, to_stage, comment, field):
    """The move is refused on ``field`` and the project's stage, dates and timeline stay."""
    before = state(project)
    with scope([world.a]), pytest.raises(ApplicationError) as error:
        services.project_transition(
            project=project, to_stage=to_stage, by=world.animateur_a, comment=comment
        )
    assert error.value.field == field
    assert state(project) == before
    return error.value


@pytest.mark.parametrize("comment", ["", "   ", "court", " pas assez "])  # 9 once stripped
@pytest.mark.parametrize("from_stage", [S.REFERRED, S.IN_INSTRUCTION, S.ON_AGENDA, S.APPROVED])
def test_abandoning_needs_a_reason_of_ten_characters(world, from_stage, comment):
    project = project_at(from_stage, dispositif=world.a)
    error = refused(world, project, S.ABANDONED, comment, "comment")
    assert "au moins 10 caractères" in error.message


def test_abandon_reason_is_stored_on_the_timeline(world):
    project = project_at(S.QUALIFIED, dispositif=world.a)
    with scope([world.a]):
        services.project_transition(
            project=project, to_stage=S.ABANDONED, by=world.animateur_a, comment=f"  {REASON} "
        )
    last = StageTransition.unscoped_objects.filter(project=project).last()
    assert (last.from_stage, last.to_stage, last.comment) == (S.QUALIFIED, S.ABANDONED, REASON)
    assert not last.is_reopening


def abandon(world, project):
    with scope([world.a]):
        services.project_transition(
            project=project, to_stage=S.ABANDONED, by=world.animateur_a, comment=REASON
        )
    project.refresh_from_db()
    return project


@pytest.mark.parametrize(
    ("abandoned_from", "reopened_to"),
    [
        (S.REFERRED, S.REFERRED),
        (S.QUALIFIED, S.QUALIFIED),
        (S.IN_INSTRUCTION, S.IN_INSTRUCTION),
        (S.ON_AGENDA, S.IN_INSTRUCTION),
        (S.DEFERRED, S.DEFERRED),
        (S.APPROVED, S.APPROVED),
        (S.IN_PROGRESS, S.IN_PROGRESS),
    ],
)
def test_reopen_goes_back_where_it_was_abandoned(world, abandoned_from, reopened_to):
    project = abandon(world, project_at(abandoned_from, dispositif=world.a))
    dates = (project.approved_on, project.first_committee_on)
    with scope([world.a]):
        assert services.project_reopen_target(project) == reopened_to
        services.project_reopen(project=project, by=world.animateur_a, reason=REASON)
    project.refresh_from_db()
    assert project.stage == reopened_to
    # Reopening restores the stage; the committee dates it held stay true.
    assert (project.approved_on, project.first_committee_on) == dates
    last = StageTransition.unscoped_objects.filter(project=project).last()
    assert (last.from_stage, last.to_stage, last.by, last.comment) == (
        S.ABANDONED, reopened_to, world.animateur_a, REASON,
    )  # fmt: skip
    assert last.is_reopening


def test_reopen_of_an_approved_project_keeps_its_dates(world):
    project = abandon(world, project_at(S.APPROVED, dispositif=world.a))
    assert project.approved_on is not None
    approved_on = project.approved_on
    with scope([world.a]):
        services.project_transition(
            project=project, to_stage=S.APPROVED, by=world.animateur_a, comment=REASON
        )
    project.refresh_from_db()
    assert (project.stage, project.approved_on) == (S.APPROVED, approved_on)


@pytest.mark.parametrize("to_stage", [S.REFERRED, S.QUALIFIED, S.ON_AGENDA, S.APPROVED, S.CLOSED])
def test_abandoned_project_reopens_only_where_it_was(world, to_stage):
    project = project_at(S.ABANDONED, dispositif=world.a)  # abandoned from « in instruction »
    error = refused(world, project, to_stage, REASON, "to_stage")
    assert "En instruction" in error.message


@pytest.mark.parametrize("comment", ["", "rouvert"])
def test_reopening_needs_a_reason(world, comment):
    abandoned = project_at(S.ABANDONED, dispositif=world.a)
    refused(world, abandoned, S.IN_INSTRUCTION, comment, "comment")
    deferred = project_at(S.DEFERRED, dispositif=world.a)
    refused(world, deferred, S.IN_INSTRUCTION, comment, "comment")
    before = state(deferred)
    with scope([world.a]), pytest.raises(ApplicationError):
        services.project_reopen(project=deferred, by=world.animateur_a, reason=comment)
    assert state(deferred) == before


def test_deferred_project_reopens_in_instruction(world):
    project = project_at(S.DEFERRED, dispositif=world.a)
    first_committee_on = project.first_committee_on
    with scope([world.a]):
        services.project_reopen(project=project, by=world.animateur_a, reason=REASON)
    project.refresh_from_db()
    assert (project.stage, project.first_committee_on) == (S.IN_INSTRUCTION, first_committee_on)
    last = StageTransition.unscoped_objects.filter(project=project).last()
    assert (last.from_stage, last.comment, last.is_reopening) == (S.DEFERRED, REASON, True)


@pytest.mark.parametrize("stage", [S.REFERRED, S.IN_INSTRUCTION, S.ON_AGENDA, S.REJECTED, S.CLOSED])
def test_only_abandoned_or_deferred_projects_reopen(world, stage):
    project = project_at(stage, dispositif=world.a)
    before = state(project)
    with scope([world.a]):
        assert services.project_reopen_target(project) is None
        with pytest.raises(ApplicationError) as error:
            services.project_reopen(project=project, by=world.animateur_a, reason=REASON)
    assert error.value.field == "to_stage"
    assert state(project) == before


def test_other_moves_need_no_reason(world):
    project = project_at(S.REFERRED, dispositif=world.a)
    with scope([world.a]):
        services.project_transition(project=project, to_stage=S.QUALIFIED, by=None)
    project.refresh_from_db()
    assert project.stage == S.QUALIFIED
