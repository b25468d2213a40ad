"""Periodic jobs: declared in ``settings.CELERY_BEAT_SCHEDULE``, run from the database.

Celery beat runs with ``alize.beat.Scheduler`` (django-celery-beat's database scheduler),
so the schedules are rows (``PeriodicTask``) that the coordination edits in the admin
("Periodic tasks"): change the time, disable a job, run it on other days. The settings stay
the declaration of which jobs exist: ``sync_schedules`` (run by beat each time it starts, and
by ``manage.py sync_schedules``, which ``make run`` runs after ``migrate``) creates the row of
every declared job that has none, and never changes a row that exists, so an edit made in
the admin survives every deployment. To stop a job, disable it in the admin: a deleted row
is created again from the declaration.

django-celery-beat's own scheduler would instead write the declaration over the rows each
time beat starts (``update_or_create``), undoing the admin's edits.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import DatabaseScheduler, ModelEntry


def sync_schedules(declared: dict | None = None) -> list[str]:
    """Create the ``PeriodicTask`` of each declared job that has none (crontab or interval
    schedule, as declared); returns the names created. Existing rows are left as they are."""
    declared = settings.CELERY_BEAT_SCHEDULE if declared is None else declared
    created = []
    for name, entry in declared.items():
        with transaction.atomic():
            if PeriodicTask.objects.filter(name=name).exists():
                continue
            fields = ModelEntry._unpack_fields(**entry)
            fields["description"] = "Declared in CELERY_BEAT_SCHEDULE (alize.beat)."
            _task, was_created = PeriodicTask.objects.get_or_create(name=name, defaults=fields)
        if was_created:
            created.append(name)
    return created


class Scheduler(DatabaseScheduler):
    """The database scheduler, adding the declared jobs that have no row yet instead of
    overwriting the rows with the declaration."""

    def setup_schedule(self):
        self.install_default_entries(self.schedule)
        sync_schedules(self.app.conf.beat_schedule)

    def tick(self, *args, **kwargs):
        """One turn of beat's loop, then its heartbeat (``beat_heartbeat``)."""
        interval = super().tick(*args, **kwargs)
        beat_heartbeat()
        return interval


def beat_heartbeat() -> None:
    """Touch ``BEAT_HEARTBEAT_FILE`` (when set): beat's health check (docker-compose.yml)
    finds beat stuck or gone when the file is older than a minute. Beat ticks at least every
    few seconds (``beat_max_loop_interval``)."""
    if settings.BEAT_HEARTBEAT_FILE:
        Path(settings.BEAT_HEARTBEAT_FILE).touch()
