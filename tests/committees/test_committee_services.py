"""Committee services: host suggestion, scheduling, agenda, attendance, commitments,
decisions and the committee status machine. Every refusal is checked to change nothing."""

import datetime as dt
import itertools
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
    PartnerCommitment,
)
from pme.models import Project, Stage, StageTransition
from pme.services import project_transition
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
    record_quorum,
)


def seat(dispositif, name, kind="large_firm", **membership):
    organisation = OrganisationFactory(name=name, kind=kind, city=f"Ville de {name}")
    MembershipFactory(dispositif=dispositif, organisation=organisation, **membership)
    return organisation


def stage_of(project):
    return Project.unscoped_objects.get(pk=project.pk).stage


# --- Host suggestion and scheduling ---------------------------------------------------------


def test_suggest_host_never_hosted_first_then_least_recent(world):
    edf = seat(world.a, "EDF")
    cci = seat(world.a, "CCI", kind="consular")
    region = seat(world.a, "Région", kind="public_body")
    seat(world.a, "Ancien membre", left_on=TODAY - dt.timedelta(days=30))
    seat(world.b, "Membre de B seulement")
    # The shared world's firm hosted yesterday: the most recent host, never suggested here.
    CommitteeFactory(dispositif=world.a, host=world.firm_a, date=TODAY - dt.timedelta(days=1))
    CommitteeFactory(dispositif=world.a, host=edf, date=TODAY - dt.timedelta(days=300))
    CommitteeFactory(dispositif=world.a, host=cci, date=TODAY - dt.timedelta(days=100))
    with scope([world.a]):
        assert services.committee_suggest_host(world.a) == region
    CommitteeFactory(dispositif=world.a, host=region, date=TODAY - dt.timedelta(days=10))
    with scope([world.a]):
        assert services.committee_suggest_host(world.a) == edf
    CommitteeFactory(dispositif=world.a, host=edf, date=TODAY + dt.timedelta(days=20))
    with scope([world.a]):
        assert services.committee_suggest_host(world.a) == cci


def test_suggest_host_without_members_is_none(world):
    with scope([world.b]):
        assert services.committee_suggest_host(world.b) is None


def test_schedule_refuses_a_host_that_is_not_a_member(world):
    outsider = seat(world.b, "Membre de B")
    former = seat(world.a, "Parti", left_on=TODAY - dt.timedelta(days=1))
    member = seat(world.a, "EDF")
    date = TODAY + dt.timedelta(days=15)
    with scope([world.a]):
        for host in (outsider, former, OrganisationFactory(name="Inconnue")):
            with pytest.raises(ValidationError) as refused:
                services.committee_schedule(dispositif=world.a, date=date, host=host)
            assert "host" in refused.value.message_dict
        assert Committee.objects.count() == 0
        committee = services.committee_schedule(
            dispositif=world.a, date=date, host=member, place="Usine", start_time=dt.time(14, 30)
        )
    assert (committee.host, committee.place, committee.status) == (member, "Usine", "planned")


def test_update_refuses_a_non_member_host_and_keeps_the_row(world):
    member = seat(world.a, "EDF")
    outsider = seat(world.b, "Membre de B")
    committee = CommitteeFactory(dispositif=world.a, host=member)
    with scope([world.a]):
        with pytest.raises(ValidationError):
            services.committee_update(committee=committee, host=outsider, place="Ailleurs")
        stored = Committee.objects.get(pk=committee.pk)
        assert (stored.host, stored.place) == (member, "Salle du conseil")
        services.committee_update(committee=stored, place="Siège", minutes="Compte rendu")
    stored = Committee.unscoped_objects.get(pk=committee.pk)
    assert (stored.place, stored.minutes) == ("Siège", "Compte rendu")


# --- Committee status machine ---------------------------------------------------------------

S = CommitteeStatus
LEGAL_STATUS_MOVES = {
    (S.PLANNED, S.AGENDA_SENT),
    (S.PLANNED, S.HELD),
    (S.AGENDA_SENT, S.HELD),
    (S.HELD, S.MINUTES_SENT),
    (S.PLANNED, S.CANCELLED),
    (S.AGENDA_SENT, S.CANCELLED),
}
PATH_TO = {
    S.PLANNED: [],
    S.AGENDA_SENT: [S.AGENDA_SENT],
    S.HELD: [S.HELD],
    S.MINUTES_SENT: [S.HELD, S.MINUTES_SENT],
    S.CANCELLED: [S.CANCELLED],
}


@pytest.mark.parametrize(
    ("current", "target"), list(itertools.product(S.values, [*S.values, "postponed"]))
)
def test_committee_status_moves(world, current, target):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    with scope([world.a]):
        for step in PATH_TO[current]:
            services.committee_set_status(committee=committee, status=step)
        assert Committee.objects.get(pk=committee.pk).status == current
        if (current, target) in LEGAL_STATUS_MOVES:
            services.committee_set_status(committee=committee, status=target)
            assert Committee.objects.get(pk=committee.pk).status == target
        else:
            with pytest.raises(ApplicationError) as refused:
                services.committee_set_status(committee=committee, status=target)
            assert refused.value.field == "status"
            assert Committee.objects.get(pk=committee.pk).status == current


# --- Agenda ---------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", Stage.values)
def test_agenda_add_only_for_projects_in_instruction_or_deferred(world, stage):
    project = project_at(stage, dispositif=world.a)
    committee = CommitteeFactory(dispositif=world.a)
    with scope([world.a]):
        if stage in (Stage.IN_INSTRUCTION, Stage.DEFERRED):
            item = services.agenda_add_project(
                committee=committee, project=project, by=world.animateur_a
            )
            assert item.order == 1
            assert stage_of(project) == Stage.ON_AGENDA
            last = StageTransition.objects.filter(project=project).last()
            assert (last.from_stage, last.to_stage, last.by) == (
                stage,
                Stage.ON_AGENDA,
                world.animateur_a,
            )
        else:
            with pytest.raises(ValidationError) as refused:
                services.agenda_add_project(committee=committee, project=project, by=None)
            assert "project" in refused.value.message_dict
            assert stage_of(project) == stage
            assert not AgendaItem.objects.filter(committee=committee).exists()


def test_agenda_add_refuses_a_project_of_another_dispositif(world):
    foreign = project_at(Stage.IN_INSTRUCTION, dispositif=world.b)
    committee = CommitteeFactory(dispositif=world.a)
    with scope(every_dispositif=True, reason="test: coordinator-wide scope"):
        with pytest.raises(ValidationError) as refused:
            services.agenda_add_project(committee=committee, project=foreign, by=None)
        assert "project" in refused.value.message_dict
    assert stage_of(foreign) == Stage.IN_INSTRUCTION
    assert not AgendaItem.unscoped_objects.filter(committee=committee).exists()


def test_agenda_add_refuses_duplicates_and_numbers_in_order(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    first, second = (project_at(Stage.IN_INSTRUCTION, dispositif=world.a) for _ in range(2))
    with scope([world.a]):
        item = services.agenda_add_project(committee=committee, project=first, by=None)
        record_quorum(item.committee)
        services.committee_record_decision(item=item, outcome="deferred", by=None)
        project = Project.objects.get(pk=first.pk)
        assert project.stage == Stage.DEFERRED
        with pytest.raises(ValidationError) as refused:
            services.agenda_add_project(committee=committee, project=project, by=None)
        assert "déjà" in refused.value.message_dict["project"][0]
        assert stage_of(first) == Stage.DEFERRED
        other = services.agenda_add_project(committee=committee, project=second, by=None)
        assert other.order == 2
        assert AgendaItem.objects.filter(committee=committee).count() == 2


def test_agenda_of_a_held_committee_is_closed(world):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    on_agenda = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    with scope([world.a]):
        item = services.agenda_add_project(committee=committee, project=on_agenda, by=None)
        services.committee_set_status(committee=committee, status=S.HELD)
        with pytest.raises(ApplicationError):
            services.agenda_add_project(committee=committee, project=project, by=None)
        with pytest.raises(ApplicationError):
            services.agenda_remove_item(item=item, by=None)
        with pytest.raises(ApplicationError):
            services.agenda_reorder(committee=committee, item_ids=[item.pk])
    assert stage_of(project) == Stage.IN_INSTRUCTION
    assert stage_of(on_agenda) == Stage.ON_AGENDA
    assert AgendaItem.unscoped_objects.filter(committee=committee).count() == 1


def _agenda(world, count):
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    projects = [project_at(Stage.IN_INSTRUCTION, dispositif=world.a) for _ in range(count)]
    with scope([world.a]):
        items = [
            services.agenda_add_project(committee=committee, project=p, by=None) for p in projects
        ]
    return committee, items


def _order(committee):
    return list(
        AgendaItem.unscoped_objects.filter(committee=committee)
        .order_by("order")
        .values_list("pk", "order")
    )


def test_remove_returns_the_project_to_instruction_and_renumbers(world):
    committee, (one, two, three) = _agenda(world, 3)
    with scope([world.a]):
        services.agenda_remove_item(item=two, by=world.animateur_a)
    assert stage_of(two.project) == Stage.IN_INSTRUCTION
    assert _order(committee) == [(one.pk, 1), (three.pk, 2)]


def test_remove_refuses_a_decided_item(world):
    committee, (item,) = _agenda(world, 1)
    with scope([world.a]):
        record_quorum(item.committee)
        services.committee_record_decision(item=item, outcome="rejected", by=None)
        with pytest.raises(ApplicationError):
            services.agenda_remove_item(item=item, by=None)
    assert AgendaItem.unscoped_objects.filter(pk=item.pk).exists()
    assert stage_of(item.project) == Stage.REJECTED


def test_remove_keeps_an_abandoned_project_abandoned(world):
    committee, (item, other) = _agenda(world, 2)
    with scope([world.a]):
        project_transition(
            project=item.project, to_stage=Stage.ABANDONED, by=None, comment="Le dirigeant renonce."
        )
        services.agenda_remove_item(item=AgendaItem.objects.get(pk=item.pk), by=None)
    assert stage_of(item.project) == Stage.ABANDONED
    assert _order(committee) == [(other.pk, 1)]


def test_reorder_must_be_a_permutation(world):
    committee, (one, two, three) = _agenda(world, 3)
    _, (foreign,) = _agenda(world, 1)
    bad_orders = [
        [one.pk, two.pk],
        [one.pk, two.pk, two.pk],
        [one.pk, two.pk, three.pk, three.pk],
        [one.pk, two.pk, foreign.pk],
        [one.pk, two.pk, three.pk, foreign.pk],
        [],
    ]
    with scope([world.a]):
        for ids in bad_orders:
            with pytest.raises(ValidationError) as refused:
                services.agenda_reorder(committee=committee, item_ids=ids)
            assert "order" in refused.value.message_dict
            assert _order(committee) == [(one.pk, 1), (two.pk, 2), (three.pk, 3)]
        services.agenda_reorder(committee=committee, item_ids=[three.pk, one.pk, two.pk])
    assert _order(committee) == [(three.pk, 1), (one.pk, 2), (two.pk, 3)]


def test_move_item_up_and_down_stays_within_the_agenda(world):
    committee, (one, two, three) = _agenda(world, 3)
    with scope([world.a]):
        services.agenda_move_item(item=AgendaItem.objects.get(pk=three.pk), offset=-1)
        assert _order(committee) == [(one.pk, 1), (three.pk, 2), (two.pk, 3)]
        services.agenda_move_item(item=AgendaItem.objects.get(pk=one.pk), offset=-1)
        assert _order(committee) == [(one.pk, 1), (three.pk, 2), (two.pk, 3)]
        services.agenda_move_item(item=AgendaItem.objects.get(pk=one.pk), offset=1)
        assert _order(committee) == [(three.pk, 1), (one.pk, 2), (two.pk, 3)]
        services.agenda_move_item(item=AgendaItem.objects.get(pk=two.pk), offset=1)
        assert _order(committee) == [(three.pk, 1), (one.pk, 2), (two.pk, 3)]


# --- Attendance -----------------------------------------------------------------------------


def test_roster_only_for_members_one_line_per_organisation(world):
    member = seat(world.a, "EDF")
    outsider = seat(world.b, "Membre de B")
    committee = CommitteeFactory(dispositif=world.a, date=TODAY)
    line = services.RosterLine
    with scope([world.a]):
        with pytest.raises(ValidationError) as refused:
            services.attendance_record_roster(
                committee=committee, lines=[line(organisation=outsider, status="present")]
            )
        assert "organisation" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            services.attendance_record_roster(
                committee=committee,
                lines=[line(organisation=member, status="present")] * 2,
            )
        assert "organisation" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            services.attendance_record_roster(committee=committee, lines=[])
        assert not Attendance.objects.exists()
        services.attendance_record_roster(
            committee=committee,
            lines=[line(organisation=member, status="present", person_name="M. Roy")],
        )
        services.attendance_record_roster(
            committee=committee, lines=[line(organisation=member, status="excused")]
        )
        rows = list(Attendance.objects.values_list("person_name", "status"))
    assert rows == [("", "excused")]


# --- Partner commitments --------------------------------------------------------------------


def test_large_firms_come_after_other_partners_whatever_the_typing_order(world):
    edf = seat(world.a, "EDF", kind="large_firm")
    areva = seat(world.a, "Areva", kind="large_firm")
    region = seat(
        world.a,
        "Région",
        kind="public_body",
    )
    bank = seat(
        world.a,
        "Banque",
        kind="bank",
    )
    cci = seat(world.a, "CCI", kind="consular")
    _, (item,) = _agenda(world, 1)
    typed = [
        (edf, "Mission qualité", None),
        (region, "Subvention régionale", Decimal("20000")),
        (areva, "Mission export", None),
        (bank, "Prêt bancaire", Decimal("80000")),
        (cci, "Formation", Decimal("1500")),
    ]
    with scope([world.a]):
        for organisation, tool, amount in typed:
            services.commitment_record(
                item=item, organisation=organisation, tool=tool, amount=amount, by=None
            )
        ordered = [c.organisation for c in PartnerCommitment.objects.filter(item=item)]
        in_agenda_order = [c.organisation for c in item.commitments.all()]
    assert ordered == [region, bank, cci, edf, areva]
    assert in_agenda_order == ordered


def test_commitments_need_a_member_a_tool_and_a_positive_amount(world):
    member = seat(world.a, "Région", kind="public_body")
    outsider = seat(world.b, "Membre de B")
    _, (item,) = _agenda(world, 1)
    cases = [
        (outsider, "Prêt", None, "organisation"),
        (member, "  ", None, "tool"),
        (member, "Subvention", Decimal("0"), "amount"),
        (member, "Subvention", Decimal("-10"), "amount"),
    ]
    with scope([world.a]):
        for organisation, tool, amount, field in cases:
            with pytest.raises(ValidationError) as refused:
                services.commitment_record(
                    item=item, organisation=organisation, tool=tool, amount=amount, by=None
                )
            assert field in refused.value.message_dict
        assert not PartnerCommitment.objects.exists()
        commitment = services.commitment_record(
            item=item, organisation=member, tool="Subvention", amount=Decimal("0.01"), by=None
        )
    assert commitment.amount == Decimal("0.01")


def test_commitments_are_closed_once_minutes_are_sent(world):
    member = seat(world.a, "Région", kind="public_body")
    committee, (item,) = _agenda(world, 1)
    with scope([world.a]):
        commitment = services.commitment_record(
            item=item, organisation=member, tool="Subvention", amount=None, by=None
        )
        services.committee_set_status(committee=committee, status=S.HELD)
        services.committee_set_status(committee=committee, status=S.MINUTES_SENT)
        item = AgendaItem.objects.get(pk=item.pk)
        with pytest.raises(ApplicationError):
            services.commitment_record(
                item=item, organisation=member, tool="Prêt", amount=None, by=None
            )
        with pytest.raises(ApplicationError):
            services.commitment_delete(commitment=PartnerCommitment.objects.get(pk=commitment.pk))
        assert PartnerCommitment.objects.count() == 1


def test_deleted_commitment_stays_in_history(world):
    member = seat(world.a, "Région", kind="public_body")
    _, (item,) = _agenda(world, 1)
    with scope([world.a]):
        commitment = services.commitment_record(
            item=item, organisation=member, tool="Subvention", amount=None, by=None
        )
        commitment_id = commitment.pk
        services.commitment_delete(commitment=commitment)
        assert not PartnerCommitment.objects.exists()
    types = list(
        PartnerCommitment.history.filter(id=commitment_id)
        .order_by("history_date")
        .values_list("history_type", flat=True)
    )
    assert types == ["+", "-"]


# --- Decisions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "stage"),
    [("approved", Stage.APPROVED), ("deferred", Stage.DEFERRED), ("rejected", Stage.REJECTED)],
)
def test_decision_moves_the_stage(world, outcome, stage):
    committee, (item,) = _agenda(world, 1)
    extra = (
        {
            "missions_granted": 2,
            "missions_description": "Qualité",
            "advance_amount": Decimal("12000"),
        }
        if outcome == "approved"
        else {}
    )
    with scope([world.a]):
        record_quorum(item.committee)
        decision = services.committee_record_decision(
            item=item, outcome=outcome, by=world.animateur_a, conditions="Sous réserve", **extra
        )
    project = Project.unscoped_objects.get(pk=item.project_id)
    assert project.stage == stage
    assert project.first_committee_on == committee.date
    assert project.approved_on == (committee.date if outcome == "approved" else None)
    assert decision.decided_by == world.animateur_a
    assert decision.conditions == "Sous réserve"
    last = StageTransition.unscoped_objects.filter(project=project).last()
    assert (last.from_stage, last.to_stage) == (Stage.ON_AGENDA, stage)
    if outcome == "approved":
        assert (decision.missions_granted, decision.advance_amount) == (2, Decimal("12000"))


def test_first_committee_date_is_kept_on_a_second_passage(world):
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    first_day = TODAY - dt.timedelta(days=60)
    later = CommitteeFactory(dispositif=world.a, date=TODAY)
    with scope([world.a]):
        first = services.committee_record_past(
            dispositif=world.a, date=first_day, by=None, projects=[project]
        )
        record_quorum(first)
        services.committee_record_decision(item=first.items.get(), outcome="deferred", by=None)
        project = Project.objects.get(pk=project.pk)
        second = services.agenda_add_project(committee=later, project=project, by=None)
        record_quorum(second.committee)
        services.committee_record_decision(item=second, outcome="approved", by=None)
    project = Project.unscoped_objects.get(pk=project.pk)
    assert project.first_committee_on == first_day
    assert project.approved_on == later.date


def _refused_decision(world, item, expected_field, **kwargs):
    before = StageTransition.unscoped_objects.filter(project_id=item.project_id).count()
    stage = stage_of(item.project)
    with scope([world.a]), pytest.raises((ValidationError, ApplicationError)) as refused:
        record_quorum(item.committee)
        services.committee_record_decision(item=item, by=None, **kwargs)
    error = refused.value
    fields = error.message_dict if isinstance(error, ValidationError) else {error.field: 1}
    assert expected_field in fields
    assert stage_of(item.project) == stage
    assert StageTransition.unscoped_objects.filter(project_id=item.project_id).count() == before
    project = Project.unscoped_objects.get(pk=item.project_id)
    return project


def test_refused_decisions_change_nothing(world):
    _, (item,) = _agenda(world, 1)
    cases = [
        ({"outcome": "approved", "advance_amount": Decimal("9999.99")}, "advance_amount"),
        ({"outcome": "approved", "advance_amount": Decimal("15000.01")}, "advance_amount"),
        ({"outcome": "approved", "advance_amount": Decimal("-1")}, "advance_amount"),
        ({"outcome": "deferred", "advance_amount": Decimal("12000")}, "advance_amount"),
        ({"outcome": "rejected", "advance_amount": Decimal("12000")}, "advance_amount"),
        ({"outcome": "rejected", "missions_granted": 1}, "missions_granted"),
        ({"outcome": "maybe"}, "outcome"),
    ]
    for kwargs, field in cases:
        project = _refused_decision(world, item, field, **kwargs)
        assert (project.first_committee_on, project.approved_on) == (None, None)
        assert not Decision.unscoped_objects.exists()
    with scope([world.a]):
        record_quorum(item.committee)
        services.committee_record_decision(
            item=item, outcome="approved", advance_amount=Decimal("10000"), by=None
        )
    _refused_decision(world, item, "outcome", outcome="rejected")
    assert list(Decision.unscoped_objects.values_list("outcome", flat=True)) == ["approved"]
    assert stage_of(item.project) == Stage.APPROVED


def test_decision_and_stage_move_in_one_transaction(world):
    """The decision row is written before the stage moves: when the move is refused (the
    project was abandoned meanwhile), the decision row must be rolled back with it."""
    _, (item,) = _agenda(world, 1)
    with scope([world.a]):
        project_transition(
            project=item.project, to_stage=Stage.ABANDONED, by=None, comment="Le dirigeant renonce."
        )
    project = _refused_decision(world, item, "to_stage", outcome="approved")
    assert project.stage == Stage.ABANDONED
    assert project.first_committee_on is None
    assert not Decision.unscoped_objects.exists()
    assert not Decision.history.exists()
