"""The one lifecycle (``alize.lifecycle``): its table, its reason rule, its lock, the log row
every move writes, and the one refusal (``illegal_transition``) of the four state machines."""

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from alize.errors import ApplicationError
from alize.formats import short_date
from alize.lifecycle import ILLEGAL_TRANSITION, Lifecycle, ReasonRule
from alize.tenancy import scope
from committees.models import (
    COMMITTEE_LIFECYCLE,
    COMMITTEE_TRANSITIONS,
    Committee,
    CommitteeStatus,
    CommitteeTransition,
)
from loans.models import ADVANCE_LIFECYCLE, AdvanceStatus, AdvanceTransition
from missions.models import MISSION_LIFECYCLE, MissionStatus, MissionTransition
from pme.models import PROJECT_LIFECYCLE, Stage, StageTransition
from tests.clock import NOW, TODAY
from tests.factories import CommitteeFactory, project_at

S = CommitteeStatus


def committee_lifecycle(**options):
    """A lifecycle over committees, as an app would declare one."""
    return Lifecycle(
        **{
            "model": Committee,
            "state_field": "status",
            "transitions": COMMITTEE_TRANSITIONS,
            "log": CommitteeTransition,
            "illegal_message": "« %(current)s » ne va pas à « %(target)s ».",
            **options,
        }
    )


# The table ----------------------------------------------------------------------------------


def test_a_table_without_a_state_is_refused():
    table = {state: targets for state, targets in COMMITTEE_TRANSITIONS.items() if state != S.HELD}
    with pytest.raises(ImproperlyConfigured, match="held"):
        committee_lifecycle(transitions=table)


def test_a_table_leading_to_an_unknown_state_is_refused():
    table = {**COMMITTEE_TRANSITIONS, S.HELD: frozenset({S.MINUTES_SENT, "postponed"})}
    with pytest.raises(ImproperlyConfigured, match="postponed"):
        committee_lifecycle(transitions=table)


def test_next_states_follow_the_order_of_the_choices():
    lifecycle = committee_lifecycle(
        transitions={**COMMITTEE_TRANSITIONS, S.PLANNED: frozenset({S.HELD, S.AGENDA_SENT})}
    )
    assert lifecycle.next_states(S.PLANNED) == [S.AGENDA_SENT, S.HELD]
    assert lifecycle.next_states(S.MINUTES_SENT) == []
    assert lifecycle.allowed("unknown") == frozenset()


def test_an_illegal_move_is_refused_with_the_labels_the_field_and_the_code():
    lifecycle = committee_lifecycle(field="status")
    lifecycle.check(S.PLANNED, S.HELD)
    with translation.override("fr"), pytest.raises(ApplicationError) as refused:
        lifecycle.check(S.HELD, S.PLANNED)
    error = refused.value
    assert (error.message, error.field, error.code) == (
        "« Tenu » ne va pas à « Planifié ».",
        "status",
        ILLEGAL_TRANSITION,
    )
    assert error.status_code == 400


def test_an_unknown_target_is_refused_by_name():
    with pytest.raises(ApplicationError) as refused:
        committee_lifecycle().check(S.PLANNED, "postponed")
    assert refused.value.message == "« Planifié » ne va pas à « postponed »."
    lifecycle = committee_lifecycle(unknown_message="Statut inconnu : %(status)s.")
    with pytest.raises(ApplicationError) as refused:
        lifecycle.check(S.PLANNED, "postponed")
    assert (refused.value.message, refused.value.code) == (
        "Statut inconnu : postponed.",
        ILLEGAL_TRANSITION,
    )


def test_an_app_refusal_carries_the_same_code_and_field():
    error = committee_lifecycle(field="status").illegal("Passez par le comité.")
    assert (error.message, error.field, error.code) == (
        "Passez par le comité.",
        "status",
        ILLEGAL_TRANSITION,
    )
    assert committee_lifecycle().illegal("Non.", field="outcome").field == "outcome"


@pytest.mark.parametrize(
    ("lifecycle", "current", "target", "field", "start"),
    [
        (PROJECT_LIFECYCLE, Stage.REFERRED, Stage.CLOSED, "to_stage", "Un projet « Signalé »"),
        (
            MISSION_LIFECYCLE,
            MissionStatus.COMPLETED,
            MissionStatus.ACCEPTED,
            "status",
            "Une mission « Terminée »",
        ),
        (
            ADVANCE_LIFECYCLE,
            AdvanceStatus.WRITTEN_OFF,
            AdvanceStatus.REPAYING,
            "status",
            "Une avance « Passée en perte »",
        ),
        (
            COMMITTEE_LIFECYCLE,
            S.MINUTES_SENT,
            S.HELD,
            "status",
            "Un comité « Compte rendu envoyé »",
        ),
    ],
    ids=["pme", "missions", "loans", "committees"],
)
def test_every_app_refuses_an_illegal_move_with_one_code(lifecycle, current, target, field, start):
    with translation.override("fr"), pytest.raises(ApplicationError) as refused:
        lifecycle.check(current, target)
    assert refused.value.code == ILLEGAL_TRANSITION
    assert refused.value.field == field
    assert refused.value.message.startswith(start)


def test_each_log_reads_through_the_shared_names():
    for log, names in (
        (StageTransition, ("from_stage", "to_stage", "comment")),
        (MissionTransition, ("from_status", "to_status", "reason")),
        (AdvanceTransition, ("from_status", "to_status", "comment")),
        (CommitteeTransition, ("from_status", "to_status", "reason")),
    ):
        row = log(**dict(zip(names, ("a", "b", "why"), strict=True)))
        assert (row.from_state, row.to_state, row.reason_text) == ("a", "b", "why")
        assert {field.name for field in log._meta.fields} >= {"by", "at", *names}


# The reason rule ------------------------------------------------------------------------------

RULE = ReasonRule(
    applies=lambda current, target: target == S.HELD,
    message="Dites pourquoi (%(min)s caractères, soit %(count)s).",
    field="why",
    code="reason_required",
    min_length=5,
)


def test_a_reason_is_stripped_and_asked_only_where_the_rule_applies():
    assert RULE.clean("  assez long  ", current=S.PLANNED, target=S.HELD) == "assez long"
    assert RULE.clean(None, current=S.PLANNED, target=S.AGENDA_SENT) == ""
    with pytest.raises(ApplicationError) as refused:
        RULE.clean(" bref ", current=S.PLANNED, target=S.HELD)
    error = refused.value
    assert (error.message, error.field, error.code) == (
        "Dites pourquoi (5 caractères, soit 5).",
        "why",
        "reason_required",
    )


def test_a_reason_message_may_depend_on_the_move():
    rule = ReasonRule(
        applies=lambda current, target: True,
        message=lambda current, target: f"{current} → {target} : %(min)s au moins.",
    )
    with pytest.raises(ApplicationError) as refused:
        rule.clean("", current="a", target="b")
    assert (refused.value.message, refused.value.field) == ("a → b : 10 au moins.", "reason")


# Moving ----------------------------------------------------------------------------------------


def test_a_move_saves_the_state_and_writes_one_log_row(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    lifecycle = committee_lifecycle(reason=RULE)
    at = NOW - dt.timedelta(minutes=5)
    with scope([world.a]):
        log = lifecycle.move(committee, S.HELD, by=world.animateur_a, reason=" tenu tôt ", at=at)
        stored = Committee.objects.get(pk=committee.pk)
        rows = list(CommitteeTransition.objects.filter(committee=committee))
    assert committee.status == stored.status == S.HELD
    assert rows == [log]
    row = rows[0]
    assert (row.from_status, row.to_status, row.by, row.at, row.reason) == (
        S.PLANNED,
        S.HELD,
        world.animateur_a,
        at,
        "tenu tôt",
    )
    assert row.dispositif_id == world.a.pk


def test_a_move_without_a_person_or_a_time_is_logged_now(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    with time_machine.travel(NOW, tick=False), scope([world.a]):
        log = COMMITTEE_LIFECYCLE.move(committee, S.AGENDA_SENT, by=None)
    assert log.by is None and log.at == NOW


@pytest.mark.parametrize(
    ("target", "reason", "field"),
    [(S.MINUTES_SENT, "", "status"), (S.HELD, "non", "why")],
)
def test_a_refused_move_changes_nothing(world, target, reason, field):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    with scope([world.a]):
        with pytest.raises(ApplicationError) as refused:
            committee_lifecycle(reason=RULE).move(committee, target, by=None, reason=reason)
        assert refused.value.field == field
        assert Committee.objects.get(pk=committee.pk).status == S.PLANNED
        assert not CommitteeTransition.objects.filter(committee=committee).exists()


def test_a_move_outside_the_table_is_the_callers_choice(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    with scope([world.a]):
        COMMITTEE_LIFECYCLE.move(committee, S.MINUTES_SENT, by=None, check=False)
        assert Committee.objects.get(pk=committee.pk).status == S.MINUTES_SENT


def test_the_lock_reads_the_stored_state_into_the_callers_instance(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    stale = Committee.unscoped_objects.get(pk=committee.pk)
    Committee.unscoped_objects.filter(pk=committee.pk).update(status=S.HELD)
    with scope([world.a]), CaptureQueriesContext(connection) as queries:
        log = COMMITTEE_LIFECYCLE.move(stale, S.MINUTES_SENT, by=None)
    assert "FOR UPDATE" in queries.captured_queries[0]["sql"]
    assert (log.from_status, stale.status) == (S.HELD, S.MINUTES_SENT)


def test_a_move_on_a_row_already_locked_does_not_lock_again(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    with scope([world.a]):
        assert COMMITTEE_LIFECYCLE.lock(committee) is committee
        with CaptureQueriesContext(connection) as queries:
            COMMITTEE_LIFECYCLE.move(committee, S.HELD, by=None, locked=True)
    assert not any("FOR UPDATE" in query["sql"] for query in queries.captured_queries)
    assert len(queries.captured_queries) == 2  # the row, then its log


def test_the_first_entry_has_no_origin(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    with scope([world.a]):
        log = COMMITTEE_LIFECYCLE.record_start(committee, by=world.animateur_a, reason="créé")
    assert (log.from_state, log.to_state, log.by, log.reason_text) == (
        "",
        S.PLANNED,
        world.animateur_a,
        "créé",
    )


def test_committee_status_changes_are_logged_with_who_and_when(world):
    from committees import services

    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    with scope([world.a]):
        services.committee_set_status(
            committee=committee, status=S.AGENDA_SENT, by=world.animateur_a
        )
        services.committee_set_status(committee=committee, status=S.HELD)
        with pytest.raises(ApplicationError) as refused:
            services.committee_set_status(committee=committee, status=S.PLANNED)
        rows = list(committee.transitions.values_list("from_status", "to_status", "by"))
    assert refused.value.code == ILLEGAL_TRANSITION
    assert rows == [(S.PLANNED, S.AGENDA_SENT, world.animateur_a.pk), (S.AGENDA_SENT, S.HELD, None)]


# One history of a project's stage ------------------------------------------------------------


def test_a_stage_move_leaves_the_audit_history_alone(world):
    from pme import services

    project = project_at(Stage.REFERRED, dispositif=world.a)
    rows = project.history.count()
    with scope([world.a]):
        services.project_transition(project=project, to_stage=Stage.QUALIFIED, by=None)
    assert project.history.count() == rows
    assert "stage" not in {field.name for field in project.history.model._meta.fields}


def test_the_audit_history_shows_each_stage_change_with_the_dates_its_move_set(world):
    from pme.selectors import project_history

    project = project_at(Stage.APPROVED, dispositif=world.a, by=world.animateur_a)
    with scope([world.a]), translation.override("fr"):
        history = project_history(project)
    changes = [[(c.label, c.old, c.new) for c in entry.changes] for entry in history]
    today = short_date(TODAY)
    assert changes == [
        [
            ("Étape", "Inscrit en comité", "Accepté"),
            ("Accepté le", "—", today),
            ("Premier passage en comité", "—", today),
        ],
        [("Étape", "En instruction", "Inscrit en comité")],
        [("Étape", "Qualifié", "En instruction")],
        [("Étape", "Signalé", "Qualifié")],
        [],
    ]
    assert history[-1].created
    assert [entry.user for entry in history[1:-1]] == [world.animateur_a] * 3
