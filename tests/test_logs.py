"""Structured logs (alize/logs.py): each request has an id, answered in ``X-Request-ID``;
log lines carry it with the user's id and the dispositif of the scope, as JSON in
production; the jobs a request queues record the id, and a real worker's log lines for
that job carry it."""

from __future__ import annotations

import io
import json
import logging

import pytest
from django.urls import reverse

from alize.logs import JsonFormatter, LogContextFilter, log_context, logging_config
from alize.models import Job, JobStatus
from alize.tenancy import scope
from tests.celery_worker import fresh_queue, worker_process
from tests.factories import UserFactory
from tests.reporting.test_jobs import wait_for


def json_lines(emit) -> list[dict]:
    """What ``emit(logger)`` logs, through the production handler's filter and format."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(LogContextFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("alize.tests.logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        emit(logger)
    finally:
        logger.removeHandler(handler)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_carries_the_request_the_user_and_the_dispositif():
    def emit(logger):
        with log_context(request_id="req-0123456789", user_id=42), scope([7]):
            logger.info("Relevé de %s enregistré", "juin")
        with scope(every_dispositif=True, reason="a national job"):
            logger.warning("National")
        try:
            raise ValueError("Oups")
        except ValueError:
            logger.exception("Échec")

    first, national, failure = json_lines(emit)
    assert first["message"] == "Relevé de juin enregistré"
    assert (first["level"], first["logger"]) == ("INFO", "alize.tests.logs")
    assert (first["request_id"], first["user_id"], first["dispositif"]) == (
        "req-0123456789",
        42,
        "7",
    )
    assert first["time"].endswith("+00:00")
    assert national["dispositif"] == "*" and "request_id" not in national
    assert "ValueError: Oups" in failure["exception"]


def test_production_logs_are_json_and_local_ones_plain():
    assert logging_config("json")["formatters"]["platform"] == {"()": "alize.logs.JsonFormatter"}
    assert logging_config("text")["formatters"]["platform"] == {"format": "%(message)s"}
    handler = logging_config("json")["handlers"]["console"]
    assert handler["filters"] == ["context"]


@pytest.mark.django_db
def test_each_request_gets_an_id_and_keeps_a_sane_one_from_the_proxy(client):
    first = client.get(reverse("login"))["X-Request-ID"]
    second = client.get(reverse("login"))["X-Request-ID"]
    assert len(first) == 32 and first != second
    kept = client.get(reverse("login"), HTTP_X_REQUEST_ID="caddy-7f3a9c2e")
    assert kept["X-Request-ID"] == "caddy-7f3a9c2e"
    odd = client.get(reverse("login"), HTTP_X_REQUEST_ID="<script>")
    assert odd["X-Request-ID"] != "<script>" and len(odd["X-Request-ID"]) == 32


@pytest.mark.celery
def test_the_request_id_follows_the_job_it_queues_into_the_worker(
    transactional_db, client, tmp_path
):
    user = UserFactory(email="anne@example.org")
    user.set_password("ancien-mot-de-passe-2026")
    user.save()
    log = tmp_path / "worker.log"
    with (
        fresh_queue() as (_broker, queue),
        worker_process(log, queue=queue, env={"LOG_FORMAT": "json"}),
    ):
        response = client.post(
            reverse("password_reset"),
            {"email": "anne@example.org"},
            HTTP_X_REQUEST_ID="req-reset-0123456789",
        )
        assert response["X-Request-ID"] == "req-reset-0123456789"
        job = Job.objects.get(task_name="alize.accounts.tasks.send_password_reset")
        assert job.request_id == "req-reset-0123456789"
        done = wait_for(
            lambda: Job.objects.filter(pk=job.pk, status=JobStatus.DONE).exists(),
            what="the mail job",
        )
        assert done
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    mine = [line for line in lines if line.get("job_id") == str(job.pk)]
    assert [line["message"].split(",")[0] for line in mine] == [
        f"Job {job.pk} (alize.accounts.tasks.send_password_reset) started",
        f"Job {job.pk} (alize.accounts.tasks.send_password_reset) done.",
    ]
    assert {line["request_id"] for line in mine} == {"req-reset-0123456789"}
