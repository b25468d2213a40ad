"""The daily arrears job with a frozen date: which instalments are overdue, days past due,
advances moved into arrears and back, PAR30 per fund and dispositif exact to the cent, and
the « advances to chase » of the animateur's home page."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.conf import settings

from dispositifs.models import Dispositif
from loans import selectors, services
from loans.models import Advance, AdvanceStatus, Instalment, PortfolioSnapshot
from loans.tasks import refresh_arrears
from tests.loans.builders import advance_at, make_fund, setup_scope

D = Decimal
pytestmark = pytest.mark.django_db

DISBURSED = dt.date(2025, 1, 15)
FROZEN = dt.date(2025, 5, 20)  # due so far: 15 Feb, 15 Mar, 15 Apr, 15 May


def repay(advance, amount, key, on=dt.date(2025, 5, 1)):
    with setup_scope():
        services.repayment_record(
            advance=advance, amount=D(amount), received_on=on, idempotency_key=key, by=None
        )


@pytest.fixture
def portfolio(world):
    """Four advances of one fund, disbursed on 15 January 2025:

    - on time: 12 × 1 000 €, 4 000 € paid (outstanding 8 000 €);
    - 66 days late: 12 × 1 000 €, 1 500 € paid (instalment 2 half paid; outstanding 10 500 €);
    - 5 days late: 12 × 1 250 €, 3 750 € paid (outstanding 11 250 €);
    - 35 days late: 10 000 € in 4 quarterly instalments, nothing paid (outstanding 10 000 €).
    """
    fund = make_fund(world.a, contributions=(D("100000.00"),))
    on_time = advance_at("disbursed", fund, disbursed_on=DISBURSED)
    late_66 = advance_at("disbursed", fund, disbursed_on=DISBURSED)
    late_5 = advance_at("disbursed", fund, amount=D("15000.00"), disbursed_on=DISBURSED)
    late_35 = advance_at(
        "disbursed",
        fund,
        amount=D("10000.00"),
        instalment_count=4,
        frequency="quarterly",
        disbursed_on=DISBURSED,
    )
    repay(on_time, "4000", "on-time")
    repay(late_66, "1500", "late-66")
    repay(late_5, "3750", "late-5")
    return {
        "fund": fund,
        "on_time": on_time,
        "late_66": late_66,
        "late_5": late_5,
        "late_35": late_35,
    }


def status_and_days(advance):
    with setup_scope():
        advance.refresh_from_db()
    return advance.status, advance.days_past_due


def test_overdue_instalments_days_past_due_and_par30(world, portfolio):
    with setup_scope():
        counts = services.arrears_refresh(dispositif=world.a, today=FROZEN)
        overdue = sorted(
            Instalment.objects.filter(overdue=True).values_list(
                "advance_id", "number", "days_past_due"
            )
        )
    assert counts == {"advances": 4, "overdue_instalments": 5, "moved": 3, "provisions": 2}
    late_66, late_5, late_35 = (portfolio[k].pk for k in ("late_66", "late_5", "late_35"))
    assert overdue == sorted(
        [
            (late_66, 2, 66),
            (late_66, 3, 35),
            (late_66, 4, 5),
            (late_5, 4, 5),
            (late_35, 1, 35),
        ]
    )
    assert status_and_days(portfolio["on_time"]) == (AdvanceStatus.REPAYING, 0)
    assert status_and_days(portfolio["late_66"]) == (AdvanceStatus.IN_ARREARS, 66)
    assert status_and_days(portfolio["late_5"]) == (AdvanceStatus.IN_ARREARS, 5)
    assert status_and_days(portfolio["late_35"]) == (AdvanceStatus.IN_ARREARS, 35)
    with setup_scope():
        snapshot = PortfolioSnapshot.objects.get(fund=portfolio["fund"], as_of=FROZEN)
        live = selectors.portfolio_at_risk(Advance.objects.filter(dispositif=world.a))
    # Outstanding 8 000 + 10 500 + 11 250 + 10 000; at risk (> 30 days) 10 500 + 10 000.
    assert (snapshot.outstanding, snapshot.at_risk_30) == (D("39750.00"), D("20500.00"))
    assert snapshot.advances_in_arrears == 3
    assert snapshot.par30 == D("0.5157")  # 20 500 / 39 750 = 0.51572…
    assert live == {
        "outstanding": D("39750.00"),
        "at_risk_30": D("20500.00"),
        "par30": D("0.5157"),
    }


def test_the_job_is_idempotent_and_catching_up_leaves_arrears(world, portfolio):
    with setup_scope():
        services.arrears_refresh(dispositif=world.a, today=FROZEN)
        again = services.arrears_refresh(dispositif=world.a, today=FROZEN)
        assert again["moved"] == 0
        assert PortfolioSnapshot.objects.filter(as_of=FROZEN).count() == 1
    # Paying the 3 overdue instalments (500 + 1 000 + 1 000) of the 66-day one catches up.
    repay(portfolio["late_66"], "2500", "catch-up", on=dt.date(2025, 5, 19))
    assert status_and_days(portfolio["late_66"]) == (AdvanceStatus.REPAYING, 0)
    with setup_scope():
        services.arrears_refresh(dispositif=world.a, today=FROZEN)
        snapshot = PortfolioSnapshot.objects.get(fund=portfolio["fund"], as_of=FROZEN)
    assert (snapshot.outstanding, snapshot.at_risk_30) == (D("37250.00"), D("10000.00"))


def test_advances_to_chase_for_the_animateur_longest_first(world, portfolio):
    with setup_scope():
        services.arrears_refresh(dispositif=world.a, today=FROZEN)
        rows = selectors.advances_to_chase(world.animateur_a)
        assert selectors.advances_to_chase(world.animateur_b) == []
        assert selectors.advances_to_chase(world.member_a) == []
    assert [(r["id"], r["days_past_due"], r["overdue_amount"]) for r in rows] == [
        (portfolio["late_66"].pk, 66, D("2500.00")),
        (portfolio["late_35"].pk, 35, D("2500.00")),
        (portfolio["late_5"].pk, 5, D("1250.00")),
    ]
    assert rows[0]["outstanding"] == D("10500.00")


def test_an_instalment_paid_in_two_parts_counts_what_it_lacks_once(world, portfolio):
    """Two repayments allocated to the same overdue instalment: what it lacks is its amount
    less both (a sum per allocation row would count the instalment's amount twice)."""
    repay(portfolio["late_66"], "200", "late-66-second")  # instalment 2: 500 + 200 of 1 000
    with setup_scope():
        services.arrears_refresh(dispositif=world.a, today=FROZEN)
        rows = {r["id"]: r for r in selectors.advances_to_chase(world.animateur_a)}
    assert rows[portfolio["late_66"].pk]["overdue_amount"] == D("2300.00")
    assert rows[portfolio["late_66"].pk]["outstanding"] == D("10300.00")


def test_national_job_fans_out_with_a_frozen_date(world, portfolio):
    fanned_out = refresh_arrears.apply(kwargs={"today": FROZEN.isoformat()}).get()
    every = Dispositif.unscoped_objects.order_by("pk").values_list("pk", flat=True)
    assert [dispositif_id for dispositif_id, _task in fanned_out] == list(every)
    assert status_and_days(portfolio["late_66"]) == (AdvanceStatus.IN_ARREARS, 66)
    assert settings.CELERY_BEAT_SCHEDULE["loans-daily-arrears"]["task"] == refresh_arrears.name
