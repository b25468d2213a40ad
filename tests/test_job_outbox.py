"""The job outbox (alize.jobs): a job is a row written with the request that asks for it and
sent on commit; the job base claims, heartbeats and settles the row; the sweeper sends again
what a crash left queued or running, and gives up what was lost too often. The sweeper's
rules run on a frozen clock."""

from __future__ import annotations

import datetime as dt
import time
import uuid

import pytest
import time_machine
from celery.exceptions import Ignore
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from alize import jobs
from alize.models import Job, JobFailure, JobStatus
from tests.jobs_tasks import rename_or_fail

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
GRACE = 120  # JOBS_QUEUED_GRACE of the settings


@pytest.fixture
def sent(monkeypatch):
    """The messages handed to Celery: (task name, kwargs, task id), none really sent."""
    calls = []

    def send_task(name, args=None, kwargs=None, **options):
        calls.append((name, kwargs, options["task_id"]))

    monkeypatch.setattr(jobs.celery_app, "send_task", send_task)
    return calls


def a_job(**fields) -> Job:
    values = {
        "task_name": rename_or_fail.name,
        "kwargs": {"failing_slug": "none"},
        "timeout": dt.timedelta(minutes=10),
        "created_at": T0,
        "sent_at": T0,
    }
    return Job.objects.create(**(values | fields))


def running(**fields) -> Job:
    started = {"status": JobStatus.RUNNING, "attempts": 1, "started_at": T0, "heartbeat_at": T0}
    return a_job(**(started | fields))


def fresh(job: Job) -> Job:
    return Job.objects.get(pk=job.pk)


def run_as_worker(task, job: Job, *, redelivered=False):
    """What a worker does with the job's message: call the task under a request naming the
    row's id as task id (not eager)."""
    task.push_request(
        id=str(job.pk), is_eager=False, delivery_info={"redelivered": redelivered}, retries=0
    )
    try:
        return task(**job.kwargs)
    finally:
        task.pop_request()


# The outbox -------------------------------------------------------------------------------
def test_a_committed_request_has_its_row_and_sends_it_on_commit(
    world, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        job = rename_or_fail.enqueue(dispositif_id=world.a.pk, failing_slug="x")
        assert sent == [], "nothing leaves before the commit"
    row = fresh(job)
    assert (row.task_name, row.kwargs, row.dispositif_id) == (
        "tests.jobs_tasks.rename_or_fail",
        {"dispositif_id": world.a.pk, "failing_slug": "x"},
        world.a.pk,
    )
    assert (row.status, row.attempts, row.sends, row.max_attempts) == ("queued", 0, 1, 5)
    assert row.timeout == dt.timedelta(minutes=30)  # CELERY_TASK_TIME_LIMIT
    assert sent == [(row.task_name, row.kwargs, str(row.pk))]


def test_a_rolled_back_request_leaves_no_row_and_queues_nothing(
    world, sent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        rename_or_fail.enqueue(dispositif_id=world.a.pk, failing_slug="x")
        transaction.set_rollback(True)
    assert not Job.objects.exists()
    assert (callbacks, sent) == ([], [])


def test_delay_goes_through_the_outbox_too(world, sent, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        result = rename_or_fail.delay(failing_slug="x")
    row = Job.objects.get()
    assert result.id == str(row.pk)
    assert (row.kwargs, row.dispositif_id) == ({"failing_slug": "x"}, None)
    assert sent == [(row.task_name, {"failing_slug": "x"}, str(row.pk))]


def test_a_broker_away_leaves_the_job_queued_for_the_sweeper(world, monkeypatch):
    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Redis is away")

    monkeypatch.setattr(jobs.celery_app, "send_task", broker_down)
    job = rename_or_fail.enqueue(dispositif_id=world.a.pk, failing_slug="x")
    assert fresh(job).status == JobStatus.QUEUED


def test_a_dedup_key_records_one_job(world, sent, django_capture_on_commit_callbacks):
    options = {"task_name": "t", "kwargs": {}, "timeout": dt.timedelta(seconds=60)}
    with django_capture_on_commit_callbacks(execute=True):
        first, created = jobs.job_record(dedup_key="k", max_attempts=5, **options)
        second, again = jobs.job_record(dedup_key="k", max_attempts=5, **options)
    assert (created, again, first.pk == second.pk) == (True, False, True)
    assert Job.objects.count() == 1 and len(sent) == 1


# The worker's side ------------------------------------------------------------------------
def test_the_worker_marks_the_row_running_then_done(world):
    job = a_job(kwargs={"dispositif_id": world.a.pk, "failing_slug": "none"})
    with time_machine.travel(T0 + dt.timedelta(seconds=5), tick=False):
        assert run_as_worker(rename_or_fail, job) == world.a.slug
    row = fresh(job)
    assert (row.status, row.attempts, row.last_error) == ("done", 1, "")
    assert row.started_at == row.heartbeat_at == row.finished_at == T0 + dt.timedelta(seconds=5)


def test_a_job_that_raises_is_failed_with_its_error(world):
    job = a_job(kwargs={"dispositif_id": world.a.pk, "failing_slug": world.a.slug})
    with pytest.raises(RuntimeError):
        run_as_worker(rename_or_fail, job)
    row = fresh(job)
    assert (row.status, row.attempts) == ("failed", 1)
    assert row.last_error == f"RuntimeError: Données incohérentes dans {world.a.slug}"
    assert JobFailure.objects.get().task_id == str(job.pk)


@pytest.mark.parametrize("status", ["done", "failed"])
def test_a_message_for_a_settled_job_is_ignored(world, status):
    job = a_job(status=status, kwargs={"dispositif_id": world.a.pk, "failing_slug": "none"})
    with pytest.raises(Ignore):
        run_as_worker(rename_or_fail, job, redelivered=True)
    assert (fresh(job).status, fresh(job).attempts) == (status, 0)


def test_claims(world):
    queued = a_job()
    assert jobs.job_claim(str(queued.pk), redelivered=False).job.pk == queued.pk
    assert (fresh(queued).status, fresh(queued).attempts) == ("running", 1)

    # A second message while a worker holds the job: skipped. Redelivered by the broker
    # (its worker was lost): taken over, one more attempt.
    held = running()
    assert jobs.job_claim(str(held.pk), redelivered=False).skip
    assert fresh(held).attempts == 1
    assert not jobs.job_claim(str(held.pk), redelivered=True).skip
    assert fresh(held).attempts == 2

    # Lost once too often: given up instead.
    worn = running(attempts=5, dispositif_id=world.a.pk)
    assert jobs.job_claim(str(worn.pk), redelivered=True).skip
    assert fresh(worn).status == "failed"
    assert JobFailure.objects.get().dispositif_name == world.a.name

    # A message sent around the outbox (no row) just runs.
    untracked = jobs.job_claim(str(uuid.uuid4()), redelivered=False)
    assert (untracked.job, untracked.skip) == (None, False)


def test_a_retry_queues_the_job_again_due_at_its_countdown():
    job = running()
    with time_machine.travel(T0 + dt.timedelta(seconds=30), tick=False):
        jobs.job_retry_later(job, 40)
    row = fresh(job)
    assert (row.status, row.sent_at, row.sends) == ("queued", T0 + dt.timedelta(seconds=70), 2)


def test_progress_is_a_heartbeat():
    job = running()
    with time_machine.travel(T0 + dt.timedelta(minutes=3), tick=False):
        jobs.job_heartbeat()  # outside of a job: nothing
        assert fresh(job).heartbeat_at == T0
        with jobs.job_running(job):
            jobs.job_heartbeat()
    assert fresh(job).heartbeat_at == T0 + dt.timedelta(minutes=3)


@pytest.mark.django_db(transaction=True)
def test_a_running_job_heartbeats_by_itself(settings):
    settings.JOBS_HEARTBEAT_SECONDS = 0.1
    job = running()
    with jobs.job_running(job):
        time.sleep(0.5)
    assert fresh(job).heartbeat_at > T0


# The sweeper ------------------------------------------------------------------------------
@pytest.fixture
def sweep_at(django_capture_on_commit_callbacks):
    """One sweep at T0 + ``seconds``, its sends made (on commit) as in production."""

    def sweep(seconds: float) -> jobs.SweepReport:
        with (
            time_machine.travel(T0 + dt.timedelta(seconds=seconds), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return jobs.sweep()

    return sweep


def test_a_queued_job_is_sent_again_after_the_grace_then_less_and_less_often(sent, sweep_at):
    job = a_job()
    assert sweep_at(GRACE).resent == []
    assert sweep_at(GRACE + 1).resent == [str(job.pk)]
    assert (fresh(job).sends, fresh(job).sent_at) == (2, T0 + dt.timedelta(seconds=GRACE + 1))
    assert [task_id for _name, _kwargs, task_id in sent] == [str(job.pk)]
    # The second re-send waits twice the grace, the third four times.
    assert sweep_at(GRACE + 1 + 2 * GRACE).resent == []
    assert sweep_at(GRACE + 2 + 2 * GRACE).resent == [str(job.pk)]
    assert sweep_at(GRACE + 2 + 2 * GRACE + 3 * GRACE).resent == []
    assert sweep_at(GRACE + 3 + 6 * GRACE).resent == [str(job.pk)]
    assert fresh(job).status == "queued" and fresh(job).attempts == 0


def test_a_running_job_is_left_while_it_heartbeats(sent, sweep_at):
    job = running(heartbeat_at=T0 + dt.timedelta(minutes=15))
    report = sweep_at(24 * 60)  # 24 minutes after its start, 9 after its heartbeat
    assert (report.requeued, report.resent, report.failed, sent) == ([], [], [], [])
    assert fresh(job).status == "running"


def test_a_running_job_without_a_heartbeat_for_its_timeout_is_sent_again(sent, sweep_at):
    job = running()
    assert sweep_at(10 * 60).requeued == []
    assert sweep_at(10 * 60 + 1).requeued == [str(job.pk)]
    row = fresh(job)
    assert (row.status, row.attempts, row.sends) == ("queued", 1, 2)
    assert row.last_error.startswith("Relancée : aucun signe de vie depuis")
    assert sent == [(row.task_name, row.kwargs, str(row.pk))]


def test_a_job_lost_after_its_last_attempt_is_failed_with_the_reason(world, sent, sweep_at):
    received = []

    def receiver(sender, job, reason, **kwargs):
        received.append((sender, job.pk, reason))

    jobs.job_abandoned.connect(receiver)
    try:
        job = running(attempts=5, dispositif_id=world.b.pk)
        assert sweep_at(10 * 60 + 1).failed == [str(job.pk)]
    finally:
        jobs.job_abandoned.disconnect(receiver)
    reason = (
        "Abandonnée après 5 tentatives : le processus qui l'exécutait s'est arrêté sans la "
        "terminer."
    )
    row = fresh(job)
    assert (row.status, row.last_error, row.finished_at) == (
        "failed",
        reason,
        T0 + dt.timedelta(seconds=601),
    )
    failure = JobFailure.objects.get()
    assert (failure.task_id, failure.dispositif_name, failure.error) == (
        str(job.pk),
        world.b.name,
        reason,
    )
    assert received == [("tests.jobs_tasks.rename_or_fail", job.pk, reason)]
    assert sent == []


def test_settled_jobs_are_left_and_old_done_ones_purged(sent, sweep_at):
    done = a_job(status=JobStatus.DONE, finished_at=T0)
    failed = a_job(status=JobStatus.FAILED, finished_at=T0)
    assert sweep_at(29 * 86400).purged == 0
    report = sweep_at(31 * 86400)
    assert (report.purged, report.resent, report.requeued) == (1, [], [])
    assert not Job.objects.filter(pk=done.pk).exists()
    assert fresh(failed).status == "failed"


@override_settings(JOBS_HEARTBEAT_TIMEOUT=20)
def test_the_heartbeat_timeout_setting_shortens_every_jobs(world):
    job = rename_or_fail.enqueue(dispositif_id=world.a.pk, failing_slug="x")
    assert job.timeout == dt.timedelta(seconds=20)


def test_the_sweep_command_reports_what_it_did(sent, capsys):
    a_job(sent_at=T0 - dt.timedelta(hours=1))
    with time_machine.travel(T0, tick=False):
        call_command("sweep_jobs")
    assert "resent (never started): 1" in capsys.readouterr().out
