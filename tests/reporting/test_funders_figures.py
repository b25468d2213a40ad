"""The funders' figures of the indicators layer (``loans.indicators.funder_figures``) and
the report's figures (``reporting.selectors.funders_report``) against the ledger's
attribution, by hand-counted cases (``tests/reporting/funders.py``)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from alize.tenancy import scope
from loans.indicators import funder_figures
from loans.ledger import contribution_balances
from loans.models import ContributionKind
from tests.reporting.funders import AGREEMENT, make_funders

D = Decimal
YEAR_2026 = (dt.date(2026, 1, 1), dt.date(2026, 12, 31))


@pytest.fixture
def funders(world):
    return make_funders(world)


def totals(balances):
    return {
        name: sum((getattr(b, name) for b in balances.values()), D(0))
        for name in (
            "contributed",
            "available",
            "lent",
            "repaid",
            "lost",
            "outstanding",
            "provision",
        )
    }


def test_the_caisse_des_depots_over_the_network(world, funders):
    with scope(every_dispositif=True, reason="test"):
        figures = funder_figures(ContributionKind.CAISSE_DES_DEPOTS, None, *YEAR_2026)
        ledger = totals(contribution_balances([funders.cdc_a.pk, funders.cdc_b.pk]))
    assert figures.position.as_dict() == ledger
    assert (ledger["lent"], ledger["repaid"], ledger["outstanding"]) == (
        D("30000"),
        D("1600"),
        D("28400"),
    )
    assert figures.period.lent == D("30000") and figures.period.contributed == 0
    assert [a.financed for a in figures.advances] == [D("10000"), D("12000"), D("8000")]
    assert (len(figures.projects), figures.smes) == (3, 3)
    # 10/12 × 3 + 12/12 × 4 + 8/15 × 6; jobs to create: 4 × (10/12 + 1 + 8/15).
    assert figures.jobs_attributed == D("9.7")
    assert figures.jobs_to_create_attributed == D("9.5")
    assert figures.jobs_to_recreate is None


def test_one_dispositif_reads_its_own_contributions(world, funders):
    with scope([world.a.pk]):
        figures = funder_figures(ContributionKind.CAISSE_DES_DEPOTS, None, *YEAR_2026)
    assert [c.pk for c in figures.contributions] == [funders.cdc_a.pk]
    assert figures.position.lent == D("20000")
    assert figures.jobs_attributed == D("7.2")


def test_a_revitalisation_agreement_against_its_jobs_to_recreate(world, funders):
    agreement = (funders.agreement_firm.pk, AGREEMENT)
    with scope([world.a.pk]):
        figures = funder_figures(ContributionKind.REVITALISATION, agreement, *YEAR_2026)
        ledger = totals(contribution_balances([c.pk for c in funders.usine_nord]))
    assert figures.position.as_dict() == ledger
    assert (ledger["lent"], ledger["repaid"], ledger["lost"], ledger["outstanding"]) == (
        D("19000"),
        D("1400"),
        D("12000"),
        D("5600"),
    )
    assert figures.jobs_to_recreate == 12  # 8 + 4: the other agreement's 3 are not counted
    assert figures.jobs_attributed == D("7.8")  # 7/15 × 6 + 5


def test_a_period_counts_its_flows_and_the_stock_at_its_end(world, funders):
    with scope(every_dispositif=True, reason="test"):
        figures = funder_figures(
            ContributionKind.CAISSE_DES_DEPOTS, None, dt.date(2026, 3, 1), dt.date(2026, 4, 30)
        )
    # A1 and B1 (February) are financed before the period, A2 within it; nothing repaid yet.
    assert figures.period.lent == D("8000") and figures.period.repaid == 0
    assert figures.position.lent == D("30000") and figures.position.outstanding == D("30000")
    # Before any follow-up (15 May), no job is attributed.
    assert figures.jobs_attributed == 0
