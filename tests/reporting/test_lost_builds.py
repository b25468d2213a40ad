"""Document builds in the job outbox: a build whose worker died (its job running without a
heartbeat) or whose message Redis lost is sent again when someone asks for the document
again (or regenerates it) and by the sweeper; a build lost too often leaves the document
« failed » with the reason, and asking again then makes a new version. On a frozen clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from alize import jobs
from alize.models import Job, JobFailure, JobStatus
from alize.tenancy import scope
from reporting import services
from reporting.models import Document, DocumentKind, DocumentStatus
from reporting.runner import build_document, build_key

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
BUILD_TIMEOUT = dt.timedelta(minutes=11)  # the build's time limit


@pytest.fixture
def sent(monkeypatch):
    """Task ids handed to Celery (none really sent)."""
    ids = []
    monkeypatch.setattr(
        jobs.celery_app, "send_task", lambda name, **options: ids.append(options["task_id"])
    )
    return ids


@pytest.fixture
def at(django_capture_on_commit_callbacks):
    """Run ``action`` at T0 + ``seconds``, with what it queues on commit sent."""

    def run(seconds: float, action):
        with (
            time_machine.travel(T0 + dt.timedelta(seconds=seconds), tick=False),
            django_capture_on_commit_callbacks(execute=True),
        ):
            return action()

    return run


def ask(world, *, regenerate=False) -> Document:
    with scope([world.a]):
        return services.document_request(
            kind=DocumentKind.ANNUAL_REPORT,
            dispositif=world.a,
            year=2025,
            by=None,
            regenerate=regenerate,
        )


def killed_mid_build(document: Document) -> Job:
    """What a worker SIGKILLed at 60 % leaves: the document and its job running, the job's
    last heartbeat at T0 + 10 s."""
    Document.objects.filter(pk=document.pk).update(
        status=DocumentStatus.RUNNING, progress=60, attempts=1
    )
    beat = T0 + dt.timedelta(seconds=10)
    Job.objects.filter(dedup_key=build_key(document.pk)).update(
        status=JobStatus.RUNNING, attempts=1, started_at=T0, heartbeat_at=beat
    )
    return Job.objects.get(dedup_key=build_key(document.pk))


def test_the_build_is_recorded_with_the_request(world, sent, at):
    document = at(0, lambda: ask(world))
    job = Job.objects.get()
    assert (job.task_name, job.kwargs, job.dispositif_id, job.dedup_key) == (
        build_document.name,
        {"document_id": document.pk},
        world.a.pk,
        build_key(document.pk),
    )
    assert (job.status, job.timeout) == (JobStatus.QUEUED, BUILD_TIMEOUT)
    assert sent == [str(job.pk)]


@pytest.mark.parametrize("regenerate", [False, True])
def test_asking_again_while_the_build_is_alive_sends_nothing(world, sent, at, regenerate):
    document = at(0, lambda: ask(world))
    killed_mid_build(document)
    again = at(10 + BUILD_TIMEOUT.total_seconds(), lambda: ask(world, regenerate=regenerate))
    assert again.pk == document.pk
    assert len(sent) == 1 and Job.objects.get().status == JobStatus.RUNNING


@pytest.mark.parametrize("regenerate", [False, True])
def test_asking_again_for_a_build_lost_with_its_worker_sends_it_again(world, sent, at, regenerate):
    document = at(0, lambda: ask(world))
    job = killed_mid_build(document)
    again = at(11 + BUILD_TIMEOUT.total_seconds(), lambda: ask(world, regenerate=regenerate))
    assert again.pk == document.pk, "the same document, built at last"
    job.refresh_from_db()
    assert (job.status, job.sends, job.attempts) == (JobStatus.QUEUED, 2, 1)
    assert sent == [str(job.pk), str(job.pk)]
    assert Document.objects.count() == 1


def test_asking_again_for_a_build_that_redis_lost_sends_it_again(world, sent, at):
    document = at(0, lambda: ask(world))
    assert at(120, lambda: ask(world)).pk == document.pk
    assert len(sent) == 1, "still within the grace"
    at(121, lambda: ask(world))
    assert len(sent) == 2 and Job.objects.get().sends == 2


def test_a_document_asked_before_the_outbox_gets_its_build_recorded(world, sent, at):
    document = at(0, lambda: ask(world))
    Job.objects.all().delete()
    Document.objects.filter(pk=document.pk).update(status=DocumentStatus.RUNNING, progress=60)
    at(60, lambda: ask(world))
    assert Job.objects.get().dedup_key == build_key(document.pk)
    assert len(sent) == 2


def test_the_sweeper_sends_a_lost_build_again(world, sent, at):
    document = at(0, lambda: ask(world))
    job = killed_mid_build(document)
    report = at(11 + BUILD_TIMEOUT.total_seconds(), jobs.sweep)
    assert report.requeued == [str(job.pk)]
    assert sent == [str(job.pk), str(job.pk)]


def test_a_build_lost_too_often_leaves_the_document_failed_with_the_reason(world, sent, at):
    document = at(0, lambda: ask(world))
    job = killed_mid_build(document)
    Job.objects.filter(pk=job.pk).update(attempts=5)
    report = at(11 + BUILD_TIMEOUT.total_seconds(), jobs.sweep)
    assert report.failed == [str(job.pk)]
    reason = (
        "Abandonnée après 5 tentatives : le processus qui l'exécutait s'est arrêté sans la "
        "terminer."
    )
    failed = Document.objects.get(pk=document.pk)
    assert (failed.status, failed.error, bool(failed.file)) == (
        DocumentStatus.FAILED,
        reason,
        False,
    )
    assert JobFailure.objects.get().dispositif_name == world.a.name
    # Asking again now makes a new version, with a build of its own.
    fresh = at(700, lambda: ask(world))
    assert (fresh.version, fresh.status) == (2, DocumentStatus.QUEUED)
    assert Job.objects.get(dedup_key=build_key(fresh.pk)).status == JobStatus.QUEUED
