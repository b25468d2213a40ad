"""The job base (alize.tasks.ScopedTask): ids in, queued after commit, scope re-entered, a
national job fanned out per dispositif, and a failure in one dispositif recorded without
stopping the others. Synchronously, then on a real Celery worker."""

import json
import time
import uuid

import pytest
import redis
from celery.result import AsyncResult
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from alize.models import JobFailure
from alize.tenancy import ScopeError
from dispositifs.models import Dispositif
from tests.celery_worker import WORKER_TIMEOUT, real_worker
from tests.factories import DispositifFactory
from tests.jobs_tasks import note_run, rename_or_fail


def names() -> dict[str, str]:
    return dict(Dispositif.unscoped_objects.values_list("slug", "name"))


@pytest.fixture
def third(world):
    """A third dispositif, created after A and B (fan-out order is by id)."""
    return DispositifFactory(name="Alizé Alès test", slug="ales-test", region="76")


# Synchronously ---------------------------------------------------------------------------
def test_job_loads_its_dispositif_and_user_inside_the_dispositif_scope(world):
    key = f"alize-tests-{uuid.uuid4().hex}"
    note = note_run.apply(
        kwargs={
            "dispositif_id": world.b.pk,
            "user_id": world.animateur_b.pk,
            "key": key,
            "redis_url": settings.REDIS_URL,
            "label": "direct",
        }
    ).get()
    redis.Redis.from_url(settings.REDIS_URL).delete(key)
    assert note == {
        "label": "direct",
        "dispositif": world.b.slug,
        "user": world.animateur_b.email,
        "scope": [world.b.pk],
        "everything": False,
    }


def test_jobs_take_ids_and_a_dispositif(world):
    with pytest.raises(TypeError, match="dispositif_id as an id"):
        note_run.enqueue(dispositif_id=world.a, key="k", redis_url="", label="")
    with pytest.raises(ScopeError):
        note_run.enqueue(key="k", redis_url="", label="")
    result = note_run.apply(kwargs={"key": "k", "redis_url": "", "label": ""})
    assert isinstance(result.result, ScopeError)


def test_enqueue_waits_for_the_commit(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        note_run.enqueue(dispositif_id=world.a.pk, key="k", redis_url="", label="")
    assert len(callbacks) == 1


def test_national_job_goes_on_after_a_failing_dispositif_and_records_it(world, third):
    before = names()
    fanned_out = rename_or_fail.apply(kwargs={"failing_slug": world.b.slug}).get()
    assert [pk for pk, _task in fanned_out] == sorted([world.a.pk, world.b.pk, third.pk])
    after = names()
    assert after[world.a.slug] == before[world.a.slug] + " (vu)"
    assert after[third.slug] == before[third.slug] + " (vu)"
    assert after[world.b.slug] == before[world.b.slug], "the failing job's writes roll back"
    failure = JobFailure.objects.get()
    assert failure.task_name == "tests.jobs_tasks.rename_or_fail"
    assert failure.dispositif_id == world.b.pk
    assert failure.dispositif_name == before[world.b.slug]
    assert failure.error == f"RuntimeError: Données incohérentes dans {world.b.slug}"
    assert "Traceback" in failure.details


def test_coordination_reads_job_failures_in_the_admin(world, client):
    rename_or_fail.apply(kwargs={"failing_slug": world.a.slug})
    world.coordinator.is_staff = world.coordinator.is_superuser = True
    world.coordinator.save()
    client.force_login(world.coordinator)
    page = client.get(reverse("admin:alize_jobfailure_changelist")).content.decode()
    assert f"Données incohérentes dans {world.a.slug}" in page
    client.force_login(world.animateur_a)
    assert client.get(reverse("admin:alize_jobfailure_changelist")).status_code == 302


# On a real worker ------------------------------------------------------------------------
def wait_for_notes(client, key, count, timeout=WORKER_TIMEOUT) -> list[dict]:
    deadline = time.monotonic() + timeout
    while client.llen(key) < count and time.monotonic() < deadline:
        time.sleep(0.1)
    return [json.loads(note) for note in client.lrange(key, 0, -1)]


@pytest.mark.celery
def test_real_worker_runs_a_job_after_commit_and_never_one_rolled_back(
    world, transactional_db, tmp_path
):
    key = f"alize-tests-{uuid.uuid4().hex}"
    log = tmp_path / "worker.log"
    with real_worker(log, include=("tests.jobs_tasks",)) as broker:
        notes = redis.Redis.from_url(broker)
        common = {"key": key, "redis_url": broker}
        with transaction.atomic():
            note_run.enqueue(dispositif_id=world.a.pk, label="rolled back", **common)
            transaction.set_rollback(True)
        with transaction.atomic():
            note_run.enqueue(
                dispositif_id=world.b.pk, user_id=world.animateur_b.pk, label="committed", **common
            )
            time.sleep(1)
            assert notes.llen(key) == 0, "queued before the commit"
        wait_for_notes(notes, key, 1)
        time.sleep(0.5)  # a stray job would have run by now: the worker takes them in order
        seen = wait_for_notes(notes, key, 1)
        notes.delete(key)
    assert seen == [
        {
            "label": "committed",
            "dispositif": world.b.slug,
            "user": world.animateur_b.email,
            "scope": [world.b.pk],
            "everything": False,
        }
    ], log.read_text()


@pytest.mark.celery
def test_real_worker_fans_a_national_job_out_and_survives_one_failure(
    world, third, transactional_db, tmp_path
):
    before = names()
    log = tmp_path / "worker.log"
    with real_worker(log, include=("tests.jobs_tasks",)):
        fanned_out = rename_or_fail.delay(failing_slug=world.b.slug).get(timeout=WORKER_TIMEOUT)
        results = {}
        for dispositif_id, task_id in fanned_out:
            child = AsyncResult(task_id)
            child.get(timeout=WORKER_TIMEOUT, propagate=False)
            results[dispositif_id] = (child.state, child.result)
            child.forget()
    assert results == {
        world.a.pk: ("SUCCESS", world.a.slug),
        world.b.pk: ("FAILURE", results[world.b.pk][1]),
        third.pk: ("SUCCESS", third.slug),
    }, log.read_text()
    assert isinstance(results[world.b.pk][1], RuntimeError)
    after = names()
    assert after[world.a.slug] == before[world.a.slug] + " (vu)"
    assert after[world.b.slug] == before[world.b.slug]
    failure = JobFailure.objects.get()
    assert (failure.task_name, failure.dispositif_id) == (rename_or_fail.name, world.b.pk)
    assert failure.task_id == fanned_out[1][1]


def test_failures_show_on_the_coordination_home_only(world, client):
    from django.urls import reverse

    from alize.models import JobFailure

    JobFailure.objects.create(
        task_name="pme.tasks.refresh_due_follow_ups",
        dispositif_id=world.a.pk,
        dispositif_name=world.a.name,
        error="ValueError: year 10000 is out of range",
    )
    client.force_login(world.coordinator)
    page = client.get(reverse("home")).content.decode()
    assert 'id="panel-job-failures"' in page and "year 10000 is out of range" in page
    for role in ("animateur", "member", "correspondent", "no_role"):
        client.force_login(world.user(role))
        assert 'id="panel-job-failures"' not in client.get(reverse("home")).content.decode()
