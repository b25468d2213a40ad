"""Documents built by a real Celery worker process on the real Redis: the request is queued
after commit, the worker builds the PDF, the row says done; and a worker killed (SIGKILL)
in the middle of a build: once restarted, the document is completed once, with one file
and one e-mail per committee member.

The tests run on the fixed clock (10 June 2026) and the worker on the real one: the report
is of 2026, whose rows are all written by then, so the worker's day changes nothing."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time

import pytest

from alize.accounts.models import Role
from alize.tenancy import scope
from pme.models import JobsFollowUp
from reporting import services
from reporting.models import Document, DocumentKind, DocumentStatus
from tests.celery_worker import WORKER_TIMEOUT, fresh_queue, real_worker, worker_process
from tests.factories import user_with_role
from tests.reporting.conftest import add_missions_and_loans, make_sitting, pdf_text, stored_bytes

pytestmark = pytest.mark.celery


def wait_for(condition, timeout=WORKER_TIMEOUT, what="the worker"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def fresh(document) -> Document:
    return Document.objects.get(pk=document.pk)


def follow_ups(world, sitting):
    """Jobs follow-ups of 2026 for the committee's two projects: 7 + 4 jobs created."""
    with scope([world.a]):
        for item, created in zip(sitting.items, (7, 4), strict=True):
            JobsFollowUp.objects.create(
                dispositif=world.a,
                project=item.project,
                year=1,
                as_of=dt.date(2026, 1, 2),
                headcount=30,
                jobs_created=created,
                jobs_maintained=20,
                source="company",
            )


def test_worker_builds_the_annual_report(world, transactional_db, tmp_path):
    sitting = make_sitting(world.a)
    follow_ups(world, sitting)
    add_missions_and_loans(world)
    with real_worker(tmp_path / "worker.log"):
        with scope([world.a]):
            document = services.document_request(
                kind=DocumentKind.ANNUAL_REPORT, dispositif=world.a, year=2026, by=None
            )
        assert fresh(document).status == DocumentStatus.QUEUED
        done = wait_for(lambda: fresh(document).finished and fresh(document), what="the report")
    assert done.status == DocumentStatus.DONE, (done.error, (tmp_path / "worker.log").read_text())
    assert (done.progress, done.attempts) == (100, 1)
    content = stored_bytes(done)
    assert (done.size, done.content_type) == (len(content), "application/pdf")
    text = pdf_text(content)
    assert world.a.name in text
    # The indicators layer's figures: an advance is granted once set up (the loans
    # fixture's 12 000; the dossiers' decisions voted amounts, no advance yet).
    assert "Montant des avances accordées 12 000,00 € (1)" in text
    assert "Emplois créés 11" in text and "Emplois maintenus 40" in text
    # Jobs to create, not the planned headcount: 14 planned − 10 at start for each of the
    # four approved projects (two dossiers, the mission's project and the advance's).
    assert "Emplois à créer 16" in text and "Emplois prévus à 3 ans" not in text
    assert "Valeur des heures d'expertise 600,00 €" in text  # 7.5 h at 80 €
    assert "Avances décaissées dans l'année 12 000,00 € (1)" in text
    assert "Utilisation des fonds 12,0 %" in text


def test_a_worker_killed_mid_build_completes_the_document_once_after_restart(
    world, transactional_db, tmp_path, smtp_server
):
    sitting = make_sitting(world.a, decide=False)
    second = user_with_role(Role.COMMITTEE_MEMBER, dispositif=world.a, organisation=sitting.region)
    log = tmp_path / "worker.log"
    env = {
        "REPORTING_STEP_PAUSE": "1.5",
        "CELERY_VISIBILITY_TIMEOUT": "3",
        "TEST_SMTP_PORT": str(smtp_server.port),
    }
    with fresh_queue() as (_broker, queue):
        with worker_process(log, queue=queue, env=env) as first:
            with scope([world.a]):
                document = services.document_request(
                    kind=DocumentKind.AGENDA, committee=sitting.committee, by=None
                )
            wait_for(lambda: fresh(document).progress > 0, what="the build to start")
            os.kill(first.pid, signal.SIGKILL)
            first.wait(timeout=10)
        killed = fresh(document)
        assert (killed.status, killed.attempts, killed.file.name) == (
            DocumentStatus.RUNNING,
            1,
            "",
        )
        assert smtp_server.messages == []
        with worker_process(log, queue=queue, env=env):
            done = wait_for(
                lambda: fresh(document).finished and fresh(document),
                what="the document after the restart",
            )
            time.sleep(4)  # past the visibility timeout: a second delivery would show now
    assert done.status == DocumentStatus.DONE, (done.error, log.read_text())
    assert fresh(document).attempts == 2, "built again once after the kill, then never again"
    folder = os.path.dirname(done.file.path)
    assert [name for name in os.listdir(folder) if not name.startswith(".")] == [
        os.path.basename(done.file.name)
    ]
    content = stored_bytes(done)
    assert "Fonderie Lenoir" in pdf_text(content)
    # The members' agenda e-mails: one each, the PDF attached, none sent twice.
    wait_for(lambda: len(smtp_server.messages) >= 2, what="the agenda e-mails")
    assert sorted(m["To"] for m in smtp_server.messages) == sorted(
        [world.member_a.email, second.email]
    )
    for message in smtp_server.messages:
        (attachment,) = [
            part
            for part in message.iter_attachments()
            if part.get_content_type() == "application/pdf"
        ]
        assert attachment.get_content() == content
