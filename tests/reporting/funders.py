"""A funders' world: in dispositif A a fund fed by the Caisse des dépôts, two payments of
one revitalisation agreement, the ESF and a second agreement; in B a fund fed by the Caisse
des dépôts and the ESF. Advances are drawn first in, first out, repaid, written off; the
projects have follow-ups and one of them expert-hours.

What each source financed (the ledger's attribution, first in first out):

- A1 12 000 € (disbursed 2 February 2026): Caisse des dépôts A 12 000; 4 jobs created;
  7.5 expert-hours at the national 80 €/h (600,00 €).
- A2 15 000 € (2 March 2026): Caisse des dépôts A 8 000, agreement « Usine Nord » 7 000;
  3 000 repaid on 4 May 2026 (1 600 and 1 400); 6 jobs created.
- A3 12 000 € (2 April 2026): agreement « Usine Nord » 12 000; written off today; 5 jobs.
- B1 12 000 € (2 February 2026): Caisse des dépôts B 10 000, ESF B 2 000; 3 jobs.

Every project plans 14 jobs at 3 years from 10 at the start: 4 to create.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from alize.accounts.models import Role
from alize.tenancy import scope
from loans import services
from loans.models import ContributionKind
from pme.models import JobsFollowUp
from tests.clock import TODAY
from tests.factories import OrganisationFactory, SkillFactory, user_with_role
from tests.loans.builders import LONG_AGO, advance_at
from tests.missions.conftest import log, make_expert, running_mission

D = Decimal
AGREEMENT = "Usine Nord 2025"


@dataclass
class Funders:
    cdc: object
    esf: object
    agreement_firm: object
    other_firm: object
    cdc_a: object
    cdc_b: object
    usine_nord: list
    advances: dict


def _contribution(fund, kind, organisation, amount, day, **fields):
    return services.contribution_record(
        fund=fund,
        kind=kind,
        organisation=organisation,
        amount=D(amount),
        received_on=LONG_AGO + dt.timedelta(days=day),
        by=None,
        **fields,
    )


def _follow_up(advance, jobs_created):
    JobsFollowUp.objects.create(
        dispositif_id=advance.dispositif_id,
        project=advance.project,
        year=1,
        as_of=dt.date(2026, 5, 15),
        headcount=10 + jobs_created,
        jobs_created=jobs_created,
        jobs_maintained=10,
        source="company",
    )


def make_funders(world) -> Funders:
    cdc = OrganisationFactory(name="Caisse des dépôts test", kind="funder")
    esf = OrganisationFactory(name="Fonds social européen test", kind="funder")
    nord = OrganisationFactory(name="Papeteries du Nord", kind="large_firm")
    est = OrganisationFactory(name="Verreries de l'Est", kind="large_firm")
    revitalisation = ContributionKind.REVITALISATION
    with scope(every_dispositif=True, reason="test setup"):
        fund_a = services.fund_create(dispositif=world.a, name="Fonds A")
        fund_b = services.fund_create(dispositif=world.b, name="Fonds B")
        cdc_a = _contribution(fund_a, ContributionKind.CAISSE_DES_DEPOTS, cdc, "20000", 0)
        nord_1 = _contribution(
            fund_a,
            revitalisation,
            nord,
            "30000",
            1,
            agreement=AGREEMENT,
            agreement_firm=nord,
            jobs_to_recreate=8,
        )
        _contribution(fund_a, ContributionKind.ESF, esf, "50000", 2)
        nord_2 = _contribution(
            fund_a,
            revitalisation,
            nord,
            "5000",
            3,
            agreement=AGREEMENT,
            agreement_firm=nord,
            jobs_to_recreate=4,
        )
        _contribution(
            fund_a,
            revitalisation,
            est,
            "5000",
            4,
            agreement="Verreries 2024",
            agreement_firm=est,
            jobs_to_recreate=3,
        )
        cdc_b = _contribution(fund_b, ContributionKind.CAISSE_DES_DEPOTS, cdc, "10000", 0)
        _contribution(fund_b, ContributionKind.ESF, esf, "50000", 1)
    a1 = advance_at("disbursed", fund_a, amount=D("12000"), disbursed_on=dt.date(2026, 2, 2))
    a2 = advance_at("disbursed", fund_a, amount=D("15000"), disbursed_on=dt.date(2026, 3, 2))
    a3 = advance_at("disbursed", fund_a, amount=D("12000"), disbursed_on=dt.date(2026, 4, 2))
    b1 = advance_at("disbursed", fund_b, amount=D("12000"), disbursed_on=dt.date(2026, 2, 2))
    with scope(every_dispositif=True, reason="test setup"):
        services.repayment_record(
            advance=a2,
            amount=D("3000"),
            received_on=dt.date(2026, 5, 4),
            idempotency_key="funders-a2",
            by=world.animateur_a,
        )
        proposed = services.write_off_propose(
            advance=a3, reason="Liquidation judiciaire.", by=world.animateur_a
        )
        services.write_off_approve(write_off=proposed, by=world.coordinator)
        for advance, jobs in ((a1, 4), (a2, 6), (a3, 5), (b1, 3)):
            _follow_up(advance, jobs)
        # A1's committee also granted one skill mission.
        type(a1.decision).objects.filter(pk=a1.decision_id).update(missions_granted=1)
    expert = make_expert(world.firm_a, user=world.expert_a)
    mission = running_mission(
        a1.decision,
        world.firm_a,
        SkillFactory(name="Qualité financeurs", slug="qualite-financeurs"),
        animateur=world.animateur_a,
        correspondent=user_with_role(Role.FIRM_CORRESPONDENT, organisation=world.firm_a),
        experts=[expert],
    )
    log(mission, expert, TODAY - dt.timedelta(days=10), "7.5")
    return Funders(
        cdc=cdc,
        esf=esf,
        agreement_firm=nord,
        other_firm=est,
        cdc_a=cdc_a,
        cdc_b=cdc_b,
        usine_nord=[nord_1, nord_2],
        advances={"a1": a1, "a2": a2, "a3": a3, "b1": b1},
    )
