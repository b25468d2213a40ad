"""The outbox of background jobs and its sweeper (docs/architecture.md §6).

A job that matters is a ``Job`` row written in the transaction that asks for it, and sent to
Celery once that transaction commits, with the row's id as task id. Redis only carries it:

- the job base (``alize.tasks.JobTask``) claims the row when a worker starts the job
  (queued → running), keeps its ``heartbeat_at`` fresh while it runs, and marks it done or
  failed; a message for a job already done, failed or held by a live worker is ignored;
- the sweeper (``sweep``: beat every minute, and ``manage.py sweep_jobs``) sends again a job
  queued but not started after ``JOBS_QUEUED_GRACE`` seconds (Redis lost it, or no worker
  took it; each re-send waits twice as long as the one before), and a job running without a
  heartbeat for longer than its ``timeout`` (its worker died); after ``max_attempts`` starts
  it marks the job failed instead, with the reason, records a ``JobFailure`` and sends
  ``job_abandoned`` so that the app that owns the job can say so on its own rows.

Jobs are idempotent (a crash may run one twice); e-mails stay once per key (``alize.mail``).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connection, transaction
from django.db.models import DateTimeField, ExpressionWrapper, F, Q
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext

from alize.celery import app as celery_app
from alize.logs import current_request_id, log_context
from alize.models import Job, JobFailure, JobStatus
from alize.tenancy import scope

logger = logging.getLogger(__name__)

LIVE_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)
MAX_BACKOFF_DOUBLINGS = 5

# Sent when the sweeper gives a job up, in the transaction that marks it failed; the sender
# is the task's name (compare it in the receiver: Django matches senders by identity), and
# receivers get ``job`` and ``reason`` (e.g. reporting marks its document failed).
job_abandoned = Signal()

_current_job: ContextVar[Any] = ContextVar("alize_current_job", default=None)


def grace() -> timedelta:
    """How long a queued job may wait for a worker before the sweeper sends it again."""
    return timedelta(seconds=settings.JOBS_QUEUED_GRACE)


# --------------------------------------------------------------------------- recording


def job_record(
    *,
    task_name: str,
    kwargs: Mapping[str, Any],
    args: Sequence[Any] = (),
    queue: str = "",
    dispositif_id: int | None = None,
    dedup_key: str | None = None,
    timeout: timedelta,
    max_attempts: int,
) -> tuple[Job, bool]:
    """Write the job's row in the current transaction and send it once that commits (at
    once outside of one); returns (job, created). With a ``dedup_key`` already taken, the
    job holding it is returned instead, sent again if it is stale (see ``job_revive``)."""
    now = timezone.now()
    job = Job(
        task_name=task_name,
        args=list(args),
        kwargs=dict(kwargs),
        queue=queue or queue_for(task_name),
        request_id=current_request_id(),
        dispositif_id=dispositif_id,
        dedup_key=dedup_key,
        timeout=timeout,
        max_attempts=max_attempts,
        created_at=now,
        sent_at=now,
    )
    if _insert_unless_taken(job):
        transaction.on_commit(lambda: job_send(job))
        return job, True
    existing = Job.objects.get(dedup_key=dedup_key)
    job_revive(existing, now=now)
    return existing, False


def queue_for(task_name: str) -> str:
    """The queue a task goes to by the routes (``CELERY_TASK_ROUTES``), else the default one."""
    route = celery_app.amqp.router.route({}, task_name)
    queue = route.get("queue")
    return getattr(queue, "name", None) or str(queue or celery_app.conf.task_default_queue)


def _insert_unless_taken(job: Job) -> bool:
    """INSERT the row, doing nothing when its dedup key is taken (one statement); returns
    whether it was inserted."""
    fields = Job._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(str(f.column)) for f in fields)
    values = [f.get_db_prep_save(getattr(job, f.attname), connection) for f in fields]
    table = connection.ops.quote_name(Job._meta.db_table)
    sql = (
        f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * len(fields))}) "  # noqa: S608 - names are the model's own
        "ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        return cursor.fetchone() is not None


def job_send(job: Job) -> None:
    """Hand the job to Celery (task id: the row's id). A broker that is away is only
    logged: the row stays queued and the sweeper sends it again."""
    options: dict[str, Any] = {"task_id": str(job.pk)}
    if job.queue:
        options["queue"] = job.queue
    if job.request_id:
        options["headers"] = {"request_id": job.request_id}
    try:
        celery_app.send_task(job.task_name, args=job.args, kwargs=job.kwargs, **options)
    except Exception:
        logger.warning("Job %s (%s) not sent; the sweeper will send it.", job.pk, job.task_name)


# --------------------------------------------------------------------------- the worker's side


@dataclass
class Claim:
    """What the job base does with a message: run the job (``job`` is its row, or None for a
    job sent without the outbox) or ``skip`` it (done, failed, or held by a live worker)."""

    job: Job | None = None
    skip: bool = False


def job_claim(job_id: str, *, redelivered: bool) -> Claim:
    """Mark the job running (attempts + 1) if it is queued, or running but redelivered by the
    broker (its worker was lost); a job lost too often is given up instead."""
    now = timezone.now()
    takeable = Q(status=JobStatus.QUEUED)
    if redelivered:
        takeable |= Q(status=JobStatus.RUNNING, attempts__lt=F("max_attempts"))
    claimed = Job.objects.filter(takeable, pk=job_id).update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        started_at=now,
        heartbeat_at=now,
        finished_at=None,
    )
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        return Claim()
    if claimed:
        return Claim(job=job)
    if redelivered and job.status == JobStatus.RUNNING:
        with transaction.atomic():
            job_give_up(job, lost_reason(job))
    return Claim(job=job, skip=True)


def job_heartbeat() -> None:
    """Tell the sweeper that the job running here is alive (a document build calls it with
    each step; the job base also does, every ``JOBS_HEARTBEAT_SECONDS``). No-op outside a
    recorded job."""
    job_id = _current_job.get()
    if job_id is not None:
        _touch(job_id)


def _touch(job_id) -> None:
    Job.objects.filter(pk=job_id, status=JobStatus.RUNNING).update(heartbeat_at=timezone.now())


@contextlib.contextmanager
def job_running(job: Job) -> Iterator[None]:
    """While the body runs: ``job_heartbeat`` knows the job, a thread touches its heartbeat
    every ``JOBS_HEARTBEAT_SECONDS`` (on a connection of its own), and log records carry
    the job's id and its request's."""
    token = _current_job.set(job.pk)
    stop = threading.Event()
    beat = threading.Thread(
        target=_beat, args=(job.pk, stop), name=f"heartbeat-{job.pk}", daemon=True
    )
    beat.start()
    try:
        # Its log lines carry the id of the request that queued it (alize/logs.py).
        with log_context(request_id=job.request_id, job_id=str(job.pk)):
            yield
    finally:
        stop.set()
        beat.join(timeout=10)
        _current_job.reset(token)


def _beat(job_id, stop: threading.Event) -> None:
    every = max(float(settings.JOBS_HEARTBEAT_SECONDS), 0.1)
    try:
        while not stop.wait(every):
            try:
                _touch(job_id)
            except Exception:
                logger.warning("Heartbeat of job %s not recorded.", job_id, exc_info=True)
    finally:
        connection.close()


def job_finish(job: Job) -> None:
    """The run ended well."""
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.DONE, finished_at=timezone.now(), last_error=""
    )


def job_fail(job: Job, error: BaseException) -> None:
    """The run raised: the job is failed with the error (the task records its own failure)."""
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.FAILED,
        finished_at=timezone.now(),
        last_error=f"{type(error).__name__}: {error}"[:2000],
    )


def job_retry_later(job: Job, when) -> None:
    """Celery retries the job (``when``: seconds or a datetime): it is queued again, due
    then, so that the sweeper's grace counts from that moment."""
    now = timezone.now()
    if isinstance(when, datetime):
        due = when
    else:
        due = now + timedelta(seconds=float(when or 0))
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(
        status=JobStatus.QUEUED, sent_at=due, sends=F("sends") + 1
    )


# --------------------------------------------------------------------------- the sweeper


def lost_reason(job: Job) -> str:
    return gettext(
        "Abandonnée après %(attempts)s tentatives : le processus qui l'exécutait s'est "
        "arrêté sans la terminer."
    ) % {"attempts": job.attempts}


def job_is_stale(job: Job, now: datetime, *, backoff: bool = False) -> bool:
    """Running without a heartbeat for longer than its timeout, or queued and not started
    for longer than the grace (doubled per earlier re-send with ``backoff``)."""
    if job.status == JobStatus.RUNNING:
        beat = job.heartbeat_at or job.started_at or job.sent_at
        return beat + job.timeout < now
    if job.status == JobStatus.QUEUED:
        wait = grace() * (2 ** min(job.sends - 1, MAX_BACKOFF_DOUBLINGS) if backoff else 1)
        return job.sent_at + wait < now
    return False


def job_revive(job: Job, *, now: datetime | None = None, backoff: bool = False) -> str | None:
    """Send a stale job again, or give it up after ``max_attempts`` starts; returns
    "requeued", "resent", "failed" or None (nothing to do). Call it in a transaction; the
    send happens on commit."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Job.objects.select_for_update(skip_locked=True).filter(pk=job.pk).first()
        if locked is None or not job_is_stale(locked, now, backoff=backoff):
            return None
        if locked.status == JobStatus.RUNNING and locked.attempts >= locked.max_attempts:
            job_give_up(locked, lost_reason(locked))
            return "failed"
        outcome = "requeued" if locked.status == JobStatus.RUNNING else "resent"
        if outcome == "requeued":
            locked.last_error = gettext("Relancée : aucun signe de vie depuis %(since)s.") % {
                "since": timezone.localtime(locked.heartbeat_at or now).strftime("%H:%M:%S")
            }
        locked.status = JobStatus.QUEUED
        locked.sent_at = now
        locked.sends += 1
        locked.save(update_fields=["status", "sent_at", "sends", "last_error"])
        transaction.on_commit(lambda: job_send(locked))
    return outcome


def job_give_up(job: Job, reason: str) -> None:
    """Mark the job failed with ``reason``, record a ``JobFailure`` for the coordination and
    tell the job's app (``job_abandoned``), all in the caller's transaction."""
    updated = Job.objects.filter(pk=job.pk, status__in=LIVE_STATUSES).update(
        status=JobStatus.FAILED, finished_at=timezone.now(), last_error=reason[:2000]
    )
    if not updated:
        return
    logger.error("Job %s (%s) given up: %s", job.pk, job.task_name, reason)
    JobFailure.objects.create(
        task_name=job.task_name,
        task_id=str(job.pk),
        dispositif_id=job.dispositif_id,
        dispositif_name=_dispositif_name(job.dispositif_id),
        error=reason,
    )
    job_abandoned.send(sender=job.task_name, job=job, reason=reason)


def _dispositif_name(dispositif_id: int | None) -> str:
    if dispositif_id is None:
        return ""
    with scope([dispositif_id]):
        tenant = apps.get_model(settings.TENANT_MODEL)._default_manager.filter(pk=dispositif_id)
        return str(tenant.first() or "")


@dataclass
class SweepReport:
    """What one sweep did, job ids by outcome."""

    requeued: list[str] = field(default_factory=list)
    resent: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    purged: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requeued": self.requeued,
            "resent": self.resent,
            "failed": self.failed,
            "purged": self.purged,
        }


def sweep(now: datetime | None = None) -> SweepReport:
    """Send again what a crash left behind, give up what failed too often, and delete done
    jobs older than ``JOBS_KEEP_DONE_DAYS`` (each job in a transaction of its own)."""
    now = now or timezone.now()
    report = SweepReport()
    lost = (
        Job.objects.filter(status=JobStatus.RUNNING)
        .alias(
            deadline=ExpressionWrapper(
                F("heartbeat_at") + F("timeout"), output_field=DateTimeField()
            )
        )
        .filter(deadline__lt=now)
    )
    waiting = Job.objects.filter(status=JobStatus.QUEUED, sent_at__lt=now - grace())
    for job in [*lost.order_by("heartbeat_at"), *waiting.order_by("sent_at")]:
        try:
            outcome = job_revive(job, now=now, backoff=True)
        except Exception:
            logger.exception("Sweeping job %s failed; it is tried again next time.", job.pk)
            continue
        if outcome is not None:
            getattr(report, outcome).append(str(job.pk))
    report.purged, _ = Job.objects.filter(
        status=JobStatus.DONE,
        finished_at__lt=now - timedelta(days=settings.JOBS_KEEP_DONE_DAYS),
    ).delete()
    return report
