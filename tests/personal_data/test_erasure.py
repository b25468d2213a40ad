"""Erasure keeps the statistics and leaves no trace (docs/personal-data.md, "Erasure"): an
expert, an SME contact and a committee member are erased; every hour, value, decision,
indicator and annual report figure is the same before and after, and their name and e-mail
are found in no text column of any table, history tables included."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db.models import Sum

from alize.accounts.models import RoleAssignment, User
from alize.errors import ApplicationError
from alize.indicators import facts, reading
from alize.models import ErasureOrigin, ErasureRecord
from alize.personal_data import services
from alize.tenancy import scope
from committees.models import Attendance, CommitteeReply, Decision, DecisionParticipant
from loans.models import LedgerLine
from missions.models import HourLog, SkillMission
from partners.models import Expert
from pme.models import Company, Project
from reporting import runner, selectors
from reporting import services as reporting_services
from reporting.models import DocumentKind
from tests.clock import TODAY
from tests.factories import CompanyFactory, project_at
from tests.personal_data.conftest import (
    EXPERT_EMAIL,
    EXPERT_NAME,
    EXPERT_PHONE,
    plant_outbox_and_logs,
    traces,
)
from tests.reporting.conftest import make_sitting

YEAR = TODAY.year
REASON = "Demande de la personne reçue par courrier le 2 juin."


def statistics(world) -> dict:
    """Every figure an erasure must leave alone: the rows of hours, missions, decisions and
    money, the kept indicators and the annual report's figures."""
    facts.refresh_all()
    with scope(every_dispositif=True, reason="test referee"):
        rows = reading.by_dispositif(None, [YEAR - 1, YEAR])
        total = reading.total(None, YEAR)
        hours = list(
            HourLog.objects.order_by("pk").values_list(
                "pk", "mission_id", "expert_id", "date", "hours", "kind"
            )
        )
        missions = list(
            SkillMission.objects.order_by("pk")
            .annotate(logged=Sum("hour_logs__hours"))
            .values_list("pk", "status", "planned_hours", "firm_id", "decision_id", "logged")
        )
        decisions = list(
            Decision.objects.order_by("pk").values_list(
                "pk", "outcome", "advance_amount", "missions_granted", "item_id"
            )
        )
        participants = list(
            DecisionParticipant.objects.order_by("pk").values_list("pk", "organisation_id")
        )
        document = reporting_services.document_request(
            kind=DocumentKind.ANNUAL_REPORT, year=YEAR, by=None, dispositif=world.a
        )
    with runner.document_scope(document):
        annual = selectors.annual_figures(YEAR, world.a.pk).values
    return {
        "indicators": {
            place: {key: figure.value for key, figure in row.items()} for place, row in rows.items()
        },
        "total": {key: figure.value for key, figure in total.items()},
        "hours": hours,
        "missions": missions,
        "decisions": decisions,
        "participants": participants,
        "annual": annual,
    }


# An expert --------------------------------------------------------------------------------


def test_erasing_an_expert_keeps_every_figure_and_leaves_no_trace(world, expert_world):
    expert = expert_world
    before = statistics(world)
    assert before["hours"] and before["annual"]["expert_hours"] > 0
    planted = traces(EXPERT_NAME, EXPERT_EMAIL, EXPERT_PHONE)
    assert len(planted) >= 8, planted  # the test means something: the name was everywhere

    records = services.person_erase(
        kind="expert", person_id=expert.pk, by=world.coordinator, reason=REASON
    )

    assert traces(EXPERT_NAME, EXPERT_EMAIL, EXPERT_PHONE) == []
    assert statistics(world) == before
    expert.refresh_from_db()
    assert expert.full_name == f"Personne effacée #{expert.pk}"
    assert (expert.email, expert.phone, expert.is_active) == ("", "", False)
    assert expert.organisation_id == world.firm_a.pk and expert.user_id == world.expert_a.pk
    # Her account is the same person: erased with her, closed, its roles withdrawn.
    account = User.objects.get(pk=world.expert_a.pk)
    assert account.full_name == f"Personne effacée #{account.pk}"
    assert account.email.endswith("@effacee.invalid") and not account.is_active
    assert not account.has_usable_password()
    assert not RoleAssignment.objects.filter(user=account).exists()
    # Recorded: who, when, why, which kind and id, never the name.
    assert [(r.kind, r.person_id) for r in records] == [
        ("expert", expert.pk),
        ("user", account.pk),
    ]
    record = ErasureRecord.objects.get(kind="expert", person_id=expert.pk)
    assert (record.by, record.origin, record.reason) == (
        world.coordinator,
        ErasureOrigin.REQUEST,
        REASON,
    )
    assert record.rows > 8


def test_an_erased_person_cannot_be_erased_again_and_a_reason_is_required(world, expert_world):
    with pytest.raises(ApplicationError) as refused:
        services.person_erase(kind="expert", person_id=expert_world.pk, by=None, reason="non")
    assert refused.value.field == "reason"
    services.person_erase(
        kind="expert", person_id=expert_world.pk, by=world.coordinator, reason=REASON
    )
    with pytest.raises(ApplicationError) as again:
        services.person_erase(
            kind="expert", person_id=expert_world.pk, by=world.coordinator, reason=REASON
        )
    assert again.value.code == "already_erased"
    assert ErasureRecord.objects.filter(kind="expert").count() == 1


# An SME contact ---------------------------------------------------------------------------

CONTACT_NAME = "Gaëtan Lefebvre-Morin"
CONTACT_EMAIL = "g.lefebvre@fonderie-morin.test"
CONTACT_PHONE = "03 27 45 67 89"


def test_erasing_an_sme_contact_keeps_the_company_and_its_projects(world):
    make_sitting(world.a)
    company = CompanyFactory(
        dispositif=world.a,
        name="Fonderie Morin",
        contact_name=CONTACT_NAME,
        contact_role="Gérant",
        contact_email=CONTACT_EMAIL,
        contact_phone=CONTACT_PHONE,
    )
    project = project_at("approved", company=company)
    with scope([world.a]):
        project.description = f"Reprise menée par {CONTACT_NAME} ({CONTACT_EMAIL})."
        project.save()  # a history row holds the description too
        assert project.history.filter(description__contains=CONTACT_NAME).exists()
    plant_outbox_and_logs(
        name=CONTACT_NAME, email=CONTACT_EMAIL, by=world.animateur_a, dispositif=world.a
    )
    before = statistics(world)
    assert traces(CONTACT_NAME, CONTACT_EMAIL, CONTACT_PHONE)

    services.person_erase(
        kind="sme_contact", person_id=company.pk, by=world.coordinator, reason=REASON
    )

    assert traces(CONTACT_NAME, CONTACT_EMAIL, CONTACT_PHONE) == []
    assert statistics(world) == before
    with scope([world.a]):
        company.refresh_from_db()
        project.refresh_from_db()
        assert company.contact_name == f"Personne effacée #{company.pk}"
        assert (company.contact_email, company.contact_phone, company.contact_role) == ("", "", "")
        assert (company.name, company.siren) == ("Fonderie Morin", company.siren)
        assert project.stage == "approved" and project.company_id == company.pk
        assert project.description == "Reprise menée par [personne effacée] ([personne effacée])."
        assert Company.objects.filter(pk=company.pk).exists()
        assert Project.objects.filter(company=company).count() == 1


# A committee member -----------------------------------------------------------------------

MEMBER_NAME = "Hortense Vandamme"
MEMBER_EMAIL = "h.vandamme@region-test.test"


def test_erasing_a_member_keeps_the_committees_decisions(world):
    sitting = make_sitting(world.a)
    member = world.member_a
    member.full_name, member.email = MEMBER_NAME, MEMBER_EMAIL
    member.save()
    with scope([world.a]):
        Attendance.objects.filter(committee=sitting.committee).update(person_name=MEMBER_NAME)
        CommitteeReply.objects.create(
            dispositif=world.a,
            committee=sitting.committee,
            user=member,
            organisation=world.member_organisation_a,
            answer="yes",
            comment=f"{MEMBER_NAME} sera là, joignable à {MEMBER_EMAIL}.",
        )
    plant_outbox_and_logs(
        name=MEMBER_NAME, email=MEMBER_EMAIL, by=world.coordinator, dispositif=world.a
    )
    before = statistics(world)
    assert traces(MEMBER_NAME, MEMBER_EMAIL)

    services.person_erase(kind="user", person_id=member.pk, by=world.coordinator, reason=REASON)

    assert traces(MEMBER_NAME, MEMBER_EMAIL) == []
    assert statistics(world) == before
    with scope([world.a]):
        reply = CommitteeReply.objects.get(user=member)
        assert reply.answer == "yes" and reply.organisation_id == world.member_organisation_a.pk
        assert Attendance.objects.filter(
            committee=sitting.committee, person_name="[personne effacée]"
        ).exists()
    # The withdrawn role stays in the roles' history, with who withdrew it.
    withdrawn = RoleAssignment.history.filter(user_id=member.pk, history_type="-").get()
    assert withdrawn.history_user == world.coordinator
    assert withdrawn.role == "committee_member"


def test_erasure_never_touches_the_ledger(world, expert_world):
    with scope(every_dispositif=True, reason="test referee"):
        lines = list(LedgerLine.objects.order_by("pk").values())
    services.person_erase(
        kind="expert", person_id=expert_world.pk, by=world.coordinator, reason=REASON
    )
    with scope(every_dispositif=True, reason="test referee"):
        assert list(LedgerLine.objects.order_by("pk").values()) == lines
    assert Expert.objects.filter(pk=expert_world.pk, first_name="Personne effacée").exists()
    assert Decimal(0) < sum(line["debit"] for line in lines)


def test_a_one_word_name_is_replaced_in_its_fields_but_not_in_other_peoples_text(world):
    """« Martin » as a contact's whole name: another person's « Pierre Martin » and a note
    about « Saint-Martin » stay as they were."""
    company = CompanyFactory(dispositif=world.a, contact_name="Martin", contact_email="")
    other = CompanyFactory(dispositif=world.a, contact_name="Pierre Martin")
    project = project_at("qualified", company=other)
    with scope([world.a]):
        Project.objects.filter(pk=project.pk).update(description="Usine de Saint-Martin.")

    services.person_erase(
        kind="sme_contact", person_id=company.pk, by=world.coordinator, reason=REASON
    )

    with scope([world.a]):
        assert Company.objects.get(pk=company.pk).contact_name == f"Personne effacée #{company.pk}"
        assert Company.objects.get(pk=other.pk).contact_name == "Pierre Martin"
        assert Project.objects.get(pk=project.pk).description == "Usine de Saint-Martin."
