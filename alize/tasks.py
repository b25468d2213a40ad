"""The one base of background jobs (docs/architecture.md §6).

A job takes ids, never objects; it is recorded in the outbox (``alize.jobs``) in the
transaction that asks for it and handed to Celery once that transaction commits
(``task.enqueue(...)``); the worker marks its row running, keeps its heartbeat and marks it
done or failed, so the sweeper can send again what a crash left behind. A scoped job
re-enters the scope of its dispositif and runs in a transaction of its own; a national job
fans out into one task per dispositif, so that one failing dispositif never stops the
others. Every failure is recorded as a ``JobFailure``.
"""

from __future__ import annotations

import logging
import traceback
from datetime import timedelta
from typing import Any

from celery import Task, shared_task
from celery.exceptions import Ignore, Retry
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction

from alize import jobs
from alize.models import Job, JobFailure
from alize.tenancy import ScopeError, scope

logger = logging.getLogger(__name__)


def tenant_model():
    """The tenant model (``settings.TENANT_MODEL``), looked up without importing its app."""
    return apps.get_model(settings.TENANT_MODEL)


class JobTask(Task):
    """Base of every job that matters: recorded in the outbox, tracked while it runs.

    ``enqueue`` (and ``delay`` / ``apply_async``, which beat uses) write the ``Job`` row and
    send it on commit; ``__call__`` claims the row, runs ``perform`` with a heartbeat, and
    marks the row done, failed or queued again for a retry. A message whose row is done,
    failed or held by a live worker is ignored; a run without a row (eager, or sent around the
    outbox) just runs. A worker stopped mid-run (``SystemExit``) leaves the row running, for
    the broker's redelivery or the sweeper. Subclasses put their own way of running in
    ``perform``.
    """

    abstract = True
    # Jobs are idempotent (their row and their keys make a second run harmless), so the
    # broker's message is acknowledged only once the run ends: a worker lost mid-run leaves
    # it to be delivered again (the row then tells whether it still needs running).
    acks_late = True
    # How long the job may run without a heartbeat before the sweeper sends it again
    # (None: its time limit; the JOBS_HEARTBEAT_TIMEOUT setting shortens every job's).
    heartbeat_timeout: float | None = None
    # Starts allowed before the sweeper gives the job up (None: JOBS_MAX_ATTEMPTS).
    max_attempts: int | None = None

    def enqueue(self, **kwargs) -> Job | None:
        """Record the job now and queue it when the current transaction commits (at once
        outside of one); a rolled-back transaction leaves no row and queues nothing."""
        self.check_arguments(kwargs)
        return self.record(kwargs)

    def check_arguments(self, kwargs: dict) -> None:
        for name, value in kwargs.items():
            if isinstance(value, models.Model):
                raise TypeError(
                    f"Task {self.name}: pass {name} as an id, not a {type(value).__name__}."
                )

    def record(
        self,
        kwargs: dict,
        *,
        args: tuple | list = (),
        queue: str = "",
        dispositif_id: int | None = None,
        dedup_key: str | None = None,
    ) -> Job | None:
        """Write the outbox row and send it on commit; with ``dedup_key``, a job already
        holding it is returned (and sent again if stale). Eager mode (tests) runs the job on
        commit without a row."""
        if self.app.conf.task_always_eager:
            transaction.on_commit(lambda: self.apply(args=args, kwargs=kwargs))
            return None
        job, _created = jobs.job_record(
            task_name=self.name,
            kwargs=kwargs,
            args=args,
            queue=queue or getattr(self, "queue", None) or "",
            dispositif_id=dispositif_id,
            dedup_key=dedup_key,
            timeout=self.job_timeout(),
            max_attempts=self.max_attempts or settings.JOBS_MAX_ATTEMPTS,
        )
        return job

    def job_timeout(self) -> timedelta:
        """How long a run may go without a heartbeat before it counts as lost."""
        limit = self.time_limit or settings.CELERY_TASK_TIME_LIMIT
        seconds = self.heartbeat_timeout or limit
        if settings.JOBS_HEARTBEAT_TIMEOUT:
            seconds = min(seconds, settings.JOBS_HEARTBEAT_TIMEOUT)
        return timedelta(seconds=seconds)

    def apply_async(self, args=None, kwargs=None, task_id=None, producer=None, **options):
        """``delay`` and beat go through the outbox too; a send with a task id (the outbox's
        own, a retry) or with scheduling options goes straight to Celery."""
        plain = set(options) <= {"queue", "headers"}
        if task_id is not None or self.app.conf.task_always_eager or not plain:
            return super().apply_async(args, kwargs, task_id=task_id, producer=producer, **options)
        kwargs = dict(kwargs or {})
        job = self.record(
            kwargs,
            args=list(args or ()),
            queue=options.get("queue") or "",
            dispositif_id=kwargs.get("dispositif_id"),
        )
        assert job is not None
        return self.AsyncResult(str(job.pk))

    def __call__(self, *args, **kwargs):
        delivery = self.request.delivery_info or {}
        claim = jobs.Claim()
        if self.request.id and not self.request.is_eager:
            claim = jobs.job_claim(self.request.id, redelivered=bool(delivery.get("redelivered")))
        if claim.skip:
            raise Ignore()
        if claim.job is None:
            return self.perform(*args, **kwargs)
        job = claim.job
        try:
            with jobs.job_running(job):
                logger.info("Job %s (%s) started, attempt %s.", job.pk, self.name, job.attempts)
                result = self.perform(*args, **kwargs)
                logger.info("Job %s (%s) done.", job.pk, self.name)
        except Retry as retry:
            jobs.job_retry_later(job, retry.when)
            raise
        except Ignore:
            jobs.job_finish(job)
            raise
        except Exception as error:
            jobs.job_fail(job, error)
            raise
        jobs.job_finish(job)
        return result

    def perform(self, *args, **kwargs):
        """Run the job's body (``run``)."""
        return self.run(*args, **kwargs)


class ScopedTask(JobTask):
    """Base of every job on tenant data. Call it with ``dispositif_id`` (and ``user_id`` when
    a person asked for it); the body receives the loaded ``dispositif`` (and ``user``)
    instead, inside ``scope([dispositif_id])`` and one transaction.

    A job over every dispositif says so with ``national = True``: called without a
    ``dispositif_id`` it queues one task per dispositif and returns ``[[id, task id], ...]``;
    any other job called without ``dispositif_id`` fails.
    """

    abstract = True
    national = False
    # Callers pass ids (dispositif_id, user_id) where the body takes objects.
    typing = False

    def enqueue(self, **kwargs) -> Job | None:
        """Record the job and queue it when the current transaction commits (at once outside
        of one); a rolled-back transaction queues nothing. Arguments are ids and plain
        values."""
        self.check_arguments(kwargs)
        if not self.national and kwargs.get("dispositif_id") is None:
            raise ScopeError(f"Task {self.name} needs a dispositif_id keyword argument.")
        return self.record(kwargs, dispositif_id=kwargs.get("dispositif_id"))

    def perform(self, *args, **kwargs):
        dispositif_id = kwargs.pop("dispositif_id", None)
        if dispositif_id is None:
            if not self.national:
                raise ScopeError(f"Task {self.name} needs a dispositif_id keyword argument.")
            return self.fan_out(kwargs)
        return self.run_in_dispositif(dispositif_id, args, kwargs)

    def fan_out(self, kwargs: dict) -> list[list]:
        """Queue this job once per dispositif, on the queue the national job came from (run
        inline when the national job itself runs eagerly). Each child is recorded under a
        key naming the national run, so a national job run again queues no child twice."""
        with scope(every_dispositif=True, reason=f"fan-out of national task {self.name}"):
            ids = list(tenant_model()._default_manager.order_by("pk").values_list("pk", flat=True))
        queue = (self.request.delivery_info or {}).get("routing_key") or ""
        queued = []
        for dispositif_id in ids:
            child = {**kwargs, "dispositif_id": dispositif_id}
            if self.request.is_eager:
                queued.append([dispositif_id, self.apply(kwargs=child).id])
                continue
            job = self.record(
                child,
                queue=queue,
                dispositif_id=dispositif_id,
                dedup_key=f"{self.name}:{self.request.id}:{dispositif_id}",
            )
            queued.append([dispositif_id, str(job.pk) if job is not None else ""])
        return queued

    def run_in_dispositif(self, dispositif_id: int, args, kwargs: dict):
        dispositif = None
        try:
            with scope([dispositif_id]), transaction.atomic():
                dispositif = tenant_model()._default_manager.get(pk=dispositif_id)
                user_id = kwargs.pop("user_id", None)
                if user_id is not None:
                    kwargs["user"] = get_user_model()._default_manager.get(pk=user_id)
                return self.run(*args, dispositif=dispositif, **kwargs)
        except (Retry, Ignore):
            raise
        except Exception as error:
            self.record_failure(dispositif_id, dispositif, error)
            raise

    def record_failure(self, dispositif_id: int, dispositif, error: Exception) -> None:
        """Keep the failure for the coordination, after the job's transaction rolled back."""
        logger.exception("Task %s failed in dispositif %s", self.name, dispositif_id)
        JobFailure.objects.create(
            task_name=self.name,
            task_id=self.request.id or "",
            dispositif_id=dispositif_id,
            dispositif_name=str(dispositif) if dispositif is not None else "",
            error=f"{type(error).__name__}: {error}"[:2000],
            details=traceback.format_exc(),
        )


@shared_task(name="alize.tasks.sweep_jobs", ignore_result=True)
def sweep_jobs() -> dict[str, Any]:
    """Beat, every minute (``alize-jobs-sweep``): send again the jobs a crash left queued or
    running, give up those lost too often (``alize.jobs.sweep``)."""
    return jobs.sweep().as_dict()


@shared_task(name="alize.tasks.refresh_indicators", ignore_result=True)
def refresh_indicators(dispositif_id: int) -> int:
    """Recompute one dispositif's indicators, asked for when its rows change. Not an outbox
    job: losing one costs nothing, the minute sweep (``sweep_indicators``) refreshes every
    dispositif still stale."""
    from alize.indicators.facts import refresh

    return refresh(dispositif_id)


@shared_task(name="alize.tasks.sweep_indicators", ignore_result=True)
def sweep_indicators() -> list[int]:
    """Beat, every minute (``alize-indicators-sweep``): refresh the dispositifs whose
    indicators lag behind their rows."""
    from alize.indicators.facts import refresh_stale

    return refresh_stale()


@shared_task(base=JobTask, bind=True, name="alize.tasks.apply_retention")
def apply_retention(self, today: str | None = None) -> dict:
    """Nightly (beat "personal-data-retention"): erase the directory's experts and users
    inactive for the retention period, then fan out to every dispositif for its SME
    contacts (``apply_retention_in_dispositif``). Returns the directory's counts per kind;
    each run is recorded as a ``RetentionReport``. ``today`` (ISO date) freezes the date."""
    import datetime as dt

    from django.utils import timezone

    from alize.personal_data.services import retention_apply

    on = dt.date.fromisoformat(today) if today else timezone.localdate()
    report = retention_apply(today=on)
    if self.request.is_eager:
        apply_retention_in_dispositif.apply(kwargs={"today": on.isoformat()})
    else:
        apply_retention_in_dispositif.delay(today=on.isoformat())
    return report.counts


@shared_task(base=ScopedTask, national=True, name="alize.tasks.apply_retention_in_dispositif")
def apply_retention_in_dispositif(*, dispositif, today: str) -> dict:
    """One dispositif's share of the retention job: the contacts of its SMEs whose last
    project ended before the retention period. Idempotent; returns the counts per kind."""
    import datetime as dt

    from alize.personal_data.services import retention_apply

    return retention_apply(today=dt.date.fromisoformat(today), dispositif=dispositif).counts
