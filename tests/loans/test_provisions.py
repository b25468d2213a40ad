"""Provisions: a fund's rates by days past due, the daily job bringing each advance's
allowance to its rate in the ledger (charge, release), the write-off using it, and the
figures gross / provision / net. Expected amounts are written out by hand."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alize.tenancy import scope
from loans import ledger, selectors, services
from loans.indicators import funder_figures
from loans.models import (
    DEFAULT_PROVISION_RATES,
    Account,
    AdvanceStatus,
    ContributionKind,
    EntryKind,
    JournalTransaction,
    LedgerLine,
    ProvisionRate,
)
from tests.conftest import api_client_for
from tests.loans.builders import TODAY, advance_at, make_fund, setup_scope
from tests.test_races import race

D = Decimal
pytestmark = pytest.mark.django_db

JOB_DAY = TODAY  # 10 June 2026
NEXT_DAY = JOB_DAY + dt.timedelta(days=1)
PROVISION_KINDS = ("provision_charge", "provision_release", "provision_use")


def repay(advance, amount, key, on=JOB_DAY):
    with setup_scope():
        services.repayment_record(
            advance=advance, amount=D(amount), received_on=on, idempotency_key=key, by=None
        )


@pytest.fixture
def arrears(world):
    """Four advances of one fund (one contribution), unpaid but for one partial payment,
    past due on 10 June 2026 by:

    - 0 days: 12 000 € disbursed on 1 June (first instalment on 1 July);
    - 35 days: 12 345.67 € disbursed on 6 April (first instalment on 6 May);
    - 95 days: 10 000.05 € disbursed on 7 February (first instalment on 7 March);
    - 200 days: 13 000 € disbursed on 22 October 2025 (first instalment on 22 November),
      500 € paid on 30 November (outstanding 12 500 €).
    """
    fund = make_fund(world.a, contributions=(D("100000.00"),))
    advances = {
        "current": advance_at("disbursed", fund, disbursed_on=dt.date(2026, 6, 1)),
        "late_35": advance_at(
            "disbursed", fund, amount=D("12345.67"), disbursed_on=dt.date(2026, 4, 6)
        ),
        "late_95": advance_at(
            "disbursed", fund, amount=D("10000.05"), disbursed_on=dt.date(2026, 2, 7)
        ),
        "late_200": advance_at(
            "disbursed", fund, amount=D("13000.00"), disbursed_on=dt.date(2025, 10, 22)
        ),
    }
    repay(advances["late_200"], "500.00", "late-200-partial", on=dt.date(2025, 11, 30))
    return fund, advances


def run_job(world, day=JOB_DAY) -> dict:
    with setup_scope():
        return services.arrears_refresh(dispositif=world.a, today=day)


def provision_entries(fund) -> list[tuple[int, str, dt.date, list[tuple[str, D, D]]]]:
    """(advance, kind, date, [(account, debit, credit)]) of the fund's provision entries."""
    with setup_scope():
        entries = (
            JournalTransaction.objects.filter(fund=fund, kind__in=PROVISION_KINDS)
            .prefetch_related("lines")
            .order_by("id")
        )
        return [
            (
                entry.advance_id,
                entry.kind,
                entry.occurred_on,
                [(line.account, line.debit, line.credit) for line in entry.lines.all()],
            )
            for entry in entries
        ]


def allowance_of(advances) -> dict[str, D]:
    with setup_scope():
        balances = ledger.advance_balances([a.pk for a in advances.values()])
    return {name: balances[a.pk].provision for name, a in advances.items()}


def ledger_balances() -> bool:
    """Every transaction balances, and so does the whole ledger."""
    with setup_scope():
        per_transaction = {
            row["transaction_id"]: row["d"] - row["c"]
            for row in LedgerLine.objects.values("transaction_id")
            .annotate(d=Sum("debit"), c=Sum("credit"))
            .order_by()
        }
    return all(value == 0 for value in per_transaction.values())


def charge(advance, amount):
    return (
        advance.pk,
        "provision_charge",
        JOB_DAY,
        [("provisions", D(amount), D(0)), ("allowance", D(0), D(amount))],
    )


def release(advance, amount, day=NEXT_DAY):
    return (
        advance.pk,
        "provision_release",
        day,
        [("allowance", D(amount), D(0)), ("provisions", D(0), D(amount))],
    )


# -- The rates and the amount to provision ---------------------------------------------------


@pytest.mark.parametrize(
    ("days", "rate"),
    [(0, "0"), (29, "0"), (30, "10"), (89, "10"), (90, "50"), (179, "50"), (180, "100")],
)
def test_the_bucket_of_days_past_due(days, rate):
    assert services.rate_for(days, DEFAULT_PROVISION_RATES) == D(rate)


@pytest.mark.parametrize(
    ("outstanding", "rate", "expected"),
    [
        ("12345.67", "10", "1234.57"),  # 1 234.567
        ("10000.05", "50", "5000.03"),  # 5 000.025, half up
        ("10000.01", "12.5", "1250.00"),  # 1 250.00125
        ("333.33", "33.33", "111.10"),  # 111.098889
        ("12500.00", "100", "12500.00"),
    ],
)
def test_required_provision_rounds_half_up_to_the_cent(outstanding, rate, expected):
    assert services.required_provision(D(outstanding), D(rate)) == D(expected)


# -- The daily job ---------------------------------------------------------------------------


def test_the_job_provisions_each_bucket_to_the_cent(world, arrears):
    fund, advances = arrears
    counts = run_job(world)
    assert counts["provisions"] == 3
    assert provision_entries(fund) == [
        charge(advances["late_35"], "1234.57"),  # 10 % of 12 345.67
        charge(advances["late_95"], "5000.03"),  # 50 % of 10 000.05
        charge(advances["late_200"], "12500.00"),  # 100 % of 12 500.00
    ]
    assert allowance_of(advances) == {
        "current": D("0"),
        "late_35": D("1234.57"),
        "late_95": D("5000.03"),
        "late_200": D("12500.00"),
    }
    with setup_scope():
        balances = selectors.fund_balances(fund)
    assert balances.outstanding == D("46845.72")
    assert balances.provision == D("18734.60")
    assert balances.net == D("28111.12")
    assert ledger_balances()


def test_the_job_twice_posts_nothing_new(world, arrears):
    fund, _advances = arrears
    run_job(world)
    first = provision_entries(fund)
    assert run_job(world)["provisions"] == 0
    assert provision_entries(fund) == first


def test_one_adjustment_per_advance_and_day_is_a_database_rule(world, arrears):
    fund, advances = arrears
    run_job(world)
    advance = advances["late_35"]
    with setup_scope(), pytest.raises(IntegrityError), transaction.atomic():
        ledger.post(
            fund=fund,
            kind=EntryKind.PROVISION_RELEASE,
            occurred_on=JOB_DAY,
            advance=advance,
            lines=ledger.pair(
                Account.ALLOWANCE, Account.PROVISIONS, {_contribution(advance): D("1.00")}
            ),
        )


def _contribution(advance) -> int:
    with setup_scope():
        return (
            LedgerLine.objects.filter(advance=advance, account=Account.LOANS)
            .values_list("contribution_id", flat=True)
            .first()
        )


def test_repayments_are_released_by_the_next_job(world, arrears):
    fund, advances = arrears
    run_job(world)
    # Caught up (instalments of 6 May and 6 June, 1 028.80 € each): back to 0 %.
    repay(advances["late_35"], "2057.60", "late-35-catch-up")
    # Repaid in full: the advance leaves the live ones, its allowance still goes.
    repay(advances["late_95"], "10000.05", "late-95-all")
    # 1 000 € more: 11 500 € out, oldest unpaid now 22 December (171 days): 50 %.
    repay(advances["late_200"], "1000.00", "late-200-more")
    counts = run_job(world, NEXT_DAY)
    assert counts["provisions"] == 3
    assert provision_entries(fund)[3:] == [
        release(advances["late_35"], "1234.57"),
        release(advances["late_95"], "5000.03"),
        release(advances["late_200"], "6750.00"),  # 12 500.00 - 5 750.00
    ]
    assert allowance_of(advances) == {
        "current": D("0"),
        "late_35": D("0"),
        "late_95": D("0"),
        "late_200": D("5750.00"),
    }
    with setup_scope():
        assert advances["late_95"].__class__.objects.get(pk=advances["late_95"].pk).status == (
            AdvanceStatus.REPAID
        )
    assert run_job(world, NEXT_DAY)["provisions"] == 0
    assert ledger_balances()


def test_a_write_off_uses_the_allowance(world, arrears):
    fund, advances = arrears
    run_job(world)
    advance = advances["late_95"]
    with setup_scope():
        proposal = services.write_off_propose(
            advance=advance, reason="Liquidation judiciaire prononcée", by=world.animateur_a
        )
        services.write_off_approve(write_off=proposal, by=world.coordinator, on=JOB_DAY)
    entries = provision_entries(fund)
    assert entries[-1] == (
        advance.pk,
        "provision_use",
        JOB_DAY,
        [("allowance", D("5000.03"), D(0)), ("provisions", D(0), D("5000.03"))],
    )
    with setup_scope():
        day = LedgerLine.objects.filter(advance=advance, occurred_on=JOB_DAY)
        losses = sum((line.debit - line.credit for line in day if line.account == "losses"), D(0))
        provisions = sum(
            (line.debit - line.credit for line in day if line.account == "provisions"), D(0)
        )
    # The write-off's loss, and the expense it adds once the provision charged is counted.
    assert losses == D("10000.05")
    assert losses + provisions - D("5000.03") == D("5000.02")
    assert allowance_of(advances)["late_95"] == D("0")
    assert run_job(world, NEXT_DAY)["provisions"] == 0
    assert ledger_balances()


def test_a_funds_own_rates_apply_from_the_next_job(world, arrears):
    fund, advances = arrears
    with setup_scope():
        services.provision_rates_set(fund=fund, rates=[(0, D("1")), (30, D("20")), (120, D("100"))])
    run_job(world)
    assert allowance_of(advances) == {
        "current": D("120.00"),  # 1 % of 12 000
        "late_35": D("2469.13"),  # 20 % of 12 345.67 = 2 469.134
        "late_95": D("2000.01"),  # 20 % of 10 000.05
        "late_200": D("12500.00"),
    }
    assert ledger_balances()


def test_the_allowance_is_split_between_contributions_as_the_principal(world):
    fund = make_fund(world.a, contributions=(D("5000.00"), D("20000.00")))
    advance = advance_at("disbursed", fund, amount=D("12000.00"), disbursed_on=dt.date(2026, 4, 6))
    run_job(world)
    with setup_scope():
        rows = (
            LedgerLine.objects.filter(advance=advance, account=Account.ALLOWANCE)
            .order_by("contribution__received_on")
            .values_list("credit", flat=True)
        )
        # 10 % of 12 000 €, lent 5 000 € + 7 000 € by the two contributions.
        assert list(rows) == [D("500.00"), D("700.00")]
        position = ledger.contribution_balances(
            [c.pk for c in fund.contributions.order_by("received_on")]
        )
    assert [b.provision for b in position.values()] == [D("500.00"), D("700.00")]


class Done:
    """What ``race`` expects of a call: a status below 500."""

    status_code = 200


def job_call(dispositif):
    def call():
        with scope([dispositif.pk]):
            services.arrears_refresh(dispositif=dispositif, today=JOB_DAY)
        return Done()

    return call


@pytest.mark.django_db(transaction=True)
def test_two_jobs_at_once_post_each_provision_once(world, arrears, monkeypatch):
    fund, _advances = arrears
    race(monkeypatch, ledger, "post", job_call(world.a), job_call(world.a))
    with setup_scope():
        charges = JournalTransaction.objects.filter(fund=fund, kind="provision_charge")
        assert charges.count() == 3
    assert ledger_balances()


# -- Rates: the service, the fund page and the API ------------------------------------------


@pytest.mark.parametrize(
    ("rates", "errors"),
    [
        ([(0, "0"), (30, "101")], {"rates-1-rate": "Un taux de provision va de 0 à 100 %."}),
        ([(0, "-1")], {"rates-0-rate": "Un taux de provision va de 0 à 100 %."}),
        ([(0, "10"), (30, "5")], {"rates-1-rate": "Le taux ne baisse pas"}),
        ([(30, "10")], {"rates-0-min_days_past_due": "Le premier palier commence à 0 jour."}),
        ([(0, "0"), (0, "10")], {"rates-1-min_days_past_due": "Un autre palier"}),
        ([(0, "10.125")], {"rates-0-rate": "deux décimales"}),
        ([(0, None)], {"rates-0-rate": "Indiquez le taux."}),
        ([], {"rates": "Indiquez au moins un palier"}),
    ],
)
def test_rates_are_refused_by_field_and_nothing_changes(world, fund_a, rates, errors):
    with setup_scope():
        services.provision_rates_set(fund=fund_a, rates=[(0, D("5"))])
        with pytest.raises(ValidationError) as refused:
            services.provision_rates_set(
                fund=fund_a,
                rates=[(days, None if rate is None else D(rate)) for days, rate in rates],
            )
        assert set(refused.value.message_dict) == set(errors)
        for field, text in errors.items():
            assert text in refused.value.message_dict[field][0]
        kept = list(ProvisionRate.objects.filter(fund=fund_a).values_list("min_days_past_due"))
    assert kept == [(0,)]


def test_rates_are_stored_in_order(world, fund_a):
    with setup_scope():
        services.provision_rates_set(
            fund=fund_a, rates=[(90, D("50")), (0, D("0")), (None, None), (30, D("12.5"))]
        )
        rows = list(
            ProvisionRate.objects.filter(fund=fund_a).values_list("min_days_past_due", "rate")
        )
    assert rows == [(0, D("0.00")), (30, D("12.50")), (90, D("50.00"))]


def web_rates(rates: list[tuple[str, str]]) -> dict:
    data = {}
    for index, (days, rate) in enumerate(rates):
        data[f"rates-{index}-min_days_past_due"] = days
        data[f"rates-{index}-rate"] = rate
    return data


INVALID = [("0", "10"), ("30", "101"), ("4000", "50")]


def test_the_fund_page_and_the_api_refuse_alike(world, client, fund_a):
    client.force_login(world.animateur_a)
    url = reverse("loans:fund-provision-rates", args=[fund_a.pk])
    page = client.post(url, web_rates(INVALID))
    assert page.status_code == 400
    web_errors = {
        name: [str(m) for m in messages]
        for name, messages in page.context["provision_rates_form"].errors.items()
    }
    api = api_client_for(world.animateur_a)
    api_url = reverse("api:fund-provision-rates", args=[fund_a.pk])
    payload = {"rates": [{"min_days_past_due": int(d), "rate": r} for d, r in INVALID]}
    response = api.put(api_url, payload, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == web_errors
    assert set(web_errors) == {"rates-1-rate", "rates-2-min_days_past_due"}
    with setup_scope():
        assert not ProvisionRate.objects.filter(fund=fund_a).exists()


def test_the_fund_page_offers_the_defaults_and_saves(world, client, fund_a):
    client.force_login(world.animateur_a)
    page = client.get(reverse("loans:fund-detail", args=[fund_a.pk]))
    html = page.content.decode()
    assert 'name="rates-3-min_days_past_due" value="180"' in html
    assert re.search(r'name="rates-3-rate" value="100([.,]00)?"', html)
    saved = client.post(
        reverse("loans:fund-provision-rates", args=[fund_a.pk]),
        web_rates([("0", "0"), ("60", "25,5"), ("", "")]),
    )
    assert saved.status_code == 302
    with setup_scope():
        rows = list(
            ProvisionRate.objects.filter(fund=fund_a).values_list("min_days_past_due", "rate")
        )
    assert rows == [(0, D("0.00")), (60, D("25.50"))]


def test_the_api_reads_and_sets_the_rates(world, fund_a):
    url = reverse("api:fund-provision-rates", args=[fund_a.pk])
    read = api_client_for(world.api_client_user).get(url)
    assert read.status_code == 200
    assert read.json() == {
        "default": True,
        "rates": [
            {"min_days_past_due": 0, "rate": "0.00"},
            {"min_days_past_due": 30, "rate": "10.00"},
            {"min_days_past_due": 90, "rate": "50.00"},
            {"min_days_past_due": 180, "rate": "100.00"},
        ],
    }
    payload = {
        "rates": [{"min_days_past_due": 0, "rate": "2"}, {"min_days_past_due": 45, "rate": "40"}]
    }
    saved = api_client_for(world.animateur_a).put(url, payload, format="json")
    assert saved.status_code == 200, saved.content
    assert saved.json() == {
        "default": False,
        "rates": [
            {"min_days_past_due": 0, "rate": "2.00"},
            {"min_days_past_due": 45, "rate": "40.00"},
        ],
    }
    for role in ("api_client", "member", "no_role", "animateur_b"):
        refused = api_client_for(world.user(role)).put(url, payload, format="json")
        assert refused.status_code in (403, 404), role


def test_another_dispositifs_fund_answers_404(world, client, fund_b):
    client.force_login(world.animateur_a)
    web = client.post(
        reverse("loans:fund-provision-rates", args=[fund_b.pk]), web_rates([("0", "1")])
    )
    assert web.status_code == 404
    api = api_client_for(world.animateur_a)
    url = reverse("api:fund-provision-rates", args=[fund_b.pk])
    assert api.get(url).status_code == 404
    assert (
        api.put(url, {"rates": [{"min_days_past_due": 0, "rate": "1"}]}, format="json").status_code
        == 404
    )
    with setup_scope():
        assert not ProvisionRate.objects.filter(fund=fund_b).exists()


# -- Figures: the fund page, the API, the arrears page ---------------------------------------


def test_the_fund_page_shows_gross_provision_and_net(world, client, arrears):
    fund, _advances = arrears
    run_job(world)
    client.force_login(world.animateur_a)
    html = client.get(reverse("loans:fund-detail", args=[fund.pk])).content.decode()
    figures = dict(re.findall(r'data-figure="(outstanding|provision|net)">([^<]+)<', html))
    assert figures == {
        "outstanding": "46\u00a0845,72\u00a0€",
        "provision": "18\u00a0734,60\u00a0€",
        "net": "28\u00a0111,12\u00a0€",
    }
    body = api_client_for(world.api_client_user).get(reverse("api:fund-detail", args=[fund.pk]))
    assert (body.json()["outstanding"], body.json()["provision"], body.json()["net"]) == (
        "46845.72",
        "18734.60",
        "28111.12",
    )


def test_the_portfolio_risk_carries_the_provision(world, arrears):
    fund, _advances = arrears
    run_job(world)
    with setup_scope():
        (risk,) = [r for r in selectors.portfolio_now(world.coordinator, JOB_DAY) if r.fund == fund]
    assert (risk.outstanding, risk.provision, risk.net) == (
        D("46845.72"),
        D("18734.60"),
        D("28111.12"),
    )


def _job_queries(world, day) -> int:
    with setup_scope(), CaptureQueriesContext(connection) as captured:
        services.arrears_refresh(dispositif=world.a, today=day)
    return len(captured.captured_queries)


def test_the_jobs_reads_do_not_grow_with_the_advances(world, arrears):
    fund, _advances = arrears
    run_job(world)
    few = _job_queries(world, JOB_DAY)  # nothing to post: reads only
    for _index in range(3):
        advance_at("disbursed", fund, disbursed_on=dt.date(2026, 4, 6))
    run_job(world)
    assert _job_queries(world, JOB_DAY) == few


def test_the_funders_figures_carry_the_provision(world, arrears):
    _fund, advances = arrears
    run_job(world)
    with setup_scope():
        figures = funder_figures(
            ContributionKind.ESF, None, dt.date(2026, 1, 1), dt.date(2026, 12, 31)
        )
    position = figures.position
    assert (position.outstanding, position.provision, position.net) == (
        D("46845.72"),
        D("18734.60"),
        D("28111.12"),
    )
    by_advance = {a.advance_id: a.provision for a in figures.advances}
    assert by_advance[advances["late_95"].pk] == D("5000.03")
