"""Builds a document once, whatever happens to the worker.

1. Claim: the row goes to « running » (attempts counted), committed at once.
2. Build: the builder reads inside the document's scope; each progress step is committed
   at once (the page polls it).
3. Store: under a lock on the row, unless another run finished first, the file is written
   whole (``AtomicFileSystemStorage``: a temporary file renamed over a name fixed by the
   document's id) and the row is marked done with its sha256 and size, in one transaction.
   A run killed before the commit leaves the row « running » and at most the same file,
   which the next run replaces; a run that finds the row done stores nothing.
4. Deliver: agendas and minutes are e-mailed to the committee's members through the mail
   layer, one idempotency key per committee × member × version, so a second run (or a run
   after a kill between 3 and 4) sends only what was not sent.

The build is a job of the outbox (``alize.jobs``): each progress step is also its
heartbeat, so a build whose worker died is sent again by the sweeper, and a build given up
after its attempts leaves the document « failed » with the reason (``reporting.signals``).
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import time

import redis.exceptions
from celery import shared_task
from celery.exceptions import Ignore, Retry, SoftTimeLimitExceeded
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.jobs import job_heartbeat
from alize.models import Job
from alize.tasks import ScopedTask
from alize.tenancy import scope

from . import builders, delivery
from .models import Document, DocumentStatus

logger = logging.getLogger(__name__)

# Errors that say "try again later" (a database, Redis or mail server briefly away).
TRANSIENT_ERRORS = (
    OperationalError,
    InterfaceError,
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    smtplib.SMTPServerDisconnected,
    smtplib.SMTPConnectError,
    ConnectionError,
    TimeoutError,
)
MAX_RETRIES = 5
SOFT_TIME_LIMIT = 10 * 60


def _claim(document_id: int) -> Document | None:
    """Mark the document running (unless it is done or failed) and return it."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status in (DocumentStatus.DONE, DocumentStatus.FAILED):
            return document
        document.status = DocumentStatus.RUNNING
        document.attempts += 1
        document.started_at = timezone.now()
        document.progress = 0
        document.error = ""
        document.save(update_fields=["status", "attempts", "started_at", "progress", "error"])
    return document


def step_pause() -> float:
    """``REPORTING_STEP_PAUSE`` (seconds, tests only): how long each step of a build and of
    its mailing waits, so a test can kill a worker in the middle of one."""
    return float(getattr(settings, "REPORTING_STEP_PAUSE", 0) or 0)


def progress_recorder(document_id: int):
    """A callback that commits the build's percentage as it goes (outside any transaction
    of the build, which only reads); each step is also the job's heartbeat."""
    pause = step_pause()

    def record(percent: int) -> None:
        Document.objects.filter(pk=document_id, status=DocumentStatus.RUNNING).update(
            progress=max(0, min(int(percent), 99))
        )
        job_heartbeat()
        if pause:
            time.sleep(pause)

    return record


def _store(document_id: int, built: builders.Built) -> Document:
    """Write the file and mark the row done, once (see the module's docstring)."""
    with transaction.atomic():
        document = Document.objects.select_for_update().get(pk=document_id)
        if document.status == DocumentStatus.DONE:
            return document
        name = document.file.field.generate_filename(document, built.filename)
        stored = document.file.storage.save(name, ContentFile(built.content))
        document.file.name = stored
        document.filename = built.filename
        document.content_type = built.content_type
        document.checksum = hashlib.sha256(built.content).hexdigest()
        document.size = len(built.content)
        document.status = DocumentStatus.DONE
        document.progress = 100
        document.finished_at = timezone.now()
        document.save()
    return document


def mark_failed(document_id: int, message: str) -> None:
    """The build gave up: the row says why (no file)."""
    Document.objects.filter(pk=document_id).exclude(status=DocumentStatus.DONE).update(
        status=DocumentStatus.FAILED, error=message[:2000], finished_at=timezone.now()
    )


def build_and_store(document_id: int) -> Document:
    """Claim, build and store one document (steps 1 to 3); a done or failed one is
    returned as it is. Runs inside the document's scope."""
    document = _claim(document_id)
    if document.status == DocumentStatus.RUNNING:
        built = builders.build(document, progress_recorder(document.pk))
        document = _store(document.pk, built)
    return document


def run_document(document_id: int, deliver: bool = True) -> Document:
    """Build, store and deliver one document (``deliver=False``: only build and store it,
    as the demo's documents are); safe to run again at any point."""
    document = build_and_store(document_id)
    if deliver and document.status == DocumentStatus.DONE:
        delivery.deliver(document, pause=step_pause())
    return document


def document_scope(document: Document):
    """The tenancy scope a document's build reads in: its dispositif, or every dispositif
    for a document of the whole network."""
    if document.dispositif_id is not None:
        return scope([document.dispositif_id])
    return scope(every_dispositif=True, reason="a national document reads every dispositif")


def build_key(document_id: int) -> str:
    """The outbox key of a document's build: one job per document."""
    return f"reporting.build:{document_id}"


class DocumentTask(ScopedTask):
    """A document's build on the job base: it takes the document's id, is recorded in the
    outbox and queued once the transaction commits, re-enters the document's scope, retries
    transient errors with an exponential backoff, and when it gives up (an error, the soft
    time limit) the row says « failed » with a clean message and the failure is recorded for
    the coordination.

    Unlike other jobs it runs outside one big transaction: its progress, the stored file
    and the e-mails are each committed as they happen (``run_document``)."""

    abstract = True
    max_retries = MAX_RETRIES

    def enqueue(
        self, *, document_id: int, dispositif_id: int | None = None, deliver: bool = True
    ) -> Job | None:
        """Record the document's build (once per document) and queue it on commit; asked
        again while it is queued or running, the build is sent again only if it is stale
        (lost by a crash), else left as it is. ``deliver=False`` builds without e-mailing."""
        return self.record(
            {"document_id": document_id} | ({} if deliver else {"deliver": False}),
            dispositif_id=dispositif_id,
            dedup_key=build_key(document_id),
        )

    def perform(self, *, document_id: int, deliver: bool = True):
        document = Document.objects.select_related("dispositif").get(pk=document_id)
        try:
            with document_scope(document):
                return self.run(document_id=document_id, deliver=deliver)
        except (Retry, Ignore):
            raise
        except SoftTimeLimitExceeded as error:
            self.give_up(
                document,
                error,
                _("Le document a pris plus de %(minutes)s minutes ; réessayez ou signalez-le.")
                % {"minutes": SOFT_TIME_LIMIT // 60},
            )
            return None
        except TRANSIENT_ERRORS as error:
            if self.request.retries < self.max_retries:
                countdown = min(2**self.request.retries * 5, 300)
                raise self.retry(exc=error, countdown=countdown) from error
            self.give_up(
                document, error, _("Service momentanément indisponible ; réessayez plus tard.")
            )
            raise
        except Exception as error:
            self.give_up(document, error, _("La construction du document a échoué."))
            raise

    def give_up(self, document: Document, error: Exception, message: str) -> None:
        mark_failed(document.pk, message)
        self.record_failure(document.dispositif_id, document.dispositif, error)


@shared_task(
    base=DocumentTask,
    name="reporting.runner.build_document",
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=SOFT_TIME_LIMIT + 60,
)
def build_document(*, document_id: int, deliver: bool = True):
    """Build, store and deliver one document (see ``run_document``); returns its status."""
    return run_document(document_id, deliver=deliver).status
