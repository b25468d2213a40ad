"""One definition per figure, read the same way everywhere: for the same scope and year, the
annual report's figures, the dashboard's and the indicators API's are equal — for one
dispositif and for the network."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from alize.indicators import INDICATORS, facts
from alize.tenancy import scope
from pme import services as pme_services
from pme.models import Stage
from reporting.dashboards import dashboard
from reporting.selectors import REPORT_KEYS, annual_figures
from tests.clock import TODAY
from tests.conftest import api_client_for
from tests.factories import project_at
from tests.loans.builders import advance_at, make_fund

pytestmark = pytest.mark.django_db
YEAR = TODAY.year


@pytest.fixture
def year_of_work(world):
    """Two dispositifs with approved, rejected and deferred dossiers, a jobs follow-up and
    disbursed advances this year."""
    for dispositif, approved in ((world.a, 3), (world.b, 2)):
        projects = [project_at(Stage.APPROVED, dispositif=dispositif) for _ in range(approved)]
        project_at(Stage.REJECTED, dispositif=dispositif)
        project_at(Stage.DEFERRED, dispositif=dispositif)
        with scope([dispositif]):
            pme_services.follow_up_record(
                project=projects[0],
                year=1,
                headcount=14,
                jobs_created=3,
                jobs_maintained=10,
                source="declared",
                by=None,
                as_of=TODAY,
            )
        fund = make_fund(dispositif)
        for amount in ("10000.00", "12500.00", "15000.00")[:approved]:
            advance_at(
                "disbursed", fund, amount=D(amount), disbursed_on=TODAY - dt.timedelta(days=3)
            )
    facts.refresh_all()
    return world


def _api(user) -> tuple[dict, dict]:
    response = api_client_for(user).get("/api/v1/indicators/", {"year": YEAR})
    assert response.status_code == 200, response.content
    body = response.json()
    rows = {row["dispositif"]: row["indicators"] for row in body["results"]}
    network = next(line["indicators"] for line in body["totals"] if line["scope"] == "network")
    return rows, network


def _number(value) -> D | None:
    return None if value is None else D(str(value))


def test_report_dashboard_and_api_agree(year_of_work):
    world = year_of_work
    with scope(every_dispositif=True, reason="the coordination's dashboard reads every one"):
        board = dashboard(world.coordinator, {"year": str(YEAR)})
    assert board is not None
    shown = {row.dispositif.pk: {c.key: c.value for c in row.cells} for row in board.rows}
    shown_total = {c.key: c.value for c in board.total.cells}
    api_rows, api_network = _api(world.coordinator)

    with scope(every_dispositif=True, reason="the national report reads every dispositif"):
        network_report = annual_figures(YEAR).values
    with scope([world.a]):
        report_a = annual_figures(YEAR, world.a.pk).values

    keys = [k for k in REPORT_KEYS if k in shown_total and k in api_network]
    assert {"projects_approved", "jobs_to_create", "advances_disbursed_amount"} <= set(keys)
    compared = 0
    for key in keys:
        assert _number(report_a[key]) == _number(shown[world.a.pk][key]), key
        assert _number(shown[world.a.pk][key]) == _number(api_rows[world.a.slug][key]["value"]), key
        assert _number(network_report[key]) == _number(shown_total[key]), key
        assert _number(shown_total[key]) == _number(api_network[key]["value"]), key
        compared += 1
    assert compared >= 5
    # The figures are the ones built above, not zeros everywhere.
    # Five approved dossiers, and the five behind the advances (approved to get one).
    assert _number(shown_total["projects_approved"]) == 10
    assert _number(api_network["advances_disbursed_amount"]["value"]) == D("60000.00")
    assert INDICATORS["projects_approved"].headline
