"""A password-reset mail's latency while 20 annual reports are building, on real Celery
workers (prefork, as in production) and the real Redis:

- before: one queue for every kind of work, one worker of two processes (the former
  compose worker), so the mail waits behind the reports queued before it;
- after: the queues by kind of work (alize/settings/base.py), a documents worker of two
  processes and a mail worker, so the mail is sent while the reports still build.

The latency is the job's own: from its row written (the reset asked for) to its row done.
Run it with ``-s`` to read the numbers (docs/architecture.md §6 quotes a run).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from alize.accounts.tasks import send_password_reset
from alize.models import Job, JobStatus
from alize.tenancy import scope
from reporting import services
from reporting.models import Document, DocumentKind, DocumentStatus
from tests.celery_worker import fresh_queue, worker_process
from tests.factories import DispositifFactory, UserFactory
from tests.ops.stack_helpers import wait_until

pytestmark = [
    pytest.mark.stack,
    pytest.mark.celery,
    pytest.mark.real_clock(reason="job rows are timed by the workers' clock"),
]

REPORTS = 20


def ready(*logs: Path) -> bool:
    return all(" ready." in log.read_text() for log in logs)


def ask_reports(dispositifs, year: int) -> list[int]:
    ids = []
    for dispositif in dispositifs:
        with scope([dispositif.pk]):
            ids.append(
                services.document_request(
                    kind=DocumentKind.ANNUAL_REPORT, dispositif=dispositif, year=year, by=None
                ).pk
            )
    return ids


def mail_latency(user, key: str, report_ids: list[int]) -> tuple[float, int]:
    """Ask for the reset mail behind the queued reports; its job's latency (seconds) and
    how many reports were done when the mail was."""
    job = send_password_reset.enqueue(user_id=user.pk, key=key)
    done = wait_until(
        lambda: Job.objects.filter(pk=job.pk, status=JobStatus.DONE).first(), 600, step=0.2
    )
    assert done, "the mail job did not run"
    built = Document.objects.filter(pk__in=report_ids, status=DocumentStatus.DONE).count()
    return (done.finished_at - done.created_at).total_seconds(), built


def test_a_reset_mail_is_not_kept_waiting_by_a_burst_of_reports(transactional_db, tmp_path):
    dispositifs = [DispositifFactory() for _ in range(REPORTS)]
    user = UserFactory(email="presse@example.org")
    user.set_password("mot-de-passe-2026-long")
    user.save()
    results = {}

    log = tmp_path / "one-queue.log"
    with fresh_queue() as (_broker, queue), worker_process(log, queue=queue, concurrency=2):
        assert wait_until(lambda: ready(log), 120), log.read_text()[-2000:]
        reports = ask_reports(dispositifs, 2025)
        results["one queue"] = mail_latency(user, "latency-before", reports)

    documents_log, mail_log = tmp_path / "documents.log", tmp_path / "mail.log"
    with (
        fresh_queue(routed=True) as (_broker, prefix),
        worker_process(documents_log, queue=f"{prefix}-documents", prefix=prefix, concurrency=2),
        worker_process(mail_log, queue=f"{prefix}-mail", prefix=prefix),
    ):
        assert wait_until(lambda: ready(documents_log, mail_log), 120)
        reports = ask_reports(dispositifs, 2024)
        results["own queue"] = mail_latency(user, "latency-after", reports)

    for name, (latency, built) in results.items():
        print(
            f"{name}: reset mail sent {latency:.2f} s after it was asked, "
            f"{built}/{REPORTS} reports built by then"
        )
    before, after = results["one queue"][0], results["own queue"][0]
    # It waited for the reports queued before it (the other process may be on the last one).
    assert results["one queue"][1] >= REPORTS - 1
    assert results["own queue"][1] < REPORTS  # it went out while reports were building
    assert after < before / 5
