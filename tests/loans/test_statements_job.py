"""Recording a statement's high-confidence lines in the background (docs/architecture.md
§7.3): asking starts one outbox job per run, asking again while it is queued or running
starts nothing new; the run records each line in a transaction of its own with its
progress (n of N) on the statement; a run stopped by a crash keeps what it recorded and the
next run records the rest once; the page shows the progress in a live region and the API
answers 202 with the statement's URL. The ledger balances after every step."""

from __future__ import annotations

import time

import pytest
from django.urls import reverse

from alize.errors import ApplicationError
from alize.jobs import job_abandoned
from alize.models import Job
from loans import services, statement_runner
from loans.models import BankStatement, BankStatementLine, ConfirmStatus, LineState, Repayment
from loans.tasks import confirm_statement_lines
from tests.celery_worker import WORKER_TIMEOUT, real_worker
from tests.conftest import api_client_for
from tests.loans.builders import setup_scope
from tests.loans.statements_builders import ledger_balances
from tests.loans.test_statements import advances, fund, import_file, the_fixture  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def statement(fund, advances, world):  # noqa: F811
    return import_file(fund, the_fixture(advances), world.animateur_a)


def ask(statement, user):
    with setup_scope():
        return statement_runner.statement_confirm_high_request(statement=statement, by=user)


def run(statement, user):
    """What the worker does with the job (the task's body, run here and now)."""
    kwargs = {"statement_id": statement.pk, "dispositif_id": statement.dispositif_id}
    return confirm_statement_lines.apply(kwargs={**kwargs, "user_id": user.pk}).get()


def reloaded(statement):
    with setup_scope():
        return BankStatement.objects.get(pk=statement.pk)


def high_lines(statement):
    with setup_scope():
        return list(
            BankStatementLine.objects.filter(statement=statement, confidence="high").order_by(
                "position"
            )
        )


def test_asking_twice_while_it_runs_starts_one_run(statement, world):
    asked, started = ask(statement, world.animateur_a)
    assert started and asked.confirm_status == ConfirmStatus.QUEUED
    assert asked.confirm_total == len(high_lines(statement)) == 2 and asked.confirm_done == 0
    again, started_again = ask(statement, world.animateur_a)
    assert not started_again and again.confirm_run == asked.confirm_run == 1
    jobs = Job.objects.filter(task_name=confirm_statement_lines.name)
    assert jobs.count() == 1
    assert jobs.get().dedup_key == f"loans.statement_confirm:{statement.pk}:1"
    assert jobs.get().queue == "default"


def test_the_run_records_every_high_line_once_with_its_progress(statement, world):
    ask(statement, world.animateur_a)
    assert run(statement, world.animateur_a) == 2
    done = reloaded(statement)
    assert (done.confirm_status, done.confirm_done, done.confirm_total) == ("done", 2, 2)
    assert {line.state for line in high_lines(statement)} == {LineState.RECORDED}
    with setup_scope():
        assert Repayment.objects.filter(idempotency_key__startswith="bank:").count() == 2
    # Run again (the broker redelivers it): nothing more is recorded.
    assert run(statement, world.animateur_a) == 2
    with setup_scope():
        assert Repayment.objects.filter(idempotency_key__startswith="bank:").count() == 2
    with pytest.raises(ApplicationError) as refused:
        ask(statement, world.animateur_a)
    assert refused.value.code == "nothing_to_confirm"
    assert ledger_balances()


def test_a_crash_midway_loses_nothing_and_the_next_run_records_the_rest(
    statement, world, monkeypatch
):
    real = services.statements.statement_line_confirm
    calls = []

    def crashing(*, line, by, advance=None):
        calls.append(line.pk)
        if len(calls) == 2:
            raise RuntimeError("worker lost")
        return real(line=line, by=by, advance=advance)

    monkeypatch.setattr(services.statements, "statement_line_confirm", crashing)
    ask(statement, world.animateur_a)
    with pytest.raises(RuntimeError):
        run(statement, world.animateur_a)
    failed = reloaded(statement)
    assert failed.confirm_status == ConfirmStatus.FAILED and failed.confirm_error
    assert [line.state for line in high_lines(statement)] == [
        LineState.RECORDED,
        LineState.SUGGESTED,
    ]
    assert ledger_balances()

    monkeypatch.setattr(services.statements, "statement_line_confirm", real)
    second, started = ask(statement, world.animateur_a)
    assert started and second.confirm_run == 2 and second.confirm_total == 1
    run(statement, world.animateur_a)
    assert reloaded(statement).confirm_status == ConfirmStatus.DONE
    assert {line.state for line in high_lines(statement)} == {LineState.RECORDED}
    with setup_scope():
        assert Repayment.objects.filter(idempotency_key__startswith="bank:").count() == 2
    assert ledger_balances()


def test_a_run_given_up_by_the_sweeper_says_so(statement, world):
    ask(statement, world.animateur_a)
    job = Job.objects.get(task_name=confirm_statement_lines.name)
    job_abandoned.send(sender=confirm_statement_lines.name, job=job, reason="Abandonnée")
    given_up = reloaded(statement)
    assert given_up.confirm_status == ConfirmStatus.FAILED
    assert given_up.confirm_error == "Abandonnée"


def test_the_page_shows_the_progress_in_a_live_region(statement, world, client):
    client.force_login(world.animateur_a)
    url = reverse("loans:statement-confirm-high", args=[statement.pk])
    answer = client.post(url)
    assert answer.status_code == 302 and answer["Location"].endswith("#enregistrement")
    assert client.post(url).status_code == 302
    assert Job.objects.filter(task_name=confirm_statement_lines.name).count() == 1
    page = client.get(reverse("loans:statement-detail", args=[statement.pk])).content.decode()
    assert 'role="status"' in page and 'aria-live="polite"' in page
    assert "0 ligne(s) traitée(s) sur 2" in page and 'hx-trigger="every 2s"' in page
    assert 'data-form="confirm-high"' not in page  # no second button while it runs
    run(statement, world.animateur_a)
    page = client.get(reverse("loans:statement-detail", args=[statement.pk])).content.decode()
    assert "2 ligne(s) traitée(s) sur 2" in page and "hx-trigger" not in page


def test_the_api_answers_202_with_the_statement_to_follow(statement, world):
    api = api_client_for(world.animateur_a)
    url = reverse("api:bank-statement-confirm-high", args=[statement.pk])
    first = api.post(url)
    assert first.status_code == 202
    assert first["Location"].endswith(reverse("api:bank-statement-detail", args=[statement.pk]))
    assert first.json()["confirm_status"] == "queued" and first.json()["confirm_total"] == 2
    second = api.post(url)
    assert second.status_code == 202 and second.json()["confirm_run"] == 1
    run(statement, world.animateur_a)
    followed = api.get(first["Location"]).json()
    assert (followed["confirm_status"], followed["confirm_done"]) == ("done", 2)
    assert api.post(url).status_code == 400


@pytest.mark.celery
def test_a_real_worker_records_the_lines(fund, advances, world, transactional_db, tmp_path):  # noqa: F811
    statement = import_file(fund, the_fixture(advances), world.animateur_a)
    with real_worker(tmp_path / "worker.log"):
        ask(statement, world.animateur_a)
        deadline = time.monotonic() + WORKER_TIMEOUT
        while reloaded(statement).confirm_live and time.monotonic() < deadline:
            time.sleep(0.2)
    done = reloaded(statement)
    assert done.confirm_status == ConfirmStatus.DONE, (tmp_path / "worker.log").read_text()
    assert (done.confirm_done, done.confirm_total) == (2, 2)
    assert Job.objects.get(task_name=confirm_statement_lines.name).status == "done"
    assert {line.state for line in high_lines(statement)} == {LineState.RECORDED}
    assert ledger_balances()
