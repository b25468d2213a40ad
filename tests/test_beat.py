"""Periodic jobs in the database: the declared schedules become rows, edits made in the
admin survive later syncs (and beat's start), and the admin opens them."""

import os
from types import SimpleNamespace

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from alize.beat import Scheduler, sync_schedules
from alize.celery import app

pytestmark = pytest.mark.django_db


def test_sync_creates_every_declared_schedule_once(capsys):
    call_command("sync_schedules")
    assert "Created:" in capsys.readouterr().out
    rows = {task.name: task for task in PeriodicTask.objects.filter(crontab__isnull=False)}
    assert set(settings.CELERY_BEAT_SCHEDULE) <= set(rows)
    purge = rows["accounts-purge-login-failures"]
    assert purge.task == "alize.accounts.tasks.purge_login_failures"
    assert (purge.crontab.hour, purge.crontab.minute) == ("3", "30")
    assert purge.enabled

    call_command("sync_schedules")
    assert "already has its schedule" in capsys.readouterr().out
    assert PeriodicTask.objects.filter(name__in=settings.CELERY_BEAT_SCHEDULE).count() == len(
        settings.CELERY_BEAT_SCHEDULE
    )


def test_an_admin_edit_survives_a_second_sync_and_beat_starting(client, world):
    sync_schedules()
    coordinator = world.coordinator
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    client.force_login(coordinator)
    task = PeriodicTask.objects.get(name="pme-due-follow-ups")
    change = reverse("admin:django_celery_beat_periodictask_change", args=[task.pk])
    assert client.get(change).status_code == 200
    assert (
        client.get(reverse("admin:django_celery_beat_periodictask_changelist")).status_code == 200
    )

    task.enabled = False
    task.crontab.hour = "7"
    task.crontab.save()
    task.save()

    assert sync_schedules() == []
    # What beat does when it starts (its own connection handling left out).
    starting = SimpleNamespace(app=app, schedule={}, install_default_entries=lambda data: None)
    Scheduler.setup_schedule(starting)
    task.refresh_from_db()
    assert not task.enabled and task.crontab.hour == "7"


def test_a_new_declaration_is_added_beside_existing_rows():
    sync_schedules()
    declared = {
        **settings.CELERY_BEAT_SCHEDULE,
        "tests-new-declaration": {
            "task": "alize.accounts.tasks.purge_login_failures",
            "schedule": crontab(hour=5, minute=15),
        },
    }
    assert sync_schedules(declared) == ["tests-new-declaration"]
    assert PeriodicTask.objects.get(name="tests-new-declaration").crontab.minute == "15"


@pytest.mark.celery
def test_beat_touches_its_heartbeat_file_as_it_ticks(transactional_db, tmp_path):
    """A real ``celery beat`` process: its health check (docker-compose.yml) reads the age
    of this file."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    from tests.celery_worker import database_url_for_test_database

    heartbeat = tmp_path / "beat.heartbeat"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alize.settings.test",
        "DATABASE_URL": database_url_for_test_database(),
        "ALIZE_BEAT_HEARTBEAT_FILE": str(heartbeat),
    }
    celery = Path(sys.executable).parent / "celery"
    command = [str(celery), "-A", "alize", "beat", "--scheduler", "alize.beat:Scheduler"]
    command += ["--schedule", str(tmp_path / "beat-schedule"), "--loglevel", "INFO"]
    with (tmp_path / "beat.log").open("w") as log:
        beat = subprocess.Popen(command, cwd=settings.BASE_DIR, env=env, stdout=log, stderr=log)
        try:
            deadline = time.monotonic() + 60
            while not heartbeat.exists() and time.monotonic() < deadline:
                assert beat.poll() is None, (tmp_path / "beat.log").read_text()
                time.sleep(0.2)
            assert heartbeat.exists(), (tmp_path / "beat.log").read_text()
            first = heartbeat.stat().st_mtime
            deadline = time.monotonic() + 30
            while heartbeat.stat().st_mtime == first and time.monotonic() < deadline:
                time.sleep(0.2)
            assert heartbeat.stat().st_mtime > first  # touched again at a later tick
        finally:
            beat.terminate()
            beat.wait(timeout=15)
