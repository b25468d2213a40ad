"""The suite in several processes (tests/parallel.py, alize/settings/test.py): whole modules
per process, the stack's tests together, slow groups first, each process on its own Redis
databases and documents folder, and the route coverage checked on every process's requests."""

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from tests import parallel
from tests.conftest import TESTS_DIR
from tests.test_routes_meta import is_exempt


def test_a_group_is_a_module_or_the_stack():
    assert parallel.group_of("tests/loans/test_kept_figures.py::test_a") == (
        "tests/loans/test_kept_figures.py"
    )
    assert parallel.group_of("tests/test_api_fuzz.py::Class::test_b[x-y]") == (
        "tests/test_api_fuzz.py"
    )
    for module in parallel.STACK_MODULES:
        assert parallel.group_of(f"{module}::test_c") == "stack"


def test_the_stack_modules_are_those_marked_stack():
    marked = {
        str(path.relative_to(TESTS_DIR.parent))
        for path in (TESTS_DIR / "ops").glob("test_*.py")
        if "pytest.mark.stack" in path.read_text()
    }
    assert marked == parallel.STACK_MODULES


def test_the_scheduler_keeps_a_group_on_one_process():
    split = parallel.GroupScheduling._split_scope
    ids = [
        "tests/ops/test_stack.py::test_a",
        "tests/ops/test_stack_jobs.py::test_b",
        "tests/test_demo.py::test_c",
        "tests/test_demo.py::test_d[1]",
    ]
    assert [split(None, nodeid) for nodeid in ids] == [
        "stack",
        "stack",
        "tests/test_demo.py",
        "tests/test_demo.py",
    ]


def test_slow_groups_come_first_and_the_route_coverage_test_is_left_to_the_main_process():
    items = [
        SimpleNamespace(nodeid=nodeid)
        for nodeid in (
            "tests/browser/test_abandon_flow.py::test_a",
            "tests/test_routes_meta.py::test_exemptions_name_real_routes",
            parallel.ROUTE_COVERAGE_TEST,
            "tests/test_demo.py::test_b",
            "tests/ops/test_stack_shutdown.py::test_c",
            "tests/test_demo.py::test_d",
        )
    ]
    assert [item.nodeid for item in parallel.ordered(items)] == [
        "tests/ops/test_stack_shutdown.py::test_c",
        "tests/test_demo.py::test_b",
        "tests/test_demo.py::test_d",
        "tests/browser/test_abandon_flow.py::test_a",
        "tests/test_routes_meta.py::test_exemptions_name_real_routes",
    ]


class Hooks:
    def __init__(self):
        self.reports = []

    def pytest_runtest_logreport(self, report):
        self.reports.append(report)


def finished_run(outputs):
    """The main process's plugin after processes sent ``outputs``, and a session to report to."""
    plugin = parallel.ParallelRun()
    for output in outputs:
        plugin.pytest_testnodedown(SimpleNamespace(workeroutput=output), None)
    hooks = Hooks()
    session = SimpleNamespace(
        config=SimpleNamespace(hook=hooks), testsfailed=0, exitstatus=pytest.ExitCode.OK
    )
    plugin.report_route_coverage(session)
    (report,) = hooks.reports
    return report, session


def test_the_main_process_checks_the_routes_every_process_requested():
    from tests.coverage import routes

    served = sorted((name, method) for name, methods in routes().items() for method in methods)
    half = len(served) // 2
    first = {"alize_requested": served[:half], "alize_full_run": True}
    second = {"alize_requested": served[half:], "alize_full_run": True}
    report, session = finished_run([first, second])
    assert (report.nodeid, report.outcome) == (parallel.ROUTE_COVERAGE_TEST, "passed")
    assert session.exitstatus == pytest.ExitCode.OK

    # One process's requests alone leave routes unrequested: the run fails, naming them.
    report, session = finished_run([first, {"alize_requested": [], "alize_full_run": True}])
    assert report.outcome == "failed"
    (name, method) = next((name, method) for name, method in served[half:] if not is_exempt(name))
    assert f"{name} {method.upper()}" in str(report.longrepr)
    assert (session.testsfailed, session.exitstatus) == (1, pytest.ExitCode.TESTS_FAILED)

    # A partial run reports skipped, with the reason a process gave.
    partial = {"alize_full_run": False, "alize_partial_reason": "partial run (3 modules)"}
    report, session = finished_run([first, partial])
    assert report.outcome == "skipped"
    assert "partial run (3 modules)" in str(report.longrepr)
    assert session.exitstatus == pytest.ExitCode.OK


def settings_seen(environment) -> dict:
    """REDIS_URL, the Celery workers' Redis database and the documents folder that the test
    settings give a process started with ``environment``."""
    code = (
        "import json, django\n"
        "from django.conf import settings\n"
        "django.setup()\n"
        "print(json.dumps([settings.REDIS_URL, settings.CELERY_BROKER_URL,"
        " settings.TEST_CELERY_REDIS_DB, str(settings.STORAGES['documents']['OPTIONS']"
        ".get('location', ''))]))\n"
    )
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "ALIZE_TEST"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            **keep,
            "DJANGO_SETTINGS_MODULE": "alize.settings.test",
            "REDIS_URL": "redis://127.0.0.1:6390/1",
            **environment,
        },
        capture_output=True,
        text=True,
        check=True,
        cwd=TESTS_DIR.parent,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_each_process_has_its_redis_databases_and_documents_folder():
    first = settings_seen({"PYTEST_XDIST_WORKER": "gw0"})
    assert first[:3] == ["redis://127.0.0.1:6390/1", "redis://127.0.0.1:6390/1", 9]
    assert first[3].endswith(".local/test-documents")
    second = settings_seen({"PYTEST_XDIST_WORKER": "gw1"})
    assert second[:3] == ["redis://127.0.0.1:6390/11", "redis://127.0.0.1:6390/11", 14]
    assert second[3].endswith(".local/test-documents-1")
    # What the second process starts (a Celery worker on its database) keeps the URL given.
    started = settings_seen(
        {
            "PYTEST_XDIST_WORKER": "gw1",
            "ALIZE_TEST_WORKER": "1",
            "REDIS_URL": "redis://127.0.0.1:6390/14",
        }
    )
    assert started[:3] == ["redis://127.0.0.1:6390/14", "redis://127.0.0.1:6390/14", 14]
    assert started[3].endswith(".local/test-documents-1")
