"""/health/ (alize/health.py): 200 with every part up, 503 naming the failing ones. The
parts are real: the test database, the Redis of the suite, the documents' folder or the
bucket of the test S3 server, and a real Celery worker process answering a ping."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.celery_worker import real_worker
from tests.ops.stack_helpers import wait_until

pytestmark = pytest.mark.django_db

WEB_PARTS = "?part=database&part=redis&part=storage"


@pytest.fixture
def documents_folder(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "reporting.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    return tmp_path


@pytest.mark.celery
def test_every_part_up_answers_200(client, documents_folder, tmp_path):
    with real_worker(tmp_path / "worker.log"):
        # 503 naming the worker until the process is up and answers.
        response = wait_until(
            lambda: (answer := client.get(reverse("health"))).status_code == 200 and answer, 60
        ) or client.get(reverse("health"))
    assert response.status_code == 200, response.json()
    assert response.json() == {
        "status": "ok",
        "failing": [],
        "checks": {"database": "ok", "redis": "ok", "storage": "ok", "worker": "ok"},
    }
    assert response["Cache-Control"].startswith("max-age=0")


def test_no_worker_answering_is_named(client, documents_folder, settings):
    # The suite's own Redis database, where no worker listens.
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["worker"]


def test_web_parts_only_leave_the_workers_to_their_own_check(client, documents_folder):
    response = client.get(reverse("health") + WEB_PARTS)
    assert response.status_code == 200
    assert set(response.json()["checks"]) == {"database", "redis", "storage"}


def test_redis_away_is_named_and_the_worker_with_it(client, documents_folder, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    response = client.get(reverse("health") + WEB_PARTS + "&part=worker")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "failing"
    assert body["failing"] == ["redis", "worker"]
    assert body["checks"]["database"] == "ok"
    assert "Connection" not in response.content.decode()  # parts named, errors only logged


def test_a_missing_documents_folder_is_named(client, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "documents": {
            "BACKEND": "reporting.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "absent")},
        },
    }
    response = client.get(reverse("health") + WEB_PARTS)
    assert (response.status_code, response.json()["failing"]) == (503, ["storage"])


def test_the_bucket_is_checked_under_object_storage(client, s3_server, s3_documents, settings):
    assert client.get(reverse("health") + WEB_PARTS).status_code == 200
    s3 = s3_server.client()
    s3.delete_bucket(Bucket=s3_documents["STORAGE_S3_BUCKET"])
    response = client.get(reverse("health") + WEB_PARTS)
    assert (response.status_code, response.json()["failing"]) == (503, ["storage"])


def test_an_unknown_part_is_refused(client):
    response = client.get(reverse("health") + "?part=everything")
    assert response.status_code == 400
    assert response.json()["parts"] == ["database", "redis", "storage", "worker"]


def test_health_and_metrics_only_answer_reads(client):
    assert client.post(reverse("health")).status_code == 405
    assert client.post(reverse("metrics")).status_code == 405
