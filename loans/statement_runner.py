"""« Record every high-confidence line » of a bank statement, in the background
(docs/architecture.md §7.3).

``statement_confirm_high_request`` starts a run (one at a time per statement: asked again
while one is queued or running, it answers that run) and queues the job
``confirm_statement_lines`` on the outbox (``alize.jobs``), keyed by the statement and the
run's number. The job records the open high-confidence lines through
``loans.services.statement_confirm_high``, each line in a transaction of its own (its
repayment keyed by the bank's transaction id), and commits the progress (n of N, the lines
refused with the reason) on the statement as it goes, each step also the job's heartbeat.
A run stopped by a crash keeps what it recorded: the sweeper sends the job again, or the
user asks again, and the rest is recorded once. Kept apart from the services so that the
services never import the tasks (the tasks import this module)."""

from __future__ import annotations

from celery import shared_task
from celery.exceptions import Ignore, Retry
from django.contrib.auth import get_user_model
from django.db import transaction
from django.dispatch import receiver
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.jobs import job_abandoned, job_heartbeat
from alize.models import Job
from alize.tasks import ScopedTask
from alize.tenancy import scope

from .models import CONFIRM_LIVE, BankStatement, ConfirmStatus
from .services.statements import ConfirmOutcome, high_confidence_lines, statement_confirm_high

# A 2 000-line statement records in a few minutes; the heartbeat (every progress step)
# tells the sweeper the run is alive long before this.
CONFIRM_SOFT_TIME_LIMIT = 20 * 60
CONFIRM_FIELDS = (
    "confirm_status",
    "confirm_total",
    "confirm_done",
    "confirm_refused",
    "confirm_error",
)
# Progress is written every this many lines (and at the end): one short UPDATE each time.
PROGRESS_EVERY = 10


def confirm_job_key(statement: BankStatement) -> str:
    """The outbox key of a statement's recording run: one job per statement and run."""
    return f"loans.statement_confirm:{statement.pk}:{statement.confirm_run}"


@transaction.atomic
def statement_confirm_high_request(*, statement: BankStatement, by) -> tuple[BankStatement, bool]:
    """Ask for every high-confidence line of the statement to be recorded in the background
    (``loans.tasks.confirm_statement_lines``); returns the statement (its ``confirm_*``
    progress) and whether this call started a run. Asked again while a run is queued or
    running, nothing new starts (a run a crash left stale is sent again); with no line to
    record, nothing is queued."""
    locked = BankStatement.objects.select_for_update().get(pk=statement.pk)
    if locked.confirm_live:
        confirm_statement_lines.enqueue_run(statement=locked, user_id=None)
        return locked, False
    total = len(high_confidence_lines(locked.pk))
    if not total:
        raise ApplicationError(
            _("Aucune proposition de confiance forte n'attend d'être enregistrée."),
            field="statement",
            code="nothing_to_confirm",
        )
    locked.confirm_run += 1
    locked.confirm_status = ConfirmStatus.QUEUED
    locked.confirm_total = total
    locked.confirm_done = 0
    locked.confirm_refused = []
    locked.confirm_error = ""
    locked.save(update_fields=[*CONFIRM_FIELDS, "confirm_run"])
    confirm_statement_lines.enqueue_run(statement=locked, user_id=by.pk if by else None)
    return locked, True


def statement_confirm_high_run(*, statement_id: int, by) -> BankStatement | None:
    """The background run (see ``statement_confirm_high_request``): record the open
    high-confidence lines one transaction each, committing the progress (n of N) as it goes.
    Run again after a crash, it counts what is already recorded as done and records the
    rest. Runs outside any transaction, in the statement's scope."""
    rows = BankStatement.objects.filter(pk=statement_id)
    statement = rows.first()
    if statement is None or statement.confirm_status not in CONFIRM_LIVE:
        return statement
    remaining = len(high_confidence_lines(statement_id))
    already = max(statement.confirm_total - remaining, 0)
    rows.update(confirm_status=ConfirmStatus.RUNNING, confirm_done=already, confirm_refused=[])

    def save(outcome: ConfirmOutcome) -> None:
        rows.update(
            confirm_done=already + outcome.done + len(outcome.refused),
            confirm_refused=[
                {"line": line.pk, "position": line.position, "message": text}
                for line, text in outcome.refused
            ],
        )

    def progress(outcome: ConfirmOutcome) -> None:
        handled = outcome.done + len(outcome.refused)
        if handled % PROGRESS_EVERY == 0:
            save(outcome)
            job_heartbeat()

    outcome = statement_confirm_high(statement=statement, by=by, progress=progress)
    save(outcome)
    rows.update(confirm_status=ConfirmStatus.DONE)
    return rows.first()


def statement_confirm_failed(*, statement_id: int, reason: str) -> None:
    """The background run stopped on an error or was given up: the statement says so (what
    it recorded stays recorded; asking again records the rest)."""
    BankStatement.objects.filter(pk=statement_id, confirm_status__in=CONFIRM_LIVE).update(
        confirm_status=ConfirmStatus.FAILED, confirm_error=reason[:2000]
    )


class StatementConfirmTask(ScopedTask):
    """The background recording of a statement's high-confidence lines, on the job base:
    one outbox job per statement and run (``confirm_job_key``), so asking twice while it is
    queued or running starts nothing new. Unlike most scoped jobs it runs outside one big
    transaction: each line is recorded in a transaction of its own and the progress is
    committed as it goes, so a crash loses nothing and the sweeper's re-send records the
    rest (each repayment is keyed by the bank's transaction id)."""

    abstract = True

    def enqueue_run(self, *, statement, user_id: int | None) -> Job | None:
        """Record the statement's current run (its ``confirm_run``) once; asked again, the
        job holding the key is returned, sent again only if a crash left it stale."""
        return self.record(
            {
                "statement_id": statement.pk,
                "dispositif_id": statement.dispositif_id,
                "user_id": user_id,
            },
            dispositif_id=statement.dispositif_id,
            dedup_key=confirm_job_key(statement),
        )

    def perform(self, *, statement_id: int, dispositif_id: int, user_id: int | None = None):
        try:
            with scope([dispositif_id]):
                user = None
                if user_id is not None:
                    user = get_user_model()._default_manager.get(pk=user_id)
                return self.run(statement_id=statement_id, user=user)
        except (Retry, Ignore):
            raise
        except Exception as error:
            with scope([dispositif_id]):
                statement_confirm_failed(
                    statement_id=statement_id,
                    reason=_("L'enregistrement s'est arrêté sur une erreur ; relancez-le."),
                )
            self.record_failure(dispositif_id, None, error)
            raise


@shared_task(
    base=StatementConfirmTask,
    name="loans.tasks.confirm_statement_lines",
    soft_time_limit=CONFIRM_SOFT_TIME_LIMIT,
    time_limit=CONFIRM_SOFT_TIME_LIMIT + 60,
)
def confirm_statement_lines(*, statement_id: int, user=None) -> int:
    """Record every open high-confidence line of a statement (see ``StatementConfirmTask``,
    which calls it with the asking ``user`` loaded); returns how many lines were handled."""
    statement = statement_confirm_high_run(statement_id=statement_id, by=user)
    return statement.confirm_done if statement is not None else 0


@receiver(job_abandoned)
def statement_confirm_failed_on_abandoned_job(sender, job, reason, **kwargs):
    """The run was lost by its workers too often: the statement says « échoué », with the
    reason (what was recorded stays; asking again records the rest)."""
    statement_id = job.kwargs.get("statement_id")
    if sender == confirm_statement_lines.name and statement_id is not None:
        with scope([job.dispositif_id]):
            statement_confirm_failed(statement_id=statement_id, reason=reason)
