"""The demo seeded in parallel (alize.demo.seed with ``processes``): the seeders of each
dispositif run in forked processes, each on its share of the dispositifs in a transaction
of its own, and give the demo that one transaction gives, row for row."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import connection, transaction

from alize import demo
from alize.indicators import facts as indicator_facts
from alize.tenancy import is_scoped, scope
from dispositifs.models import Dispositif
from loans.models import Fund
from tests.clock import before_the_tests
from tests.conftest import ensure_reference_data
from tests.demo_data import demo_of
from tests.factories import DispositifFactory

SLUGS = ("valenciennes", "chambery")
# What each dispositif holds, by its slug (ids differ from one seed to the other).
FIGURES = """
    SELECT 'ledger', d.slug, l.account || ' ' || l.kind,
           sum(l.debit)::text || ' ' || sum(l.credit)::text
      FROM loans_ledgerline l JOIN dispositifs_dispositif d ON d.id = l.dispositif_id
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'advances', d.slug, a.status, count(*)::text || ' ' || sum(a.amount)::text
      FROM loans_advance a JOIN dispositifs_dispositif d ON d.id = a.dispositif_id
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'projects', d.slug, p.stage, count(*)::text
      FROM pme_project p JOIN dispositifs_dispositif d ON d.id = p.dispositif_id
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'hours', d.slug, m.status, sum(h.hours)::text
      FROM missions_hourlog h
      JOIN missions_skillmission m ON m.id = h.mission_id
      JOIN dispositifs_dispositif d ON d.id = h.dispositif_id
     GROUP BY 1, 2, 3
    UNION ALL
    SELECT 'decisions', d.slug, x.outcome, count(*)::text
      FROM dispositifs_decision x JOIN dispositifs_dispositif d ON d.id = x.dispositif_id
     GROUP BY 1, 2, 3
    ORDER BY 1, 2, 3
"""


def snapshot() -> tuple[dict[str, int], list[tuple]]:
    """Every table's row count and the figures of each dispositif, seen across the network."""
    with scope(every_dispositif=True, reason="test referee: the whole demo"):
        counts = {model._meta.label: model._base_manager.count() for model in apps.get_models()}
        with connection.cursor() as cursor:
            cursor.execute(FIGURES)
            figures = cursor.fetchall()
    return counts, figures


def shared_tables() -> list:
    """The tables outside the dispositifs: neither scoped nor the history of a scoped model."""
    tables = []
    for model in apps.get_models():
        history_of = getattr(model, "instance_type", None)
        if not (is_scoped(model) or (history_of is not None and is_scoped(history_of))):
            tables.append(model)
    return tables


def shared_rows() -> dict[str, set]:
    """Each shared table's rows, by their versions (``ctid``: a row updated, even in this
    transaction, gets a new one) and the dispositif they name, if the table has the column."""
    rows = {}
    with connection.cursor() as cursor:
        for model in shared_tables():
            columns = {field.column for field in model._meta.concrete_fields}
            dispositif = "dispositif_id" if "dispositif_id" in columns else "NULL"
            cursor.execute(
                f"SELECT ctid::text, {dispositif} "
                f"FROM {connection.ops.quote_name(model._meta.db_table)}"
            )
            rows[model._meta.label] = set(cursor.fetchall())
    return rows


def shared_writes(before: dict[str, set], after: dict[str, set]) -> list[str]:
    """What changed in the shared tables other than rows added for one dispositif: a row
    updated or deleted, or a row added that belongs to no dispositif."""
    found = []
    for label, rows in after.items():
        if before[label] - rows:
            found.append(f"{label}: rows updated or deleted")
        if any(dispositif is None for _ctid, dispositif in rows - before[label]):
            found.append(f"{label}: rows added outside the dispositifs")
    return found


def fund_holders() -> set[str]:
    with scope(every_dispositif=True, reason="test referee: every fund"):
        return set(Fund.objects.values_list("dispositif__slug", flat=True))


def test_the_seeders_of_each_dispositif_run_in_parallel():
    names = [
        [f"{seeder.__module__}.{seeder.__name__}" for seeder in group] if each else len(group)
        for each, group in demo.steps()
    ]
    assert names == [7, ["committees.demo.seed_pipeline"], 2, ["loans.demo.seed_loans"], 1]


def test_a_share_is_every_nth_item_from_its_index(monkeypatch):
    assert demo.share("abcde") == list("abcde")
    monkeypatch.setattr(demo, "_SHARE", (1, 2))
    assert demo.share("abcde") == ["b", "d"]


@pytest.mark.django_db(transaction=True)
def test_a_parallel_seed_gives_the_demo_of_one_transaction():
    ensure_reference_data()
    with demo_of(SLUGS), before_the_tests():
        with transaction.atomic():
            # The one-transaction seed, step by step: the seeders of each dispositif update
            # no row outside the dispositifs and add none that belongs to no dispositif, so
            # that processes seeding at once never wait on the same row.
            with (
                scope(every_dispositif=True, reason="test: the demo seed"),
                indicator_facts.paused(),
            ):
                for each_dispositif, group in demo.steps():
                    before = shared_rows() if each_dispositif else None
                    for seeder in group:
                        seeder(lambda line: None)
                    if each_dispositif:
                        assert shared_writes(before, shared_rows()) == [], group
                indicator_facts.refresh_all()
                demo.api_client_token()  # as seed_demo does after the seed
            in_one_transaction = snapshot()
            transaction.set_rollback(True)
        assert not Dispositif.unscoped_objects.exists()

        output = StringIO()
        call_command("seed_demo", "--processes", "2", stdout=output)
    text = output.getvalue()
    assert "(1/2) pipeline seeded in 1 dispositif(s)" in text
    assert "(2/2) pipeline seeded in 1 dispositif(s)" in text
    assert "(1/2) loans seeded in 1 dispositif(s)" in text
    assert "(2/2) loans seeded in 1 dispositif(s)" in text
    counts, figures = snapshot()
    assert counts == in_one_transaction[0]
    assert figures == in_one_transaction[1]
    assert counts["pme.Project"] >= 2 * 11
    assert {row[1] for row in figures} == set(SLUGS)
    assert {row[0] for row in figures} == {"ledger", "advances", "projects", "hours", "decisions"}


@pytest.mark.django_db(transaction=True)
def test_a_failed_share_keeps_what_the_others_committed_and_force_completes_it(monkeypatch):
    ensure_reference_data()
    from loans import demo as loans_demo

    real = loans_demo.LoanStorySeeder.run

    def fail_in_chambery(self):
        if self.spec.slug == "chambery":
            raise RuntimeError("the bank is closed")
        return real(self)

    with demo_of(SLUGS), before_the_tests():
        monkeypatch.setattr(loans_demo.LoanStorySeeder, "run", fail_in_chambery)
        # Chambery comes first of the two: the first share's.
        with pytest.raises(CommandError, match="demo-seed-1-of-2 failed .*`seed_demo --force`"):
            call_command("seed_demo", "--processes", "2", stdout=StringIO(), stderr=StringIO())
        assert fund_holders() == {"valenciennes"}

        monkeypatch.setattr(loans_demo.LoanStorySeeder, "run", real)
        output = StringIO()
        call_command("seed_demo", "--force", "--processes", "2", stdout=output)
    text = output.getvalue()
    assert "pipeline seeded in 0 dispositif(s)" in text
    assert "(1/2) loans seeded in 1 dispositif(s)" in text
    assert "(2/2) loans seeded in 0 dispositif(s)" in text
    assert fund_holders() == set(SLUGS)


def test_the_processes_are_the_cores_up_to_four_on_linux_only(monkeypatch):
    monkeypatch.setattr(demo.sys, "platform", "linux")
    monkeypatch.setattr(demo.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert demo.default_processes() == 2
    monkeypatch.setattr(demo.os, "sched_getaffinity", lambda pid: set(range(64)))
    assert demo.default_processes() == 4
    monkeypatch.delattr(demo.os, "sched_getaffinity")
    monkeypatch.setattr(demo.os, "cpu_count", lambda: None)
    assert demo.default_processes() == 1
    monkeypatch.setattr(demo.os, "cpu_count", lambda: 3)
    assert demo.default_processes() == 3
    monkeypatch.setattr(demo.sys, "platform", "darwin")
    assert demo.default_processes() == 1


@pytest.fixture
def seeds(monkeypatch):
    """``demo.seed`` recorded instead of run (with whether the mark existed meanwhile);
    ``fail`` makes it fail as a parallel seed's share does."""
    calls: list[dict] = []
    state = {"fail": False, "mark": None}

    def seed(log, later, processes):
        mark = state["mark"]
        calls.append({"mark_present": mark is not None and mark.exists()})
        if state["fail"]:
            raise demo.DemoSeedError("demo-seed-2-of-2 failed")

    monkeypatch.setattr(demo, "seed", seed)
    return calls, state


def test_an_unfinished_seed_is_completed_by_the_next_run(seeds, tmp_path, db):
    calls, state = seeds
    mark = state["mark"] = tmp_path / "demo-seed-unfinished"

    def seed_demo():
        output = StringIO()
        call_command("seed_demo", "--unfinished-mark", str(mark), stdout=output)
        return output.getvalue()

    # An empty database is seeded, the mark present while it is.
    seed_demo()
    assert calls == [{"mark_present": True}] and not mark.exists()

    state["fail"] = True
    with pytest.raises(CommandError, match="demo-seed-2-of-2 failed"):
        seed_demo()
    assert mark.exists()

    # What the failed run committed is there: the next run completes it.
    state["fail"] = False
    with scope(every_dispositif=True, reason="test setup: a dispositif the seed committed"):
        DispositifFactory()
    assert "did not finish: completing it" in seed_demo()
    assert len(calls) == 3 and not mark.exists()

    # A database that holds data, without the mark: nothing seeded, no mark left.
    assert "nothing seeded" in seed_demo()
    assert len(calls) == 3 and not mark.exists()
