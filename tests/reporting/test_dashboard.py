"""The indicators dashboard and the glossary: who reads which dashboard (the network, one's
dispositif with the network median, a firm's contribution, or none), filters and sorting in
the query string, drill-down links only to lists the reader may open, the comparison table's
CSV and XLSX, freshness, and queries that do not grow with the rows."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape
from openpyxl import load_workbook

from alize.accounts.models import Role
from alize.exports import cell_text
from alize.indicators import INDICATORS, facts
from alize.tenancy import scope
from pme.models import FollowUpSource, JobsFollowUp, Stage
from reporting import dashboards
from tests.clock import TODAY
from tests.factories import (
    CompanyFactory,
    DispositifFactory,
    ProjectFactory,
    RoleAssignmentFactory,
)
from tests.missions.conftest import log, world_expert, world_mission
from tests.query_counts import assert_queries_do_not_grow

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("indicators:dashboard")
GLOSSARY = reverse("indicators:glossary")


def approved(dispositif, day, *, start=10, planned=14, count=1):
    """``count`` projects of ``dispositif`` approved on ``day`` (planned - start jobs each)."""
    made = []
    with scope(every_dispositif=True, reason="test setup"):
        for _ in range(count):
            company = CompanyFactory(dispositif=dispositif)
            made.append(
                ProjectFactory(
                    company=company,
                    stage=Stage.APPROVED,
                    referred_on=day - dt.timedelta(days=30),
                    first_committee_on=day,
                    approved_on=day,
                    jobs_at_start=start,
                    jobs_planned_3y=planned,
                )
            )
    return made


def follow_up(project, as_of, created):
    with scope(every_dispositif=True, reason="test setup"):
        JobsFollowUp.objects.create(
            dispositif_id=project.dispositif_id,
            project=project,
            year=1,
            as_of=as_of,
            headcount=project.jobs_at_start + created,
            jobs_created=created,
            jobs_maintained=project.jobs_at_start,
            source=FollowUpSource.DECLARED,
        )


@pytest.fixture
def network(world):
    """A: 3 projects approved this year (4 jobs to create each), one last year, 5 jobs
    created; B: 2 projects this year (10 jobs each); C (A's region): 1 project."""
    c = DispositifFactory(name="Alizé Arras test", slug="arras-test", region="32")
    first, *_ = approved(world.a, dt.date(2026, 3, 2), count=3)
    approved(world.a, dt.date(2025, 5, 5))
    follow_up(first, dt.date(2026, 5, 1), 5)
    approved(world.b, dt.date(2026, 2, 3), start=20, planned=30, count=2)
    approved(c, dt.date(2026, 4, 6))
    facts.refresh_all()
    world.c = c
    return world


def board_of(response):
    assert response.status_code == 200, response.status_code
    return response.context["board"]


def values(row, key):
    index = [item.key for item in dashboards.ordered(dashboards.headline_keys())].index(key)
    return row.cells[index].value


def row_of(board, dispositif):
    return next(row for row in board.rows if row.dispositif and row.dispositif.pk == dispositif.pk)


# -- Who reads what ----------------------------------------------------------------------------


def test_coordination_reads_the_network_on_the_home_page(network, client):
    client.force_login(network.coordinator)
    response = client.get(reverse("home"))
    assert response.status_code == 200
    panels = response.context["panels"]
    assert panels[0]["template"] == "reporting/panel_dashboard.html"
    board = panels[0]["board"]
    assert board.mode == dashboards.NETWORK and board.year == TODAY.year
    assert [row.label for row in board.rows] == [
        "Alizé Arras test",
        "Alizé Chambéry test",
        "Alizé Valenciennes test",
    ]
    assert values(row_of(board, network.a), "projects_approved") == 3
    assert values(row_of(board, network.a), "jobs_to_create") == 12
    assert values(row_of(board, network.b), "jobs_to_create") == 20
    assert values(row_of(board, network.a), "jobs_created") == 5
    assert values(board.total, "projects_approved") == 6
    assert values(board.total, "jobs_to_create") == 36
    assert values(board.median, "projects_approved") == 2
    page = response.content.decode()
    assert 'data-dashboard="network"' in page
    # The to-do panels stay below the dashboard.
    assert len(panels) > 1


def test_card_shows_the_change_on_the_year_before(network, client):
    client.force_login(network.coordinator)
    board = board_of(client.get(DASHBOARD))
    card = next(c for c in board.cards if c.indicator.key == "projects_approved")
    assert card.shown.value == 6 and card.before.value == 1
    assert card.change.startswith("+5")
    assert card.median is None
    per_project = next(c for c in board.cards if c.indicator.key == "jobs_to_create")
    assert per_project.shown.per_project == Decimal("6.00")  # 36 jobs for 6 projects


def test_animateur_sees_their_dispositif_and_only_the_network_median(network, client):
    client.force_login(network.animateur_a)
    # A filter on another dispositif changes nothing: it is not among the choices.
    board = board_of(client.get(DASHBOARD, {"dispositif": network.b.slug}))
    assert board.mode == dashboards.DISPOSITIFS
    assert [row.dispositif for row in board.rows] == [network.a]
    assert values(board.total, "projects_approved") == 3
    # The median of the three dispositifs (3, 2, 1), though B and C are not shown.
    assert board.median.label == "Médiane du réseau"
    assert values(board.median, "projects_approved") == 2
    card = next(c for c in board.cards if c.indicator.key == "projects_approved")
    assert card.median.value == 2
    page = client.get(DASHBOARD).content.decode()
    assert network.b.name not in page and network.c.name not in page
    assert network.b.slug not in page
    exported = client.get(DASHBOARD, {"format": "csv"}).content.decode("utf-8-sig")
    labels = [row[0] for row in csv.reader(io.StringIO(exported), delimiter=";")][1:]
    assert labels == [network.a.name, "Total", "Médiane du réseau"]


def test_the_network_median_follows_a_recomputed_dispositif(network, client):
    """The network's facts behind an animateur's median are kept in memory by version: a
    dispositif recomputed with new figures moves the median on the next read."""
    client.force_login(network.animateur_a)
    assert values(board_of(client.get(DASHBOARD)).median, "projects_approved") == 2
    # C goes from 1 to 4 approvals: the network's counts are now 3, 2, 4.
    approved(network.c, dt.date(2026, 4, 7), count=3)
    facts.refresh_all()
    assert values(board_of(client.get(DASHBOARD)).median, "projects_approved") == 3


def test_a_dashboard_asked_again_comes_from_memory(network, client):
    """Asked again before anything it shows changes, the dashboard is neither built nor
    rendered again: the request only reads what tells whether it changed."""
    client.force_login(network.coordinator)
    board = board_of(client.get(DASHBOARD))
    again = client.get(DASHBOARD)
    assert board_of(again) is board
    # What is not one of the page's parameters is ignored: the same page.
    assert board_of(client.get(DASHBOARD, {"utm_source": "mail"})) is board
    assert board.page_html in again.content.decode()

    def sorted_by_projects():
        with scope(every_dispositif=True, reason="test: the coordination's dashboard"):
            return dashboards.dashboard(network.coordinator, {"sort": "-projects_approved"})

    sorted_board = sorted_by_projects()
    assert sorted_board is not board and sorted_board.sort == "-projects_approved"
    # The second read only asks who reads what and the facts' version.
    with CaptureQueriesContext(connection) as warm:
        assert sorted_by_projects() is sorted_board
    assert len(warm) == 2, [q["sql"] for q in warm.captured_queries]
    assert client.get(DASHBOARD, {"year": TODAY.year - 1}).context["board"].year == TODAY.year - 1


def test_a_kept_dashboard_follows_what_it_shows(network, client):
    """What the page shows changes, and the next request builds it again: new facts, a
    renamed dispositif, the language."""
    client.force_login(network.coordinator)
    assert values(row_of(board_of(client.get(DASHBOARD)), network.b), "projects_approved") == 2
    approved(network.b, dt.date(2026, 4, 7), start=20, planned=30)
    facts.refresh_all()
    assert values(row_of(board_of(client.get(DASHBOARD)), network.b), "projects_approved") == 3
    with scope(every_dispositif=True, reason="test: rename"):
        network.b.name = "Alizé Renommé"
        network.b.save()
    page = client.get(DASHBOARD).content.decode()
    assert "Alizé Renommé" in page
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Indicators" in client.get(DASHBOARD).content.decode()


def test_a_kept_dashboard_is_never_another_readers(network, client):
    """Two readers of the same dispositif whose links differ (a committee member does not
    open the advances an animateur opens) never share a page; a role given to the member
    changes their page at once."""
    client.force_login(network.animateur_a)
    animateur = board_of(client.get(DASHBOARD))
    client.force_login(network.member_a)
    member = board_of(client.get(DASHBOARD))
    assert member is not animateur
    key = "advances_disbursed_amount"
    assert row_of(animateur, network.a).cells[_index(key)].url
    assert not row_of(member, network.a).cells[_index(key)].url
    RoleAssignmentFactory(user=network.member_a, role=Role.ANIMATEUR, dispositif=network.b)
    widened = board_of(client.get(DASHBOARD))
    assert {row.dispositif.pk for row in widened.rows} == {network.a.pk, network.b.pk}
    assert row_of(widened, network.b).cells[_index(key)].url
    assert not row_of(widened, network.a).cells[_index(key)].url


def _index(key):
    return [item.key for item in dashboards.ordered(dashboards.headline_keys())].index(key)


def test_committee_member_has_no_link_to_lists_they_cannot_read(network, client):
    client.force_login(network.member_a)
    board = board_of(client.get(DASHBOARD))
    assert [row.dispositif for row in board.rows] == [network.a]
    links = {cell.key: cell.url for cell in board.rows[0].cells}
    # Projects: they read them in their dispositif; advances and missions: they do not.
    assert links["projects_approved"].startswith(reverse("pme:project-list"))
    for key in ("advances_disbursed_amount", "outstanding", "expert_hours"):
        assert links[key] == "", key
    page = client.get(DASHBOARD).content.decode()
    assert reverse("loans:advance-list") not in page
    assert reverse("missions:list") + "?" not in page


def test_every_link_answers_for_its_reader(network, client):
    """No drill-down link leads to a refusal, for any reader."""
    for user in (network.coordinator, network.animateur_a, network.member_a):
        client.force_login(user)
        board = board_of(client.get(DASHBOARD))
        urls = {cell.url for row in [*board.rows, board.total] for cell in row.cells}
        urls |= {card.shown.url for card in board.cards}
        for url in sorted(urls - {""}):
            assert client.get(url).status_code == 200, (user, url)


def test_drill_link_is_the_indicators_list_narrowed_to_the_dispositif(network, client):
    client.force_login(network.coordinator)
    board = board_of(client.get(DASHBOARD))
    cell = next(c for c in row_of(board, network.a).cells if c.key == "projects_approved")
    name, query = INDICATORS["projects_approved"].drill(network.a.pk, TODAY.year, 0)
    assert cell.url == dashboards.drill_url(INDICATORS["projects_approved"], TODAY.year, network.a)
    assert cell.url.startswith(reverse(name) + "?")
    assert f"dispositif={network.a.slug}" in cell.url
    for key, value in query.items():
        assert f"{key}={value}" in cell.url
    assert f'href="{cell.url.replace("&", "&amp;")}"' in client.get(DASHBOARD).content.decode()


def test_firm_correspondent_reads_the_firms_contribution(world, client):
    mission = world_mission(world, world.a)
    log(mission, world_expert(world), dt.date(2026, 6, 1), "6.5")
    approved(world.a, dt.date(2026, 3, 2))
    facts.refresh_all()
    client.force_login(world.correspondent_a)
    board = board_of(client.get(DASHBOARD))
    assert board.mode == dashboards.FIRM and board.firm == world.firm_a
    assert [column.indicator.key for column in board.columns] == dashboards.firm_keys()
    assert "projects_approved" not in [c.indicator.key for c in board.columns]
    assert [row.dispositif for row in board.rows] == [world.a]
    hours = next(c for c in board.total.cells if c.key == "expert_hours")
    assert hours.value == Decimal("6.5")
    assert board.median is None
    page = client.get(DASHBOARD).content.decode()
    assert world.firm_a.name in page
    # The firm's figures link to its missions, which its correspondent reads.
    assert hours.url.startswith(reverse("missions:list") + "?")
    urls = {cell.url for row in [*board.rows, board.total] for cell in row.cells} - {""}
    assert urls and all(client.get(url).status_code == 200 for url in urls)
    # Nothing of a dispositif where the firm does not work, even when asked for.
    assert world.b.name not in client.get(DASHBOARD, {"dispositif": world.b.slug}).content.decode()


@pytest.mark.parametrize("role", ["expert", "api_client", "no_role"])
def test_no_dashboard_for_experts_and_api_clients(network, client, role):
    client.force_login(network.user(role))
    assert client.get(DASHBOARD).status_code == 404
    assert client.get(DASHBOARD, {"format": "csv"}).status_code == 404
    home = client.get(reverse("home"))
    assert all(p["template"] != "reporting/panel_dashboard.html" for p in home.context["panels"])


def test_anonymous_is_sent_to_login(client):
    for url in (DASHBOARD, GLOSSARY):
        response = client.get(url)
        assert response.status_code == 302 and reverse("login") in response["Location"]


# -- Filters and sorting ------------------------------------------------------------------------


def test_filters_by_year_region_and_dispositif_stay_in_the_links(network, client):
    client.force_login(network.coordinator)
    whole = board_of(client.get(DASHBOARD)).total.cells[0]
    assert whole.url == dashboards.drill_url(INDICATORS[whole.key], TODAY.year, None)
    board = board_of(client.get(DASHBOARD, {"region": "32"}))
    assert [row.dispositif for row in board.rows] == [network.c, network.a]
    # No list is filtered by region: a region's total links nowhere.
    assert all(cell.url == "" for cell in board.total.cells)
    board = board_of(client.get(DASHBOARD, {"region": "84"}))
    assert [row.dispositif for row in board.rows] == [network.b]
    assert board.total.label == "Total"
    # One dispositif shown: its total is its own row, with the same links.
    assert [c.url for c in board.total.cells] == [c.url for c in board.rows[0].cells]
    assert all("region=84" in column.sort_url for column in board.columns)
    board = board_of(client.get(DASHBOARD, {"dispositif": network.a.slug, "year": "2025"}))
    assert [row.dispositif for row in board.rows] == [network.a]
    assert board.year == 2025 and values(board.total, "projects_approved") == 1
    page = client.get(DASHBOARD, {"region": "32", "year": "2025"}).content.decode()
    assert '<option value="32" selected>' in page and '<option value="2025" selected>' in page
    # An unknown year or region falls back to the defaults.
    board = board_of(client.get(DASHBOARD, {"year": "1850", "region": "zz"}))
    assert board.year == TODAY.year and len(board.rows) == 3


def test_sorting_on_every_column(network, client):
    client.force_login(network.coordinator)
    board = board_of(client.get(DASHBOARD, {"sort": "-projects_approved"}))
    assert [row.dispositif for row in board.rows] == [network.a, network.b, network.c]
    board = board_of(client.get(DASHBOARD, {"sort": "projects_approved"}))
    assert [row.dispositif for row in board.rows] == [network.c, network.b, network.a]
    board = board_of(client.get(DASHBOARD, {"sort": "-dispositif"}))
    assert [row.label for row in board.rows][0] == network.a.name
    for column in board.columns:
        response = client.get(DASHBOARD, {"sort": column.sort})
        assert board_of(response).sort == column.sort
        page = response.content.decode()
        assert f'data-column="{column.sort}" aria-sort="ascending"' in page
    page = client.get(DASHBOARD, {"sort": "-jobs_to_create"}).content.decode()
    assert 'data-column="jobs_to_create" aria-sort="descending"' in page
    assert "<a aria-sort" not in page and '" aria-sort="ascending">' not in page.split("<th")[0]
    # The total and median rows stay at the foot, whatever the order.
    assert page.index('data-row="total"') > page.index(f'data-dispositif="{network.c.slug}"')


# -- Exports ------------------------------------------------------------------------------------


def test_csv_and_xlsx_equal_the_table(network, client):
    client.force_login(network.coordinator)
    params = {"sort": "-jobs_to_create"}
    board = board_of(client.get(DASHBOARD, params))
    headers, rows = board.export_table()
    expected = [[cell_text(v) for v in headers], *([cell_text(v) for v in row] for row in rows)]
    assert [row[0] for row in expected[1:]] == [
        *(row.label for row in board.rows),
        board.total.label,
        board.median.label,
    ]
    french = [[cell_text(v, decimal_mark=",") for v in row] for row in [headers, *rows]]
    response = client.get(DASHBOARD, {**params, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text), delimiter=";")) == french
    raw = client.get(DASHBOARD, {**params, "format": "csv-raw"}).content.decode("utf-8")
    assert list(csv.reader(io.StringIO(raw))) == expected
    labels = [str(item.label) for item in board.indicators]
    assert set(labels) <= set(expected[0])
    a_row = next(row for row in expected if row[0] == network.a.name)
    assert a_row[expected[0].index("Projets accordés")] == "3"
    response = client.get(DASHBOARD, {**params, "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    found = [[cell if cell is not None else "" for cell in row] for row in sheet.values]
    assert found == expected


# -- Freshness and the glossary ------------------------------------------------------------------


def test_freshness_says_when_and_whether_a_refresh_is_pending(network, client):
    client.force_login(network.coordinator)
    page = client.get(DASHBOARD).content.decode()
    assert "calculés à" in page and "mise à jour en cours" not in page
    facts.mark_stale(network.a.pk)
    page = client.get(DASHBOARD).content.decode()
    assert "mise à jour en cours" in page


def test_glossary_defines_every_indicator_and_the_dashboard_links_to_it(network, client):
    client.force_login(network.expert_a)
    page = client.get(GLOSSARY).content.decode()
    for item in INDICATORS.values():
        assert f'id="{item.key}"' in page
        assert escape(str(item.label)) in page and escape(str(item.definition)) in page
    client.force_login(network.coordinator)
    page = client.get(DASHBOARD).content.decode()
    for key in dashboards.headline_keys():
        assert f'href="{GLOSSARY}#{key}"' in page


# -- Queries ------------------------------------------------------------------------------------


def more_rows(world):
    def add():
        for dispositif in (world.a, world.b, world.c):
            approved(dispositif, dt.date(2026, 1, 12), count=2)
        extra = DispositifFactory(name="Alizé Tulle test", slug="tulle-test", region="75")
        approved(extra, dt.date(2026, 1, 12))
        facts.refresh_all()

    return add


def test_dashboard_queries_do_not_grow_with_rows(network, client):
    client.force_login(network.coordinator)
    assert_queries_do_not_grow(
        "indicators:dashboard", lambda: client.get(DASHBOARD), more_rows(network)
    )


def test_animateur_dashboard_queries_do_not_grow_with_rows(network, client):
    client.force_login(network.animateur_a)
    assert_queries_do_not_grow(
        "indicators:dashboard (animateur)", lambda: client.get(DASHBOARD), more_rows(network)
    )


def test_home_panel_queries_do_not_grow_with_rows(network, rf):
    from django.template.loader import render_to_string

    from alize.tenancy import scope_for_user
    from reporting.panels import dashboard_panel

    request = rf.get(reverse("home"))
    request.user = network.coordinator

    def render():
        user_scope = scope_for_user(request.user)
        with scope(
            user_scope.dispositif_ids,
            every_dispositif=user_scope.everything,
            reason="home panel test",
        ):
            panel = dashboard_panel(request)
            render_to_string(panel["template"], {"panel": panel}, request=request)
            return panel

    panel = assert_queries_do_not_grow("home panel: dashboard", render, more_rows(network))
    assert len(panel["board"].rows) == 4


def test_glossary_query_count(client, world):
    client.force_login(world.coordinator)
    assert_queries_do_not_grow("indicators:glossary", lambda: client.get(GLOSSARY), lambda: None)


class TestDashboardByRole:
    """Every role of the world on the dashboard: which reading, and which dispositifs."""

    EXPECTED = {
        "coordinator": (dashboards.NETWORK, {"a", "b", "c"}),
        "animateur": (dashboards.DISPOSITIFS, {"a"}),
        "animateur_b": (dashboards.DISPOSITIFS, {"b"}),
        "member": (dashboards.DISPOSITIFS, {"a"}),
        "correspondent": (dashboards.FIRM, {"a"}),
        "expert": None,
        "api_client": None,
        "no_role": None,
    }

    def test_reading_by_role(self, network, client, role):
        client.force_login(network.user(role))
        response = client.get(DASHBOARD)
        expected = self.EXPECTED[role]
        if expected is None:
            assert response.status_code == 404
            return
        board = board_of(response)
        names = {"a": network.a, "b": network.b, "c": network.c}
        assert board.mode == expected[0]
        assert {row.dispositif for row in board.rows} == {names[k] for k in expected[1]}
        page = response.content.decode()
        for key, dispositif in names.items():
            assert (dispositif.name in page) == (key in expected[1]), (role, key)
