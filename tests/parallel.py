"""The suite in several processes (pytest-xdist; ``make test`` runs it on every core).

Each process runs whole groups of tests: a module (its fixtures are set up once, a seeded
demo is not seeded twice), or every test of the local stack together (they share its folder,
``tests/ops/stack_helpers.py``). The groups that take minutes are handed out first, so that
no process starts one while the others have nothing left. Each process has its own test
database, Redis databases and documents folder (``alize/settings/test.py``).

The route meta-test needs the requests of the whole run: the processes send theirs to the
main one, which checks them when they have all ended and reports the result under the
test's own name (passed, failed, or skipped on a partial run), as a single process would.
The query counts measured by every process reach the main one too, which alone writes the
baselines (``--update-query-counts``).
"""

from __future__ import annotations

import pytest
from xdist.scheduler import LoadScopeScheduling

from tests import coverage, query_counts

ROUTE_COVERAGE_TEST = "tests/test_routes_meta.py::test_every_route_and_method_was_requested"
# The modules of the local stack's tests (``-m stack``): one group, run by one process.
STACK_MODULES = frozenset(
    {
        "tests/ops/test_health_stack.py",
        "tests/ops/test_mail_latency.py",
        "tests/ops/test_stack.py",
        "tests/ops/test_stack_jobs.py",
        "tests/ops/test_stack_shutdown.py",
    }
)
# Groups that take minutes: a seeded demo, a started stack, migrations back and forth.
SLOW_FIRST = (
    "stack",
    "tests/test_demo.py",
    "tests/test_demo_parallel.py",
    "tests/browser/test_role_tour.py",
    "tests/test_lifecycle_migrations.py",
    "tests/test_bench.py",
    "tests/test_api_fuzz.py",
    "tests/pme/test_api_rows.py",
)


def group_of(nodeid: str) -> str:
    """« stack » for a test of the local stack, else the test's module."""
    module = nodeid.split("::", 1)[0]
    return "stack" if module in STACK_MODULES else module


def ordered(items: list[pytest.Item]) -> list[pytest.Item]:
    """Slow groups first (in the order of ``SLOW_FIRST``), the others in the order they were
    collected; the route coverage test taken out."""
    rank = {group: n for n, group in enumerate(SLOW_FIRST)}
    kept = [item for item in items if item.nodeid != ROUTE_COVERAGE_TEST]
    return sorted(kept, key=lambda item: rank.get(group_of(item.nodeid), len(rank)))


def is_parallel_main(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("dsession")


class GroupScheduling(LoadScopeScheduling):
    """pytest-xdist's scheduling by scope, the scope being ``group_of`` the test, handed out
    in the order the processes collected them (``ordered``), not by size."""

    def _split_scope(self, nodeid: str) -> str:
        return group_of(nodeid)


class ParallelRun:
    """The plugin: in a process of a parallel run, orders the tests and sends what it
    recorded; in the main process, schedules the groups, gathers what the processes
    recorded and reports the route coverage of the run."""

    def __init__(self) -> None:
        self.requested: set[tuple[str, str]] = set()
        self.full_run: list[bool] = []
        self.reasons: list[str] = []

    def pytest_xdist_make_scheduler(self, config, log):
        if config.getvalue("dist") != "loadscope":
            return None
        config.option.loadscopereorder = False
        return GroupScheduling(config, log)

    def pytest_itemcollected(self, item):
        stack = item.get_closest_marker("stack") is not None
        if stack != (group_of(item.nodeid) == "stack"):
            raise pytest.UsageError(
                f"{item.nodeid}: the stack's tests are the modules of STACK_MODULES "
                "(tests/parallel.py), and they carry the mark « stack »"
            )

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, session, config, items):
        # Before the conftest's, which decides whether the run is whole (it still sees the
        # route test's module).
        if not hasattr(config, "workerinput"):
            return
        left_out = [item for item in items if item.nodeid == ROUTE_COVERAGE_TEST]
        items[:] = ordered(items)
        if left_out:
            config.hook.pytest_deselected(items=left_out)

    def pytest_testnodedown(self, node, error):
        output = getattr(node, "workeroutput", {})
        self.requested.update(tuple(pair) for pair in output.get("alize_requested", ()))
        self.full_run.append(bool(output.get("alize_full_run")))
        self.reasons.append(output.get("alize_partial_reason", ""))
        query_counts.record_measured(output.get("alize_query_counts", {}))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session):
        config = session.config
        if hasattr(config, "workerinput"):
            config.workeroutput["alize_requested"] = sorted(coverage.requested())
            config.workeroutput["alize_full_run"] = getattr(config, "alize_full_run", False)
            config.workeroutput["alize_partial_reason"] = getattr(
                config, "alize_partial_reason", ""
            )
            config.workeroutput["alize_query_counts"] = query_counts.measured()
        elif is_parallel_main(config) and self.full_run:
            self.report_route_coverage(session)

    def report_route_coverage(self, session) -> None:
        """The route meta-test on the requests of every process, reported like a test."""
        from _pytest.reports import TestReport

        from tests.test_routes_meta import unrequested

        path, _, name = ROUTE_COVERAGE_TEST.partition("::")
        location = (path, 0, name)
        longrepr: object = None
        if not all(self.full_run):
            reason = next((reason for reason in self.reasons if reason), "partial run")
            outcome, longrepr = "skipped", (path, 0, f"Skipped: {reason}")
        else:
            missing = unrequested(coverage.routes(), self.requested)
            outcome = "failed" if missing else "passed"
            if missing:
                longrepr = "No test requested these routes and methods: " + ", ".join(missing)
        report = TestReport(ROUTE_COVERAGE_TEST, location, {}, outcome, longrepr, "call")
        session.config.hook.pytest_runtest_logreport(report=report)
        if outcome == "failed":
            session.testsfailed += 1
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
