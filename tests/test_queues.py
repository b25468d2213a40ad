"""Queues by kind of work (alize/settings/base.py, docs/architecture.md §6): each task lands
on its queue, the job outbox sends each job to it (checked on the real Redis), only
idempotent tasks are acknowledged late, and the broker waits longer than the longest job
before it gives a message to another worker."""

from __future__ import annotations

import importlib
import importlib.util

import pytest
import redis
from django.apps import apps
from django.conf import settings

from alize import jobs
from alize.celery import app
from alize.models import Job
from alize.settings import base
from alize.tasks import JobTask
from tests.celery_worker import fresh_queue

QUEUE_OF = {
    "alize.accounts.tasks.send_password_reset": "mail",
    "missions.tasks.send_mission_proposal": "mail",
    "missions.tasks.send_mission_declined": "mail",
    "reporting.runner.build_document": "documents",
    "reporting.tasks.build_annual_reports": "fanout",
    "reporting.tasks.build_dispositif_annual_report": "fanout",
    "reporting.tasks.send_due_agendas": "fanout",
    "reporting.tasks.send_cancellations": "mail",
    "pme.tasks.refresh_due_follow_ups": "fanout",
    "pme.tasks.purge_self_referrals": "fanout",
    "pme.tasks.send_self_referral_confirmation": "mail",
    "pme.tasks.send_self_referral_received": "mail",
    "pme.tasks.send_follow_up_requests": "fanout",
    "missions.tasks.send_monthly_reminders": "fanout",
    "loans.tasks.refresh_arrears": "fanout",
    "loans.tasks.confirm_statement_lines": "default",
    "alize.tasks.apply_retention": "fanout",
    "alize.tasks.apply_retention_in_dispositif": "fanout",
    "alize.tasks.sweep_jobs": "default",
    "alize.tasks.refresh_indicators": "default",
    "alize.tasks.sweep_indicators": "default",
    "alize.accounts.tasks.purge_login_failures": "default",
}


def project_tasks() -> dict:
    """Every task the platform's apps declare (their ``tasks`` modules, as a worker finds)."""
    for config in apps.get_app_configs():
        if importlib.util.find_spec(f"{config.name}.tasks") is not None:
            importlib.import_module(f"{config.name}.tasks")
    return {
        name: task for name, task in app.tasks.items() if not name.startswith(("celery.", "tests."))
    }


@pytest.fixture(autouse=True)
def _every_task_registered():
    """Import the apps' tasks first: the test worker helpers close the Celery app, after
    which a module imported registers its tasks with no app."""
    project_tasks()


def test_each_task_of_the_platform_lands_on_its_queue():
    assert set(project_tasks()) == set(QUEUE_OF), "a new task needs its queue in this table"
    for name, queue in QUEUE_OF.items():
        assert jobs.queue_for(name) == queue, name
    assert set(QUEUE_OF.values()) == set(settings.ALIZE_QUEUES)
    assert settings.CELERY_TASK_DEFAULT_QUEUE == "default"


def test_make_run_keeps_one_worker_on_every_queue():
    from devstack import stack

    assert set(stack.WORKER_QUEUES) == set(settings.ALIZE_QUEUES)


def test_the_outbox_sends_each_job_to_its_queue(db, django_capture_on_commit_callbacks):
    from alize.accounts.tasks import send_password_reset
    from loans.tasks import refresh_arrears
    from reporting.tasks import build_annual_reports

    with fresh_queue(routed=True) as (broker, prefix):
        with django_capture_on_commit_callbacks(execute=True):
            mail = send_password_reset.enqueue(user_id=1, key="queues-test")
            fanout = refresh_arrears.enqueue()
            national = build_annual_reports.enqueue(year=2025)
        assert (mail.queue, fanout.queue, national.queue) == (
            f"{prefix}-mail",
            f"{prefix}-fanout",
            f"{prefix}-fanout",
        )
        assert Job.objects.get(pk=mail.pk).queue == f"{prefix}-mail"
        queued = redis.Redis.from_url(broker)
        assert queued.llen(f"{prefix}-mail") == 1
        assert queued.llen(f"{prefix}-fanout") == 2
        assert queued.llen(f"{prefix}-documents") == 0


def test_only_idempotent_tasks_are_acknowledged_late():
    assert base.CELERY_TASK_ACKS_LATE is False
    idempotent = {"alize.accounts.tasks.purge_login_failures"}  # deletes what is old, again
    for name, task in project_tasks().items():
        expected = isinstance(task, JobTask) or name in idempotent
        assert task.acks_late is expected, name
    assert project_tasks()["alize.tasks.sweep_jobs"].acks_late is False


def test_the_broker_waits_longer_than_the_longest_job():
    longest = max(
        task.time_limit or base.CELERY_TASK_TIME_LIMIT for task in project_tasks().values()
    )
    assert base.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] > longest
    build = project_tasks()["reporting.runner.build_document"]
    assert build.time_limit < base.CELERY_TASK_TIME_LIMIT  # documents: limits of their own
