"""Documents API: list and retrieve for the documents' readers, nothing written."""

from django.urls import reverse

from reporting.models import Document, DocumentKind
from tests.api_base import APIReadOnlyTestBase
from tests.conftest import api_client_for
from tests.reporting.conftest import make_document


class DocumentRouteBase:
    basename = "document"
    model = Document

    def rows(self):
        return Document.objects.count()


class TestAgendaDocumentsAPI(DocumentRouteBase, APIReadOnlyTestBase):
    readers = frozenset({"coordinator", "animateur", "member"})

    def make(self, world, dispositif):
        return make_document(dispositif, kind=DocumentKind.AGENDA)


class TestAnnualReportDocumentsAPI(DocumentRouteBase, APIReadOnlyTestBase):
    readers = frozenset({"coordinator", "animateur"})

    def make(self, world, dispositif):
        return make_document(dispositif)


def test_document_carries_its_download_link_once_done(world):
    done = make_document(world.a)
    running = make_document(world.a, status="running", progress=30)
    api = api_client_for(world.animateur_a)
    rows = {row["id"]: row for row in api.get(reverse("api:document-list")).json()["results"]}
    assert rows[done.pk]["download_url"].endswith(reverse("reporting:download", args=[done.pk]))
    assert rows[done.pk]["checksum"] == done.checksum
    assert rows[running.pk]["download_url"] is None and rows[running.pk]["progress"] == 30
