"""The local stack (`make run`) on real processes: the README's commands and recovery.

The stack runs on its own port with its state in `.local/stack-tests` (``ALIZE_LOCAL_DIR``)
and its own embedded PostgreSQL and Redis, whatever DATABASE_URL / REDIS_URL say, so a
developer's `make run` is never touched.
"""

import json
import os
import re
import signal
import subprocess
import time

import psutil
import pytest

from tests.ops.stack_helpers import (
    LOCAL,
    PYTHON,
    ROOT,
    Stack,
    children,
    get,
    leftovers,
    stack_env,
    stale_state,
    wait_until,
)

pytestmark = [
    pytest.mark.stack,
    pytest.mark.real_clock(reason="the stack's processes run on the real clock"),
]


@pytest.fixture(scope="module")
def stack():
    """A full `make run` (migrations and demo data included), stopped by a group SIGTERM."""
    assert not leftovers(), "a test stack from an earlier run is still running"
    running = Stack()
    try:
        running.wait_for("Alizé is running", timeout=300)
        yield running
    finally:
        running.sigterm_group()
        running.wait_exit()
    assert wait_until(lambda: not leftovers(), 10), leftovers()
    assert stale_state() == {}


def test_readme_commands_reach_the_stack_started_by_make_run(stack):
    env = stack_env(stack.port)  # no DATABASE_URL / REDIS_URL, as in a fresh shell
    result = subprocess.run(
        [PYTHON, "manage.py", "create_api_client", "--region", "Hauts-de-France"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    token = re.search(r"\b[0-9a-f]{40}\b", result.stdout).group(0)

    status, body = get(stack.url("/api/v1/dispositifs/"), {"Authorization": f"Token {token}"})
    assert status == 200
    slugs = [row["slug"] for row in json.loads(body)["results"]]
    assert "valenciennes" in slugs  # a Hauts-de-France dispositif of the demo data
    assert "chambery" not in slugs

    status, _body = get(stack.url("/api/v1/dispositifs/"), {"Authorization": "Token " + "0" * 40})
    assert status == 401


def test_make_run_serves_the_platform_pages_with_debug_off(stack):
    status, page = get(stack.url("/pas-de-page-ici/"))
    assert status == 404
    assert "Page introuvable" in page
    assert '<header class="topbar">' in page
    status, css = get(stack.url("/static/css/alize.css"))
    assert status == 200
    assert ".topbar" in css


def test_killed_worker_is_restarted_and_a_task_queued_afterwards_runs(stack):
    from celery import Celery

    worker = children()["worker"]
    killed_at = time.monotonic()
    os.killpg(worker, signal.SIGKILL)
    new_worker = wait_until(lambda: children()["worker"] != worker and children()["worker"], 15)
    assert new_worker != worker
    assert psutil.pid_exists(new_worker)

    port = json.loads((LOCAL / "stack.json").read_text())["redis"]["port"]
    app = Celery("stack-test", broker=f"redis://127.0.0.1:{port}/0")
    app.conf.result_backend = f"redis://127.0.0.1:{port}/0"
    # The platform's default queue (CELERY_TASK_DEFAULT_QUEUE), which the local worker serves.
    result = app.send_task("celery.accumulate", args=(1, 2, 3), queue="default")
    assert result.get(timeout=30) == [1, 2, 3]
    elapsed = time.monotonic() - killed_at
    print(f"worker killed, restarted and ran a task in {elapsed:.1f} s")
    assert "worker exited" in stack.text()


def test_killed_database_is_restarted_and_the_web_recovers(stack):
    pgdata = LOCAL / "pgdata"
    postmaster = int((pgdata / "postmaster.pid").read_text().split()[0])
    killed_at = time.monotonic()
    os.kill(postmaster, signal.SIGKILL)

    statuses = []

    def login_page_answers():
        status, page = get(stack.url("/connexion/"), timeout=5)
        statuses.append(status)
        if status == 503:
            assert "Service momentanément indisponible" in page
        return status == 200

    # The supervisor notices the dead server and starts it again; the login page may answer
    # meanwhile (it needs no database for an anonymous visitor), so wait for the restart first.
    assert wait_until(lambda: "PostgreSQL: started again" in stack.text(), 30, step=0.2)
    assert "PostgreSQL stopped unexpectedly" in stack.text()
    assert wait_until(login_page_answers, 30, step=0.2), statuses
    print(f"database killed; web answered 200 again after {time.monotonic() - killed_at:.1f} s")
    assert set(statuses) <= {0, 200, 503}, statuses  # never a 500 or a debug page


def test_mail_sent_locally_lands_in_the_stacks_mailbox(stack):
    assert "mail" in children()
    env = stack_env(stack.port)
    result = subprocess.run(
        [PYTHON, "manage.py", "sendtestemail", "someone@example.org"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    mailbox = LOCAL / "mail"
    files = wait_until(
        lambda: [p for p in mailbox.glob("*.eml") if b"someone@example.org" in p.read_bytes()], 10
    )
    assert files, list(mailbox.iterdir())
