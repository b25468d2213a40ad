"""Governance of a committee: declarations of interest recuse an organisation for a dossier,
the quorum holds per dossier once recusals are taken out, the roster is recorded in one
form, members answer the invitation; the minutes name the present, excused, absent and
recused."""

import pytest
from django.core.exceptions import ValidationError

from alize.errors import ApplicationError
from alize.tenancy import scope
from committees import services
from committees.models import (
    Attendance,
    CommitteeReply,
    Decision,
    DecisionParticipant,
    InterestDeclaration,
)
from committees.selectors import committee_quorums
from dispositifs.models import Dispositif
from pme.models import Stage
from reporting import builders, runner
from reporting import services as reporting_services
from reporting.models import DocumentKind
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
)
from tests.reporting.conftest import pdf_text


def seat(dispositif, name, kind):
    organisation = OrganisationFactory(name=name, kind=kind)
    MembershipFactory(dispositif=dispositif, organisation=organisation)
    return organisation


@pytest.fixture
def table(world):
    """Dispositif A with the real quorum rule (three organisations, a firm and a public body
    among them), five seated organisations and a committee sitting today with one dossier."""
    Dispositif.unscoped_objects.filter(pk=world.a.pk).update(
        quorum_organisations=3, quorum_needs_firm=True, quorum_needs_public=True
    )
    world.a.refresh_from_db()
    orgs = {
        "firm": seat(world.a, "EDF test", "large_firm"),
        "region": seat(world.a, "Région Hauts-de-France test", "public_body"),
        "bank": seat(world.a, "Banque du Nord test", "bank"),
        "cci": seat(world.a, "CCI Grand Hainaut test", "consular"),
        "agency": seat(world.a, "Agence de développement test", "development_agency"),
    }
    committee = CommitteeFactory(dispositif=world.a, date=TODAY, place="Hôtel de région")
    project = project_at(Stage.IN_INSTRUCTION, dispositif=world.a)
    with scope([world.a]):
        item = services.agenda_add_project(committee=committee, project=project, by=None)
    return committee, item, orgs


def roster(committee, **statuses):
    lines = [
        services.RosterLine(
            organisation=organisation,
            status=status,
            person_name=f"Personne {organisation.name}" if status == "present" else "",
            represented_by="M. Suppléant" if status == "represented" else "",
        )
        for organisation, status in statuses.values()
    ]
    return services.attendance_record_roster(committee=committee, lines=lines)


def test_recused_member_takes_the_quorum_away_and_the_refusal_names_what_is_missing(world, table):
    committee, item, orgs = table
    with scope([world.a]):
        roster(
            committee,
            firm=(orgs["firm"], "present"),
            region=(orgs["region"], "represented"),
            bank=(orgs["bank"], "present"),
            cci=(orgs["cci"], "excused"),
            agency=(orgs["agency"], "absent"),
        )
        assert committee_quorums(committee)[item.pk].holds
        services.interest_declare(
            item=item, organisation=orgs["bank"], kind="creditor", note="Prêt en cours", by=None
        )
        quorum = committee_quorums(committee)[item.pk]
        assert not quorum.holds and quorum.recused == [orgs["bank"]]
        with pytest.raises(ApplicationError) as refused:
            services.committee_record_decision(item=item, outcome="approved", by=None)
    message = str(refused.value)
    assert "Quorum non atteint" in message
    assert "2 organisations membres présentes et non récusées sur 3 requises" in message
    assert "Récusés : Banque du Nord test" in message
    assert not Decision.unscoped_objects.exists()


def test_missing_firm_and_public_body_are_named(world, table):
    committee, item, orgs = table
    with scope([world.a]):
        roster(
            committee,
            bank=(orgs["bank"], "present"),
            cci=(orgs["cci"], "present"),
            agency=(orgs["agency"], "present"),
        )
        with pytest.raises(ApplicationError) as refused:
            services.committee_record_decision(item=item, outcome="rejected", by=None)
    assert "aucune entreprise partenaire" in str(refused.value)
    assert "aucun organisme public" in str(refused.value)


def test_with_the_quorum_the_decision_is_recorded_without_the_recused(world, table):
    committee, item, orgs = table
    with scope([world.a]):
        roster(
            committee,
            firm=(orgs["firm"], "present"),
            region=(orgs["region"], "present"),
            bank=(orgs["bank"], "present"),
            cci=(orgs["cci"], "present"),
        )
        services.interest_declare(item=item, organisation=orgs["bank"], kind="creditor", by=None)
        with pytest.raises(ValidationError) as refused:
            services.committee_record_decision(
                item=item, outcome="approved", by=None, participants=[orgs["bank"], orgs["firm"]]
            )
        assert "Banque du Nord test est récusé" in str(refused.value)
        assert not Decision.objects.exists()
        decision = services.committee_record_decision(item=item, outcome="approved", by=None)
    taking_part = set(
        DecisionParticipant.unscoped_objects.filter(decision=decision).values_list(
            "organisation__name", flat=True
        )
    )
    assert taking_part == {orgs[k].name for k in ("firm", "region", "cci")}


def test_an_absent_organisation_cannot_take_part(world, table):
    committee, item, orgs = table
    with scope([world.a]):
        roster(
            committee,
            firm=(orgs["firm"], "present"),
            region=(orgs["region"], "present"),
            bank=(orgs["bank"], "present"),
            cci=(orgs["cci"], "absent"),
        )
        with pytest.raises(ValidationError) as refused:
            services.committee_record_decision(
                item=item, outcome="approved", by=None, participants=[orgs["cci"]]
            )
    assert "n'est pas présent" in str(refused.value)


def test_declarations_are_kept_and_say_who_recorded_them(world, table):
    committee, item, orgs = table
    MembershipFactory(dispositif=world.a, organisation=world.member_organisation_a)
    with scope([world.a]):
        own = services.interest_declare(
            item=item,
            organisation=world.member_organisation_a,
            kind="shareholder",
            by=world.member_a,
        )
        for_them = services.interest_declare(
            item=item, organisation=orgs["cci"], kind="supplier", by=world.animateur_a
        )
    assert not own.on_behalf and own.recorded_by == world.member_a
    assert for_them.on_behalf and for_them.recorded_by == world.animateur_a
    assert InterestDeclaration.unscoped_objects.count() == 2


def test_declaration_refusals(world, table):
    committee, item, orgs = table
    outsider = OrganisationFactory(name="Hors table", kind="bank")
    with scope([world.a]):
        with pytest.raises(ValidationError) as refused:
            services.interest_declare(item=item, organisation=outsider, kind="creditor", by=None)
        assert "organisation" in refused.value.message_dict
        with pytest.raises(ValidationError) as refused:
            services.interest_declare(item=item, organisation=orgs["cci"], kind="other", by=None)
        assert "note" in refused.value.message_dict
        with pytest.raises(ValidationError):
            services.interest_declare(item=item, organisation=orgs["cci"], kind="rival", by=None)
        roster(
            committee,
            firm=(orgs["firm"], "present"),
            region=(orgs["region"], "present"),
            bank=(orgs["bank"], "present"),
        )
        services.committee_record_decision(item=item, outcome="rejected", by=None)
        with pytest.raises(ApplicationError):
            services.interest_declare(item=item, organisation=orgs["cci"], kind="family", by=None)
    assert not InterestDeclaration.unscoped_objects.exists()


def test_roster_is_recorded_once_for_the_meeting_and_corrected_in_place(world, table):
    committee, _item, orgs = table
    with scope([world.a]):
        roster(committee, firm=(orgs["firm"], "present"), cci=(orgs["cci"], "excused"))
        roster(committee, cci=(orgs["cci"], "represented"))
        with pytest.raises(ValidationError) as refused:
            services.attendance_record_roster(
                committee=committee,
                lines=[services.RosterLine(organisation=orgs["bank"], status="represented")],
            )
        assert "represented_by" in refused.value.message_dict
    rows = dict(Attendance.unscoped_objects.values_list("organisation__name", "status"))
    assert rows == {orgs["firm"].name: "present", orgs["cci"].name: "represented"}


def test_roster_waits_for_the_meeting_day(world, table):
    _committee, _item, orgs = table
    later = CommitteeFactory(dispositif=world.a)
    with scope([world.a]), pytest.raises(ApplicationError):
        roster(later, firm=(orgs["firm"], "present"))


def test_member_answers_the_invitation_for_their_organisation(world, table):
    committee, _item, orgs = table
    MembershipFactory(dispositif=world.a, organisation=world.member_organisation_a)
    with scope([world.a]):
        services.committee_reply(
            committee=committee,
            user=world.member_a,
            organisation=world.member_organisation_a,
            answer="maybe",
        )
        reply = services.committee_reply(
            committee=committee,
            user=world.member_a,
            organisation=world.member_organisation_a,
            answer="yes",
            comment="J'arriverai à 9 h 45.",
        )
        with pytest.raises(ValidationError):
            services.committee_reply(
                committee=committee, user=world.member_a, organisation=orgs["bank"], answer="no"
            )
    assert CommitteeReply.unscoped_objects.get().pk == reply.pk
    assert reply.answer == "yes" and reply.comment == "J'arriverai à 9 h 45."


def test_minutes_list_present_excused_absent_and_recused(world, table):
    committee, item, orgs = table
    with scope([world.a]):
        roster(
            committee,
            firm=(orgs["firm"], "present"),
            region=(orgs["region"], "represented"),
            bank=(orgs["bank"], "present"),
            cci=(orgs["cci"], "excused"),
            agency=(orgs["agency"], "absent"),
        )
        services.interest_declare(item=item, organisation=orgs["agency"], kind="family", by=None)
        services.committee_record_decision(item=item, outcome="approved", by=None)
        services.committee_set_status(committee=committee, status="held")
        document = reporting_services.document_request(
            kind=DocumentKind.MINUTES, committee=committee, by=None
        )
    with runner.document_scope(document):
        text = pdf_text(builders.build(document, lambda _percent: None).content)
    flat = " ".join(text.split())
    assert "Présents" in flat and "Personne EDF test" in flat
    assert "représenté par M. Suppléant" in flat
    assert "Excusés" in flat and "CCI Grand Hainaut test" in flat
    assert "Absents" in flat
    assert "Récusés : Agence de développement test" in flat
