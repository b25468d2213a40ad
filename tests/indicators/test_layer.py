"""The indicators layer: how cells add up, how writes mark a dispositif stale, and that the
kept facts always equal a recomputation from scratch."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal as D

import pytest
from django.db import transaction

from alize import links
from alize.indicators import INDICATORS, Kind, facts, reading
from alize.indicators.cells import flow_cells, period_ends, stock_cells
from alize.models import IndicatorFact, IndicatorState
from alize.tenancy import public_door_scope, scope
from pme import services as pme_services
from pme.models import Project, Stage
from tests.clock import TODAY
from tests.factories import CompanyFactory, DispositifFactory, project_at
from tests.loans.builders import advance_at, make_fund

pytestmark = pytest.mark.django_db


def _cells(cells):
    return {(c.key, c.year, c.month, c.firm_id): (c.value, c.smes, c.top) for c in cells}


# --------------------------------------------------------------------------- cells


def test_a_flow_adds_up_by_month_and_year_with_the_smes_behind_it():
    rows = [
        (1, dt.date(2025, 1, 5), 3, 0),
        (1, dt.date(2025, 1, 20), 2, 0),
        (2, dt.date(2025, 3, 1), 10, 0),
        (3, dt.date(2024, 12, 31), 7, 0),
    ]
    cells = _cells(flow_cells("expert_hours", rows, [2025]))
    assert cells == {
        ("expert_hours", 2025, 0, 0): (D(15), 2, D(10)),
        ("expert_hours", 2025, 1, 0): (D(5), 1, D(5)),
        ("expert_hours", 2025, 3, 0): (D(10), 1, D(10)),
    }


def test_a_flow_per_firm_keeps_the_all_firms_cell_and_each_firms():
    rows = [(1, dt.date(2025, 2, 1), 4, 7), (2, dt.date(2025, 2, 2), 6, 8)]
    cells = _cells(flow_cells("expert_hours", rows, [2025], per_firm=True, monthly=False))
    assert cells == {
        ("expert_hours", 2025, 0, 0): (D(10), 2, D(6)),
        ("expert_hours", 2025, 0, 7): (D(4), 1, D(4)),
        ("expert_hours", 2025, 0, 8): (D(6), 1, D(6)),
    }


def test_a_stock_is_what_stands_at_each_periods_end_capped_at_today():
    events = [
        (1, dt.date(2025, 1, 10), 100, 0),
        (2, dt.date(2025, 6, 1), 50, 0),
        (1, dt.date(2026, 3, 1), -100, 0),
    ]
    cells = _cells(stock_cells("outstanding", events, [2025, 2026], today=TODAY))
    assert cells[("outstanding", 2025, 1, 0)] == (D(100), 1, D(100))
    assert cells[("outstanding", 2025, 5, 0)] == (D(100), 1, D(100))
    assert cells[("outstanding", 2025, 6, 0)] == (D(150), 2, D(100))
    assert cells[("outstanding", 2025, 0, 0)] == (D(150), 2, D(100))
    # Company 1 repaid in March 2026: only company 2 stands after.
    assert cells[("outstanding", 2026, 3, 0)] == (D(50), 1, D(50))
    # 2026 is under way (TODAY is 10 June): the year's stock is today's, no month after June.
    assert cells[("outstanding", 2026, 0, 0)] == (D(50), 1, D(50))
    assert ("outstanding", 2026, 7, 0) not in cells


def test_period_ends_stop_at_today():
    ends = period_ends([2026], TODAY)
    assert (2026, 6, TODAY) in ends
    assert (2026, 0, TODAY) in ends
    assert all(month <= 6 for _year, month, _end in ends)


def test_every_indicator_says_what_it_counts_and_ratios_name_stored_parts():
    assert len(INDICATORS) >= 30
    for item in INDICATORS.values():
        assert len(str(item.definition)) > 40, item.key
        if item.kind == Kind.RATIO:
            assert INDICATORS[item.numerator].stored and INDICATORS[item.denominator].stored
    for key in [
        "projects_referred",
        "projects_to_committee",
        "projects_approved",
        "smes_supported",
        "jobs_to_create",
        "jobs_created",
        "jobs_maintained",
        "survival_3y",
        "days_to_committee",
        "committees_held",
        "decisions_approved",
        "expert_hours",
        "expert_hours_value",
        "firms_involved",
        "hours_asked",
        "hours_pledged",
        "advances_granted",
        "advances_disbursed_amount",
        "outstanding",
        "repaid",
        "lost",
        "par30",
        "leverage",
        "fund_utilisation",
    ]:
        assert key in INDICATORS


# --------------------------------------------------------------------------- marking stale


def _state(dispositif):
    with scope([dispositif]):
        return IndicatorState.objects.filter(dispositif=dispositif).first()


def test_a_committed_write_marks_its_dispositif_stale(django_capture_on_commit_callbacks):
    company = CompanyFactory()
    facts.refresh(company.dispositif_id)
    assert _state(company.dispositif).fresh
    with django_capture_on_commit_callbacks(execute=True), scope([company.dispositif]):
        pme_services.project_create(
            company=company,
            by=None,
            title="Atelier",
            project_type="development",
            jobs_at_start=5,
            jobs_planned_3y=9,
            referred_on=TODAY,
        )
    state = _state(company.dispositif)
    assert not state.fresh
    assert facts.stale_ids() == [company.dispositif_id]
    facts.refresh_stale()
    assert _state(company.dispositif).fresh


def test_a_rolled_back_write_marks_nothing(django_capture_on_commit_callbacks):
    company = CompanyFactory()
    facts.refresh(company.dispositif_id)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # noqa: SIM117
        with pytest.raises(RuntimeError), transaction.atomic(), scope([company.dispositif]):
            pme_services.project_create(
                company=company,
                by=None,
                title="Atelier",
                project_type="development",
                jobs_at_start=5,
                jobs_planned_3y=9,
                referred_on=TODAY,
            )
            raise RuntimeError
    assert _state(company.dispositif).fresh
    assert not callbacks


def test_many_writes_in_one_transaction_count_once(django_capture_on_commit_callbacks):
    company = CompanyFactory()
    facts.refresh(company.dispositif_id)
    before = _state(company.dispositif).changed
    with django_capture_on_commit_callbacks(execute=True):  # noqa: SIM117
        with transaction.atomic(), scope([company.dispositif]):
            for n in range(5):
                pme_services.project_create(
                    company=company,
                    by=None,
                    title=f"Projet {n}",
                    project_type="development",
                    jobs_at_start=5,
                    jobs_planned_3y=9,
                    referred_on=TODAY,
                )
    assert _state(company.dispositif).changed == before + 1


def test_paused_writes_mark_nothing(django_capture_on_commit_callbacks):
    company = CompanyFactory()
    facts.refresh(company.dispositif_id)
    with django_capture_on_commit_callbacks(execute=True), facts.paused():  # noqa: SIM117
        with scope([company.dispositif]):
            pme_services.project_create(
                company=company,
                by=None,
                title="Atelier",
                project_type="development",
                jobs_at_start=5,
                jobs_planned_3y=9,
                referred_on=TODAY,
            )
    assert _state(company.dispositif).fresh


# --------------------------------------------------------------------------- recomputation


def _random_write(rng: random.Random, dispositifs, state: dict) -> str:
    dispositif = rng.choice(dispositifs)
    actions = ["referred", "approved", "rejected", "follow_up", "sme_declared", "advance", "delete"]
    action = rng.choice(actions)
    if action in ("referred", "approved", "rejected"):
        stage = {"referred": Stage.REFERRED, "approved": Stage.APPROVED, "rejected": Stage.REJECTED}
        project = project_at(stage[action], dispositif=dispositif)
        state.setdefault("projects", []).append(project)
        return action
    approved = [p for p in state.get("projects", []) if p.approved_on]
    if action == "follow_up" and approved:
        project = rng.choice(approved)
        with scope([project.dispositif_id]):
            year = 1 + sum(1 for _ in project.follow_ups.all())
            if year > 3:
                return "skip"
            pme_services.follow_up_record(
                project=project,
                year=year,
                headcount=rng.randint(0, 30),
                jobs_created=rng.randint(0, 6),
                jobs_maintained=rng.randint(5, 20),
                source="declared",
                by=None,
                as_of=TODAY - dt.timedelta(days=rng.randint(0, 500)),
            )
        return action
    if action == "sme_declared":
        return _sme_declared_follow_up(rng, dispositif)
    if action == "advance":
        fund = state.setdefault("funds", {}).get(dispositif.pk)
        if fund is None:
            fund = state["funds"][dispositif.pk] = make_fund(dispositif)
        advance_at(
            rng.choice(["approved", "disbursed"]),
            fund,
            amount=D(rng.choice(["10000.00", "12500.00", "15000.00"])),
            disbursed_on=TODAY - dt.timedelta(days=rng.randint(0, 400)),
        )
        return action
    if action == "delete":
        projects = [p for p in state.get("projects", []) if p.stage == Stage.REFERRED]
        if projects:
            project = projects.pop()
            state["projects"].remove(project)
            with scope([project.dispositif_id]):
                pme_services.project_delete(project=project)
        return action
    return "skip"


def _sme_declared_follow_up(rng: random.Random, dispositif) -> str:
    """A project approved a year ago whose SME declares its first follow-up through its
    link; the animateur validates it, corrects it, or has not reviewed it yet (then nothing
    counts)."""
    project = project_at(Stage.IN_PROGRESS, dispositif=dispositif, contact_email="pme@test.fr")
    with scope([dispositif]):
        Project.objects.filter(pk=project.pk).update(approved_on=TODAY - dt.timedelta(days=370))
        facts.changed(dispositif.pk)  # a bulk update: the service's duty, done by hand here
        pme_services.follow_up_reminders_refresh()
        (declaration,) = pme_services.follow_up_declarations_request()
        token = links.link_token(declaration.link)
    with public_door_scope(dispositif.pk, door="test: the SME's link"):
        declaration = pme_services.follow_up_declaration_submit(
            link=links.link_open(pme_services.FOLLOW_UP_LINK_PURPOSE, token),
            headcount=rng.randint(0, 30),
            jobs_created=rng.randint(0, 6),
            jobs_maintained=rng.randint(5, 20),
        )
    review = rng.choice(["validate", "correct", "pending"])
    with scope([dispositif]):
        if review == "validate":
            pme_services.follow_up_declaration_validate(declaration=declaration, by=None)
        elif review == "correct":
            pme_services.follow_up_declaration_correct(
                declaration=declaration,
                by=None,
                headcount=declaration.headcount + 1,
                jobs_created=declaration.jobs_created,
                jobs_maintained=declaration.jobs_maintained,
                source="verified",
            )
    return "sme_declared"


def test_kept_facts_equal_a_recomputation_after_random_writes(django_capture_on_commit_callbacks):
    """Random writes through the services, each committed (on-commit callbacks run): the
    dispositifs they touch are marked stale, and once refreshed the kept facts equal a
    recomputation from scratch (``manage.py check_indicators``)."""
    rng = random.Random(20261207)
    dispositifs = [DispositifFactory(), DispositifFactory()]
    facts.refresh_all()
    state: dict = {}
    done = set()
    for step in range(30):
        with django_capture_on_commit_callbacks(execute=True):
            done.add(_random_write(rng, dispositifs, state))
        if step % 10 == 9:
            facts.refresh_stale()
            result = facts.check([d.pk for d in dispositifs])
            assert result.ok, result.differences[:5]
            assert facts.stale_ids() == []
    facts.refresh_stale()
    result = facts.check([d.pk for d in dispositifs])
    assert result.ok, result.differences[:5]
    assert {"follow_up", "sme_declared"} <= done
    with scope(dispositifs):
        assert IndicatorFact.objects.filter(indicator="projects_referred").exists()


def test_a_changed_row_left_unrefreshed_is_what_the_check_finds(django_capture_on_commit_callbacks):
    project = project_at(Stage.APPROVED)
    facts.refresh_all()
    assert facts.check([project.dispositif_id]).ok
    with scope([project.dispositif_id]), facts.paused():
        # A write the layer was not told about (a raw queryset update bypasses signals).
        type(project).objects.filter(pk=project.pk).update(jobs_planned_3y=40)
    result = facts.check([project.dispositif_id])
    assert not result.ok
    assert {d.key[0] for d in result.differences} == {"jobs_to_create"}


# --------------------------------------------------------------------------- reading


def test_totals_add_flows_and_take_ratios_of_the_sums():
    a, b = DispositifFactory(), DispositifFactory()
    for dispositif, count in ((a, 2), (b, 1)):
        for _ in range(count):
            project_at(Stage.APPROVED, dispositif=dispositif)
    facts.refresh_all()
    year = TODAY.year
    with scope([a, b]):
        rows = reading.by_dispositif([a.pk, b.pk], [year])
        both = reading.total([a.pk, b.pk], year, rows=rows)
    assert rows[(a.pk, year)]["projects_approved"].value == 2
    assert rows[(b.pk, year)]["projects_approved"].value == 1
    assert both["projects_approved"].value == 3
    assert both["smes_supported"].value == 3
    assert both["smes_supported"].smes == 3
    # project_at plans 14 at 3 years from 10 at start: 4 jobs to create each.
    assert both["jobs_to_create"].value == 12
    # Referred 14 days before the committee, for every project: the median is 14 days.
    assert both["days_to_committee"].value == 14
    # No follow-up at 3 years: survival has nothing to divide by.
    assert both["survival_3y"].value is None


def test_totals_of_many_groups_equal_each_total_in_queries_that_do_not_grow():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a, b, c = DispositifFactory(), DispositifFactory(), DispositifFactory()
    for dispositif, count in ((a, 2), (b, 1), (c, 3)):
        for _ in range(count):
            project_at(Stage.APPROVED, dispositif=dispositif)
    facts.refresh_all()
    year = TODAY.year
    groups = {"ab": [a.pk, b.pk], "c": [c.pk], "all": [a.pk, b.pk, c.pk]}
    with scope([a, b, c]):
        one_by_one = {name: reading.total(ids, year) for name, ids in groups.items()}
        with CaptureQueriesContext(connection) as two:
            reading.totals({"ab": groups["ab"], "c": groups["c"]}, year)
        with CaptureQueriesContext(connection) as three:
            together = reading.totals(groups, year)
    assert together == one_by_one
    assert together["ab"]["projects_approved"].value == 3
    assert together["all"]["projects_approved"].value == 6
    assert together["all"]["days_to_committee"].value == 14
    # The facts once, each recounted indicator (median, distinct count) once for all groups.
    assert len(three) == len(two)


def test_facts_kept_in_memory_are_read_again_once_a_dispositif_is_recomputed():
    dispositif = DispositifFactory()
    project_at(Stage.APPROVED, dispositif=dispositif)
    facts.refresh_all()
    year = TODAY.year
    with scope([dispositif]):
        version = reading.freshness([dispositif.pk])["version"]
        first = reading.by_dispositif([dispositif.pk], [year], version=version)
        again = reading.by_dispositif([dispositif.pk], [year], version=version)
    assert again is first  # asked again with the same version: from memory
    assert first[(dispositif.pk, year)]["projects_approved"].value == 1

    project_at(Stage.APPROVED, dispositif=dispositif)
    facts.refresh(dispositif.pk)
    with scope([dispositif]):
        newer = reading.freshness([dispositif.pk])["version"]
        after = reading.by_dispositif([dispositif.pk], [year], version=newer)
        years = reading.years_available([dispositif.pk], version=newer)
    assert newer != version
    assert after[(dispositif.pk, year)]["projects_approved"].value == 2
    assert years[-1] == year
