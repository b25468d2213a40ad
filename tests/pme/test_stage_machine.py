"""Every legal and illegal move of the project stage machine (DESIGN §4)."""

import datetime as dt
import itertools

import pytest

from alize.errors import ApplicationError
from alize.tenancy import scope
from pme import services
from pme.models import Stage, StageTransition
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
}  # fmt: skip
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
                project=project, to_stage=to_stage, by=world.animateur_a, comment="ok"
            )
            project.refresh_from_db()
            assert project.stage == to_stage
            last = StageTransition.objects.filter(project=project).last()
            assert (last.from_stage, last.to_stage, last.by, last.comment) == (
                from_stage, to_stage, world.animateur_a, "ok",
            )  # fmt: skip
        else:
            with pytest.raises(ApplicationError) as refused:
                services.project_transition(
                    project=project, to_stage=to_stage, by=world.animateur_a
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
