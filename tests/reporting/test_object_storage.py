"""Documents in an S3-compatible object store (alize/settings/storage.py): a real Celery
worker process builds the annual report into a bucket of a real S3 server started for the
tests (moto's), and the web reads it back through the scoped download view only."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from alize.tenancy import scope
from reporting import services
from reporting.models import DocumentKind, DocumentStatus
from reporting.storage import documents_storage
from tests.celery_worker import fresh_queue, worker_process
from tests.reporting.conftest import make_document
from tests.reporting.test_jobs import fresh, wait_for

pytestmark = pytest.mark.celery


def test_a_document_written_by_a_worker_to_the_bucket_is_downloaded_by_its_readers_only(
    world, transactional_db, tmp_path, s3_server, s3_documents, client
):
    log = tmp_path / "worker.log"
    with fresh_queue() as (_broker, queue), worker_process(log, queue=queue, env=s3_documents):
        with scope([world.a]):
            document = services.document_request(
                kind=DocumentKind.ANNUAL_REPORT, dispositif=world.a, year=2026, by=None
            )
        done = wait_for(lambda: fresh(document).finished and fresh(document), what="the report")
    assert done.status == DocumentStatus.DONE, (done.error, log.read_text())

    # The worker wrote one private object under the documents' prefix, nothing on disk.
    bucket = s3_documents["STORAGE_S3_BUCKET"]
    s3 = s3_server.client()
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert keys == [f"documents/{done.file.name}"]
    stored = s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read()
    assert hashlib.sha256(stored).hexdigest() == done.checksum
    grants = s3.get_object_acl(Bucket=bucket, Key=keys[0])["Grants"]
    assert [grant["Permission"] for grant in grants] == ["FULL_CONTROL"]  # the owner only
    assert "AllUsers" not in str(grants)

    # The animateur of A downloads it through the view, streamed from the bucket.
    client.force_login(world.animateur_a)
    response = client.get(reverse("reporting:download", args=[done.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == stored

    # Another dispositif's animateur, and a firm's correspondent, find no such document.
    for outsider in (world.animateur_b, world.correspondent_a):
        client.force_login(outsider)
        assert client.get(reverse("reporting:download", args=[done.pk])).status_code == 404


def test_a_document_missing_from_the_bucket_answers_404(world, s3_documents, client):
    document = make_document(world.a)
    assert documents_storage().exists(document.file.name)
    documents_storage().delete(document.file.name)
    client.force_login(world.animateur_a)
    assert client.get(reverse("reporting:download", args=[document.pk])).status_code == 404


def test_uploads_go_to_the_same_bucket_under_their_own_prefix(s3_server, s3_documents):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage

    name = default_storage.save("imports/entreprises.csv", ContentFile(b"siren;nom\n"))
    bucket = s3_documents["STORAGE_S3_BUCKET"]
    body = s3_server.client().get_object(Bucket=bucket, Key=f"uploads/{name}")["Body"].read()
    assert body == b"siren;nom\n"


def test_without_a_bucket_files_stay_in_local_folders():
    from alize.settings.storage import file_storages

    storages = file_storages("/srv/documents", environ={})
    assert storages["documents"]["BACKEND"] == "reporting.storage.AtomicFileSystemStorage"
    assert storages["documents"]["OPTIONS"]["location"] == "/srv/documents"
    assert storages["default"]["BACKEND"] == "django.core.files.storage.FileSystemStorage"
