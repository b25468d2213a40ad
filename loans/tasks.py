"""Celery tasks of the loans app: thin wrappers around services, run by the job base."""

import datetime as dt

from celery import shared_task
from celery.exceptions import Ignore, Retry
from django.contrib.auth import get_user_model
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.jobs import job_abandoned
from alize.models import Job
from alize.tasks import ScopedTask
from alize.tenancy import scope

from . import services

# A 2 000-line statement records in a few minutes; the heartbeat (every progress step)
# tells the sweeper the run is alive long before this.
CONFIRM_SOFT_TIME_LIMIT = 20 * 60


@shared_task(base=ScopedTask, national=True, name="loans.tasks.refresh_arrears")
def refresh_arrears(*, dispositif, today: str | None = None) -> dict:
    """Daily (beat "loans-daily-arrears"): mark overdue instalments and their days past
    due, move advances into arrears (and out once caught up), and write each fund's PAR30
    for the day. Fans out into one task per dispositif; idempotent. ``today`` (ISO date)
    freezes the date, for replays and tests; by default the local date."""
    on = dt.date.fromisoformat(today) if today else timezone.localdate()
    return services.arrears_refresh(dispositif=dispositif, today=on)


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
            dedup_key=services.statements.confirm_job_key(statement),
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
                services.statement_confirm_failed(
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
    statement = services.statement_confirm_high_run(statement_id=statement_id, by=user)
    return statement.confirm_done if statement is not None else 0


@receiver(job_abandoned)
def statement_confirm_failed_on_abandoned_job(sender, job, reason, **kwargs):
    """The run was lost by its workers too often: the statement says « échoué », with the
    reason (what was recorded stays; asking again records the rest)."""
    statement_id = job.kwargs.get("statement_id")
    if sender == confirm_statement_lines.name and statement_id is not None:
        with scope([job.dispositif_id]):
            services.statement_confirm_failed(statement_id=statement_id, reason=reason)
