"""Rows on every API route for one dispositif, for the tests that read the whole API
(schema fuzzing, the schema's promises per role)."""

import datetime as dt
from decimal import Decimal

from alize.accounts.models import Role
from alize.tenancy import scope
from committees import services as committee_services
from committees.models import AgendaItem
from loans import services as loan_services
from loans.bank_files import CamtEntry, camt053_document
from partners.models import OrganisationKind
from pme import services as pme_services
from pme.models import Stage
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
    user_with_role,
)
from tests.loans.builders import advance_at, make_fund
from tests.reporting.conftest import make_document


def seed(dispositif):
    """A small tour de table with projects at every step of the pipeline, a committee,
    commitments, a follow-up, a document, a fund with advances, a repayment, co-financing
    and a mission with hours, so that every API route has rows; returns the firm's
    correspondent and expert (see ``seed_missions``)."""
    firm = OrganisationFactory(kind=OrganisationKind.LARGE_FIRM)
    bank = OrganisationFactory(kind=OrganisationKind.BANK)
    MembershipFactory(dispositif=dispositif, organisation=firm)
    MembershipFactory(dispositif=dispositif, organisation=bank, kind="financial_partner")
    for stage in (Stage.REFERRED, Stage.QUALIFIED, Stage.DEFERRED):
        project_at(stage, dispositif=dispositif)
    approved = project_at(Stage.APPROVED, dispositif=dispositif)
    with scope([dispositif]):
        item = AgendaItem.objects.get(project=approved)
        committee_services.commitment_record(
            item=item, organisation=bank, tool="Prêt d'honneur", amount=5000, by=None
        )
        committee_services.commitment_record(
            item=item, organisation=firm, tool="Mission qualité", amount=None, by=None
        )
        pme_services.follow_up_record(
            project=approved,
            year=1,
            headcount=30,
            jobs_created=3,
            jobs_maintained=27,
            source="declared",
            by=None,
        )
        committee = CommitteeFactory(dispositif=dispositif, start_time=dt.time(14, 0))
        ready = project_at(Stage.IN_INSTRUCTION, dispositif=dispositif)
        committee_services.agenda_add_project(committee=committee, project=ready, by=None)
        project_at(Stage.IN_INSTRUCTION, dispositif=dispositif)
    make_document(dispositif)
    # A fund, an advance at each early status, a repayment and co-financing.
    fund = make_fund(dispositif)
    advance_at("approved", fund)
    advance_at("contracted", fund)
    lent = advance_at("disbursed", fund)
    with scope([dispositif]):
        loan_services.repayment_record(
            advance=lent,
            amount=1000,
            received_on=TODAY,
            idempotency_key=f"fuzz-{dispositif.pk}",
            by=None,
        )
        loan_services.cofinancing_create(
            project=lent.project,
            organisation="Banque test",
            kind="bank_loan",
            amount=20000,
            evidence_on=TODAY,
            by=None,
        )
        # Direct debits and bank statements: a mandate, the fund's CSV columns, and a
        # statement with a credit naming the advance and one that matches nothing.
        loan_services.mandate_create(
            advance=lent,
            debtor_name="Titulaire fuzz",
            iban="FR1420041010050500013M02606",
            bic="PSSTFRPPLIL",
            signed_on=TODAY,
            by=None,
        )
        loan_services.column_mapping_save(
            fund=fund,
            by=None,
            date_column="Date",
            amount_column="Montant",
            text_column="Libellé",
        )
        statement = camt053_document(
            account_iban="FR7630006000011234567890189",
            message_id=f"FUZZ-{dispositif.pk}",
            entries=[
                CamtEntry(
                    booking_date=TODAY,
                    amount=Decimal("500.00"),
                    reference=f"FUZZ-{dispositif.pk}-1",
                    text=f"Remboursement {lent.reference}",
                ),
                CamtEntry(
                    booking_date=TODAY,
                    amount=Decimal("12.00"),
                    reference=f"FUZZ-{dispositif.pk}-2",
                    name="Inconnu",
                ),
            ],
        )
        loan_services.statement_import(
            fund=fund, content=statement, source_format="camt053", by=None
        )
    return seed_missions(dispositif, firm)


def seed_missions(dispositif, firm):
    """A mission in progress lent by the firm, with an expert who logged a day; returns the
    firm's correspondent and the expert's user."""
    from tests.factories import SkillFactory
    from tests.missions.conftest import approved_decision, log, make_expert, running_mission

    expert = make_expert(firm, user=user_with_role(Role.EXPERT, organisation=firm))
    correspondent = user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm)
    animateur = user_with_role(Role.ANIMATEUR, dispositif=dispositif)
    mission = running_mission(
        approved_decision(dispositif),
        firm,
        SkillFactory(name="Qualité fuzz", slug="qualite-fuzz"),
        animateur=animateur,
        correspondent=correspondent,
        experts=[expert],
    )
    log(mission, expert, mission.starts_on, "2")
    return {"correspondent": correspondent, "expert": expert.user}
