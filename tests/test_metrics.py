"""/metrics/ (alize/metrics.py): Prometheus metrics of requests, the database, the Celery
queues (read from the real Redis) and the jobs, answered inside the deployment or with the
token only."""

from __future__ import annotations

import re

import pytest
import redis
from django.conf import settings
from django.urls import reverse

from alize.models import JobFailure

pytestmark = pytest.mark.django_db

PROXIED = {"HTTP_X_FORWARDED_FOR": "203.0.113.9"}  # what the reverse proxy adds


def metric(text: str, name: str, labels: str = "") -> float:
    found = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.MULTILINE)
    assert found, f"{name}{labels} not in the metrics"
    return float(found.group(1))


@pytest.fixture
def broker():
    """The suite's Redis, its platform queues emptied before and after."""
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*settings.ALIZE_QUEUES)
    yield client
    client.delete(*settings.ALIZE_QUEUES)


def test_requests_database_queues_and_jobs_are_measured(
    client, broker, django_capture_on_commit_callbacks
):
    from alize.accounts.tasks import send_password_reset

    client.get(reverse("login"))
    with django_capture_on_commit_callbacks(execute=True):
        send_password_reset.enqueue(user_id=1, key="metrics-test")
    JobFailure.objects.create(task_name="reporting.runner.build_document", error="Oups")

    response = client.get(reverse("metrics"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert metric(text, "django_http_requests_total_by_method_total", '{method="GET"}') >= 1
    assert "django_http_requests_latency_seconds_by_view_method_bucket" in text
    assert metric(text, "django_db_execute_total", '{alias="default",vendor="postgresql"}') > 0
    assert metric(text, "alize_celery_queue_length", '{queue="mail"}') == 1
    assert metric(text, "alize_celery_queue_length", '{queue="documents"}') == 0
    assert metric(text, "alize_jobs", '{status="queued"}') == 1
    assert metric(text, "alize_job_failures") == 1


def test_through_the_proxy_or_from_outside_there_is_nothing_there(client, settings):
    settings.METRICS_TOKEN = "jeton-de-mesure-0123456789"
    assert client.get(reverse("metrics"), **PROXIED).status_code == 404
    public = {"REMOTE_ADDR": "80.67.169.12"}
    assert client.get(reverse("metrics"), **public).status_code == 404
    wrong = {"HTTP_AUTHORIZATION": "Bearer autre-jeton"}
    assert client.get(reverse("metrics"), **PROXIED, **wrong).status_code == 404


def test_the_token_opens_it_from_anywhere(client, settings):
    settings.METRICS_TOKEN = "jeton-de-mesure-0123456789"
    bearer = {"HTTP_AUTHORIZATION": "Bearer jeton-de-mesure-0123456789"}
    assert client.get(reverse("metrics"), **PROXIED, **bearer).status_code == 200


def test_without_a_token_only_the_inside_reads_it(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer ").status_code == 200
    assert (
        client.get(reverse("metrics"), HTTP_AUTHORIZATION="Bearer ", **PROXIED).status_code == 404
    )
    settings.METRICS_FROM_INSIDE = False
    assert client.get(reverse("metrics")).status_code == 404
