"""One definition per figure: the annual report's figures are the indicators layer's, for a
dispositif's report and for the network's, and the PDF says them."""

import datetime as dt

import pytest
from django.utils import translation

from alize import formats
from alize.indicators import facts, reading
from alize.indicators.registry import INDICATORS
from alize.tenancy import scope
from loans import services as loan_services
from pme.models import JobsFollowUp
from reporting import builders, runner, selectors, services
from reporting.models import DocumentKind
from tests.clock import TODAY
from tests.reporting.conftest import add_missions_and_loans, make_sitting, pdf_text

YEAR = TODAY.year


@pytest.fixture
def network(world, sitting):
    """Two dispositifs with approved projects, a follow-up, hours, an advance and an
    arrears run in A; a sitting in B."""
    add_missions_and_loans(world)
    make_sitting(world.b, companies=("Scierie Vidal",))
    with scope([world.a]):
        JobsFollowUp.objects.create(
            dispositif=world.a,
            project=sitting.items[0].project,
            year=1,
            as_of=dt.date(YEAR, 2, 2),
            headcount=31,
            jobs_created=5,
            jobs_maintained=26,
            source="declared",
        )
        loan_services.arrears_refresh(dispositif=world.a, today=TODAY)
    facts.refresh_all()
    return world


def report_of(**target):
    with scope(every_dispositif=True, reason="test setup"):
        return services.document_request(
            kind=DocumentKind.ANNUAL_REPORT, year=YEAR, by=None, **target
        )


def test_a_dispositifs_report_reads_its_row_of_the_layer(network):
    world = network
    document = report_of(dispositif=world.a)
    with runner.document_scope(document):
        figures = selectors.annual_figures(YEAR, world.a.pk)
        row = reading.by_dispositif([world.a.pk], [YEAR], keys=selectors.REPORT_KEYS)
    expected = {key: figure.value for key, figure in row[(world.a.pk, YEAR)].items()}
    assert figures.values == {key: expected[key] for key in selectors.REPORT_KEYS}
    # The rows built make the comparison mean something.
    assert figures.values["projects_approved"] == 4 and figures.values["jobs_created"] == 5
    assert figures.values["expert_hours"] > 0 and figures.values["outstanding"] > 0
    assert figures.per_dispositif == []


def test_the_networks_report_reads_the_layers_total_and_rows(network):
    world = network
    document = report_of(national=True)
    with runner.document_scope(document):
        figures = selectors.annual_figures(YEAR, None)
        total = reading.total(None, YEAR, keys=selectors.REPORT_KEYS)
        headline = [key for key, item in INDICATORS.items() if item.headline]
        rows = reading.by_dispositif(None, [YEAR], keys=headline)
    assert figures.values == {key: total[key].value for key in selectors.REPORT_KEYS}
    assert figures.values["projects_approved"] == 5  # four in A, one in B
    assert {item.key for item in figures.headline} == set(headline)
    shown = {row["name"]: [cell.value for cell in row["figures"]] for row in figures.per_dispositif}
    assert shown == {
        dispositif.name: [rows[(dispositif.pk, YEAR)][item.key].value for item in figures.headline]
        for dispositif in (world.a, world.b)
    }


def test_the_pdf_says_the_layers_figures(network):
    world = network
    document = report_of(dispositif=world.a)
    with runner.document_scope(document):
        built = builders.build(document, lambda percent: None)
        row = reading.by_dispositif([world.a.pk], [YEAR])[(world.a.pk, YEAR)]
    text = pdf_text(built.content)
    with translation.override("fr"):
        for key in (
            "smes_supported",
            "projects_approved",
            "jobs_to_create",
            "jobs_created",
            "expert_hours",
            "expert_hours_value",
        ):
            figure = row[key]
            line = f"{figure.indicator.label} {formats.figure(figure)}".replace("\xa0", " ")
            assert line in text, line
        outstanding = formats.figure(row["outstanding"]).replace("\xa0", " ")
        assert f"Encours en fin d'année {outstanding}" in text
        assert "Emplois prévus à 3 ans" not in text
