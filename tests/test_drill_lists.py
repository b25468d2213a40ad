"""The lists behind the indicators: for every indicator with a drill-down, on rows built
through the services in two dispositifs, the list the drill names, filtered the same way,
shows the figure the indicators layer reads — its row count for a count, the total it shows
for a sum — for a year and for a month."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from statistics import median

import pytest
from django.urls import reverse

from alize.indicators import facts, reading
from alize.indicators.registry import INDICATORS
from alize.tenancy import scope
from committees import services as committee_services
from committees.models import Committee
from loans import services as loan_services
from partners.models import Expert
from pme.models import JobsFollowUp, Project, Stage
from tests.clock import TODAY
from tests.factories import CommitteeFactory, project_at, record_quorum
from tests.loans.builders import advance_at, make_fund
from tests.missions.conftest import firm_of_b, log, world_expert, world_mission

D = Decimal

# How each drill-down list shows its indicator: the row count, or one of its totals
# (``data-total`` cells), or the median of the listed projects' days to committee.
COUNT = "count"
MEDIAN = "median"
SHOWN = {
    "projects_referred": COUNT,
    "projects_to_committee": COUNT,
    "projects_approved": COUNT,
    "smes_supported": COUNT,
    "jobs_to_create": "jobs_to_create",
    "jobs_created": "jobs_created",
    "jobs_maintained": "jobs_maintained",
    "survival_followed": COUNT,
    "survival_alive": COUNT,
    "follow_ups_recorded": COUNT,
    "follow_ups_self_declared": COUNT,
    "days_to_committee": MEDIAN,
    "committees_held": COUNT,
    "decisions_approved": "decisions",
    "decisions_deferred": "decisions",
    "decisions_rejected": "decisions",
    "expert_hours": "period_hours",
    "expert_hours_value": "period_value",
    "firms_involved": "firms",
    "hours_asked": "planned_hours",
    "advances_granted": COUNT,
    "advances_granted_amount": "period_amount",
    "advances_disbursed": COUNT,
    "advances_disbursed_amount": "period_amount",
    "outstanding": "period_amount",
    "repaid": "period_amount",
    "lost": "period_amount",
    "at_risk_30": "period_amount",
}
# The arrears in a list are those of the last daily run: only today's period reads them.
CURRENT_ONLY = {"at_risk_30"}
PERIODS = [(2025, 0), (2025, 3), (2026, 0), (2026, 4), (2026, 5), (2026, 6)]


def setup_scope():
    return scope(every_dispositif=True, reason="test setup")


def move_project(project, *, referred, committee):
    """Date a project approved (or decided) through the services: referred on
    ``referred``, its committee and its decision on ``committee``."""
    Project.objects.filter(pk=project.pk).update(
        referred_on=referred,
        first_committee_on=committee,
        approved_on=committee if project.stage == Stage.APPROVED else None,
    )
    Committee.objects.filter(items__project=project).update(date=committee, status="held")


def follow_up(project, year, as_of, headcount, created, maintained, source="declared"):
    JobsFollowUp.objects.create(
        project=project,
        dispositif_id=project.dispositif_id,
        year=year,
        as_of=as_of,
        headcount=headcount,
        jobs_created=created,
        jobs_maintained=maintained,
        source=source,
    )


def build_pipeline(dispositif, size: int):
    """Projects approved in 2025 and 2026, one deferred twice, one rejected, projects
    referred without a committee; follow-ups (a corrected one, a third year with nobody
    left); committees held, planned and one cancelled-looking (planned in the past)."""
    approved = []
    for index in range(size):
        project = project_at(Stage.APPROVED, dispositif=dispositif)
        with setup_scope():
            year = 2025 if index % 2 else 2026
            committee = dt.date(year, 3 + index % 3, 5 + index)
            move_project(
                project, referred=committee - dt.timedelta(days=10 + 7 * index), committee=committee
            )
            Project.objects.filter(pk=project.pk).update(jobs_planned_3y=10 + 3 * index)
        approved.append(project)
    deferred = project_at(Stage.DEFERRED, dispositif=dispositif)
    rejected = project_at(Stage.REJECTED, dispositif=dispositif)
    with setup_scope():
        move_project(deferred, referred=dt.date(2026, 3, 20), committee=dt.date(2026, 4, 2))
        move_project(rejected, referred=dt.date(2026, 3, 20), committee=dt.date(2026, 4, 2))
        # A retroactive referral, dated after its committee: out of the median.
        Project.objects.filter(pk=rejected.pk).update(referred_on=dt.date(2026, 4, 9))
        again = CommitteeFactory(dispositif=dispositif, date=TODAY)
        item = committee_services.agenda_add_project(committee=again, project=deferred, by=None)
        record_quorum(again)
        committee_services.committee_record_decision(item=item, outcome="deferred", by=None)
        Committee.objects.filter(pk=again.pk).update(date=dt.date(2026, 5, 12), status="held")
        for _ in range(size):
            project_at(Stage.QUALIFIED, dispositif=dispositif)
        CommitteeFactory(dispositif=dispositif, date=dt.date(2025, 11, 4), status="minutes_sent")
        CommitteeFactory(dispositif=dispositif, date=dt.date(2026, 5, 20))
        # Follow-ups: the first project's year 1 then a corrected later one; the second's
        # third year with a headcount, the third's with nobody left. Two carry the figures
        # their SME declared itself.
        first, second, third = approved[0], approved[1], approved[2]
        follow_up(first, 1, dt.date(2025, 6, 1), 12, 2, 10, source="self_declared")
        follow_up(first, 2, dt.date(2026, 5, 3), 14, 4, 10)
        follow_up(second, 3, dt.date(2026, 4, 15), 9, 3, 6, source="self_declared")
        follow_up(third, 3, dt.date(2026, 6, 2), 0, 0, 0)
        follow_up(third, 2, dt.date(2025, 3, 30), 5, 1, 4)


def build_missions(world, dispositif, days: list[tuple[dt.date, str]]):
    """A running mission of the dispositif (starting 60 days before today) with hours."""
    mission = world_mission(world, dispositif)
    if dispositif.pk == world.a.pk:
        expert = world_expert(world)
    else:
        expert = Expert.objects.filter(organisation=firm_of_b(world)).first()
    for day, hours in days:
        log(mission, expert, day, hours)
    return mission


def build_loans(world, dispositif, amounts: list[str]):
    """Advances disbursed in 2025 (left unpaid: in arrears at today's run) and today, one
    partly repaid in 2026, one written off this month."""
    fund = make_fund(dispositif)
    advances = []
    for index, amount in enumerate(amounts):
        on = dt.date(2025, 3, 10 + index) if index % 2 == 0 else TODAY
        advances.append(advance_at("disbursed", fund, amount=D(amount), disbursed_on=on))
    with setup_scope():
        loan_services.repayment_record(
            advance=advances[0],
            amount=D("1500.00"),
            received_on=dt.date(2026, 4, 20),
            idempotency_key=f"drill-{dispositif.pk}",
            by=None,
        )
        if len(advances) > 2:
            write_off = loan_services.write_off_propose(
                advance=advances[2],
                reason="Liquidation judiciaire prononcée.",
                by=world.animateur_a,
            )
            loan_services.write_off_approve(write_off=write_off, by=world.coordinator, on=TODAY)
        loan_services.arrears_refresh(dispositif=dispositif, today=TODAY)


@pytest.fixture
def drill_world(world):
    build_pipeline(world.a, 5)
    build_pipeline(world.b, 3)
    build_missions(
        world,
        world.a,
        [(dt.date(2026, 4, 20), "3.5"), (dt.date(2026, 5, 4), "7"), (dt.date(2026, 6, 1), "2.25")],
    )
    build_missions(world, world.b, [(dt.date(2026, 5, 11), "4")])
    build_loans(world, world.a, ["12000.00", "15000.00", "10000.00", "11000.00"])
    build_loans(world, world.b, ["10000.00", "14000.00"])
    facts.refresh_all()
    return world


def shown_total(html: str, name: str) -> Decimal:
    """The number a list shows in its ``data-total="name"`` cell (French formatting)."""
    found = re.search(rf'data-total="{name}">([^<]*)<', html)
    assert found, f"no total {name!r} shown"
    text = found.group(1).replace("\xa0", "").replace("\u202f", "").replace(" ", "")
    return D(text.replace("€", "").replace(",", "."))


def listed(client, url_name: str, query: dict):
    response = client.get(reverse(url_name), {**query, "sort": ""})
    assert response.status_code == 200, (url_name, query)
    return response


def days_median(response) -> Decimal | None:
    delays = [
        (p.first_committee_on - p.referred_on).days
        for p in response.context["object_list"]
        if p.first_committee_on >= p.referred_on
    ]
    return D(str(median(delays))) if delays else None


def test_every_drill_is_checked_here():
    drilled = {key for key, item in INDICATORS.items() if item.drill is not None}
    assert drilled == set(SHOWN)


def shown_figure(client, key: str, dispositif, year: int, month: int) -> Decimal | None:
    """What the list behind ``key``'s figure for one dispositif and period shows, at the
    indicator's precision (the figure is the list's exact total rounded to it)."""
    item = INDICATORS[key]
    url_name, query = item.drill(dispositif.pk, year, month)
    response = listed(client, url_name, {**query, "dispositif": dispositif.slug})
    how = SHOWN[key]
    if how == COUNT:
        shown = D(response.context["paginator"].count)
    elif how == MEDIAN:
        shown = days_median(response)
        html = response.content.decode()
        if shown is None:
            assert 'data-total="days_to_committee">—<' in html
        else:
            assert shown == shown_total(html, "days_to_committee")
    else:
        shown = shown_total(response.content.decode(), how)
    return None if shown is None else shown.quantize(D(1).scaleb(-item.places))


def test_the_list_behind_every_figure_shows_the_figure(drill_world, client):
    """Every drilled indicator, both dispositifs, years and months: the layer's figure
    (``reading.by_dispositif``) is what its list shows."""
    world = drill_world
    client.force_login(world.coordinator)
    current = {(TODAY.year, 0), (TODAY.year, TODAY.month)}
    mismatches, non_zero = [], set()
    for year, month in PERIODS:
        with setup_scope():
            figures = reading.by_dispositif([world.a.pk, world.b.pk], [year], month=month)
        for key in sorted(SHOWN):
            if key in CURRENT_ONLY and (year, month) not in current:
                continue
            item = INDICATORS[key]
            for dispositif in (world.a, world.b):
                figure = figures.get((dispositif.pk, year), {}).get(key)
                value = figure.value if figure is not None else None
                if value is None and item.kind != "median":
                    value = D(0)  # nothing kept: nothing happened
                shown = shown_figure(client, key, dispositif, year, month)
                if shown != value:
                    mismatches.append((key, dispositif.slug, year, month, shown, value))
                if value:
                    non_zero.add(key)
    assert mismatches == []
    # The rows built give every figure a value somewhere.
    assert non_zero == set(SHOWN)


def test_the_network_total_is_the_unfiltered_lists_figure(drill_world, client):
    """Without ``dispositif``, the coordination's list shows the network's figure."""
    world = drill_world
    client.force_login(world.coordinator)
    with setup_scope():
        total = reading.total([world.a.pk, world.b.pk], 2026)
    for key in ("projects_approved", "jobs_created", "expert_hours", "outstanding"):
        url_name, query = INDICATORS[key].drill(None, 2026)
        response = listed(client, url_name, query)
        how = SHOWN[key]
        shown = (
            D(response.context["paginator"].count)
            if how == COUNT
            else shown_total(response.content.decode(), how)
        )
        places = D(1).scaleb(-INDICATORS[key].places)
        assert shown.quantize(places) == total[key].value, key


@pytest.mark.parametrize(
    ("url_name", "field", "label"),
    [
        ("pme:project-list", "approved_in", "Accordé en"),
        ("pme:project-list", "decided_in", "Décision du comité en"),
        ("pme:company-list", "approved_in", "Projet accordé en"),
        ("pme:follow-up-list", "latest_in", "Dernier suivi à la fin de"),
        ("pme:follow-up-list", "as_of_in", "Suivi daté de"),
        ("committees:list", "held_in", "Tenus en"),
        ("missions:list", "hours_in", "Heures datées de"),
        ("missions:list", "starts_in", "Commence en"),
        ("loans:advance-list", "granted_in", "Accordées en"),
        ("loans:advance-list", "outstanding_at", "Encours à la fin de"),
        ("loans:advance-list", "written_off_in", "Pertes en"),
    ],
)
@pytest.mark.parametrize("bad", ["2025-13", "25", "2025-1", "2025-00", "année"])
def test_a_bad_period_is_a_form_error_naming_the_field(world, client, url_name, field, label, bad):
    client.force_login(world.coordinator)
    response = client.get(reverse(url_name), {field: bad})
    assert response.status_code == 200
    html = response.content.decode().replace("&#x27;", "'")
    assert f"« {label} » : une année (AAAA) ou un mois (AAAA-MM) est attendu." in html
    assert response.context["paginator"].count == 0


def test_the_follow_up_list_keeps_each_projects_latest_follow_up(drill_world, client):
    world = drill_world
    client.force_login(world.animateur_a)
    response = listed(client, "pme:follow-up-list", {"latest_in": "2025"})
    rows = list(response.context["object_list"])
    # At the end of 2025: the first project's year 1 and the third's year 2 (its year 3 is
    # dated 2026); the second has no follow-up yet.
    assert sorted((row.year, row.jobs_created) for row in rows) == [(1, 2), (2, 1)]
    assert {row.dispositif_id for row in rows} == {world.a.pk}
    html = response.content.decode()
    assert shown_total(html, "jobs_created") == 3
    assert shown_total(html, "jobs_maintained") == 14
    assert "Dernier suivi à la fin de 2025" in html.replace("</strong>", "").replace("<strong>", "")
    # A period not begun yet has no stock.
    response = listed(client, "pme:follow-up-list", {"latest_in": "2027"})
    assert response.context["paginator"].count == 0


def test_the_follow_up_list_exports_its_rows(drill_world, client):
    world = drill_world
    client.force_login(world.animateur_a)
    response = client.get(reverse("pme:follow-up-list"), {"latest_in": "2026", "format": "csv"})
    assert response.status_code == 200
    lines = b"".join(response.streaming_content if response.streaming else [response.content])
    text = lines.decode("utf-8-sig")
    assert text.splitlines()[0].startswith('"Projet";"Entreprise"')
    assert len(text.strip().splitlines()) == 1 + 3


def test_the_follow_up_list_is_scoped(drill_world, client):
    world = drill_world
    client.force_login(world.animateur_b)
    response = listed(client, "pme:follow-up-list", {})
    assert {row.dispositif_id for row in response.context["object_list"]} == {world.b.pk}
    # Another dispositif's slug is no valid choice: nothing is listed.
    response = listed(client, "pme:follow-up-list", {"dispositif": world.a.slug})
    assert response.context["paginator"].count == 0
    client.force_login(world.correspondent_a)
    assert client.get(reverse("pme:follow-up-list")).status_code == 404
