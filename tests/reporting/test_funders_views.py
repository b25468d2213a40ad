"""Funders' reports on the Documents pages: who reads and downloads them (the documents'
policy: a dispositif's for its animateur and the coordination, the network's for the
coordination), the request form with the funding source and the revitalisation agreement,
its errors by the field, and regenerating one."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import uuid
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse

from alize.tenancy import scope
from loans import services as loan_services
from reporting import selectors
from reporting.forms import agreement_value
from reporting.models import Document, DocumentKind, DocumentScope, DocumentStatus
from tests.factories import OrganisationFactory
from tests.reporting.conftest import PDF_BYTES
from tests.view_base import WebDetailMixin, WebListMixin

AGREEMENT = "Convention Usine Nord 2025"


_periods = itertools.count()


def make_funders_document(dispositif, **fields):
    """A built funders' report (a small stored file) of a period of 2025 of its own, of
    ``dispositif`` or, for None, of the network."""
    days = next(_periods) % 300
    document = Document.objects.create(
        kind=DocumentKind.FUNDERS_REPORT,
        scope=DocumentScope.DISPOSITIF if dispositif is not None else DocumentScope.NATIONAL,
        dispositif=dispositif,
        source=fields.pop("source", "caisse_des_depots"),
        period_start=dt.date(2025, 1, 1),
        period_end=dt.date(2025, 12, 31) - dt.timedelta(days=days),
        title=f"Rapport aux financeurs témoin {uuid.uuid4().hex[:8]}",
        **fields,
    )
    name = f"financeurs-{document.pk}.pdf"
    document.file.save(name, ContentFile(PDF_BYTES), save=False)
    document.filename, document.content_type = name, "application/pdf"
    document.checksum = hashlib.sha256(PDF_BYTES).hexdigest()
    document.size, document.progress = len(PDF_BYTES), 100
    document.status = DocumentStatus.DONE
    document.save()
    return document


class TestFundersReportPages(WebListMixin, WebDetailMixin):
    """A dispositif's funders' report: its animateur and the coordination, not its
    committee members nor the partner firms."""

    list_url_name = "reporting:list"
    detail_url_name = "reporting:detail"
    readers = frozenset({"coordinator", "animateur"})

    def make(self, world, dispositif):
        return make_funders_document(dispositif)


class TestFundersReportDownload(WebDetailMixin):
    detail_url_name = "reporting:download"
    readers = frozenset({"coordinator", "animateur"})

    def make(self, world, dispositif):
        return make_funders_document(dispositif)


def test_the_networks_funders_report_is_the_coordinations(world, client):
    national = make_funders_document(None)
    for role in ("coordinator", "animateur", "animateur_b", "member", "correspondent"):
        user = world.user(role)
        readable = selectors.documents_for(user).filter(pk=national.pk).exists()
        assert readable == (role == "coordinator"), role
        client.force_login(user)
        status = client.get(reverse("reporting:download", args=[national.pk])).status_code
        assert status == (200 if role == "coordinator" else 404), role


@pytest.fixture
def agreement(world):
    """A revitalisation agreement paid into A's fund, and a Caisse des dépôts contribution
    in B."""
    firm = OrganisationFactory(name="Papeteries du Nord", kind="large_firm")
    funder = OrganisationFactory(name="Caisse des dépôts test", kind="funder")
    with scope(every_dispositif=True, reason="test setup"):
        fund_a = loan_services.fund_create(dispositif=world.a, name="Fonds A")
        fund_b = loan_services.fund_create(dispositif=world.b, name="Fonds B")
        loan_services.contribution_record(
            fund=fund_a,
            kind="revitalisation",
            organisation=firm,
            agreement=AGREEMENT,
            agreement_firm=firm,
            amount=Decimal("30000"),
            received_on=dt.date(2025, 3, 1),
            jobs_to_recreate=12,
            by=None,
        )
        loan_services.contribution_record(
            fund=fund_b,
            kind="caisse_des_depots",
            organisation=funder,
            amount=Decimal("10000"),
            received_on=dt.date(2025, 3, 1),
            by=None,
        )
    return firm


class TestFundersRequest:
    url = staticmethod(lambda: reverse("reporting:request"))

    def test_the_form_offers_the_sources_and_the_agreements_in_scope(
        self, world, client, agreement
    ):
        choice = agreement_value(agreement.pk, AGREEMENT)
        client.force_login(world.animateur_a)
        page = client.get(self.url()).content.decode()
        assert 'name="source"' in page and "Caisse des dépôts" in page
        assert 'name="period_start"' in page and 'name="file_format"' in page
        assert f'value="{choice}"' in page and "Papeteries du Nord" in page
        client.force_login(world.animateur_b)
        page = client.get(self.url()).content.decode()
        assert 'name="agreement"' in page and "Papeteries du Nord" not in page
        client.force_login(world.coordinator)
        assert f'value="{choice}"' in client.get(self.url()).content.decode()

    def test_errors_come_by_the_field(self, world, client, agreement):
        client.force_login(world.animateur_a)
        base = {"kind": "funders_report", "dispositif": world.a.pk, "year": 2025}
        choice = agreement_value(agreement.pk, AGREEMENT)
        cases = [
            ({}, "source"),
            ({"source": "revitalisation"}, "agreement"),
            ({"source": "caisse_des_depots", "agreement": choice}, "agreement"),
            ({"source": "esf", "period_start": "2025-06-01"}, "period_end"),
            (
                {"source": "esf", "period_start": "2025-06-01", "period_end": "2025-05-31"},
                "period_end",
            ),
            ({"source": "esf", "year": "", "period_start": "", "period_end": ""}, "year"),
            ({"source": "esf", "file_format": "docx"}, "file_format"),
        ]
        for extra, field in cases:
            response = client.post(self.url(), {**base, **extra})
            assert response.status_code == 400, extra
            errors = response.context["form"].errors
            assert field in errors, (extra, errors)
        page = response.content.decode()
        assert 'name="file_format"' in page
        assert not Document.objects.exists()

    def test_an_agreement_of_another_dispositif_is_not_offered(self, world, client, agreement):
        client.force_login(world.animateur_b)
        response = client.post(
            self.url(),
            {
                "kind": "funders_report",
                "dispositif": world.b.pk,
                "source": "revitalisation",
                "agreement": agreement_value(agreement.pk, AGREEMENT),
                "year": 2025,
            },
        )
        assert response.status_code == 400 and "agreement" in response.context["form"].errors
        assert not Document.objects.exists()

    def test_an_animateur_asks_for_their_agreements_report_over_a_period(
        self, world, client, agreement, django_capture_on_commit_callbacks
    ):
        client.force_login(world.animateur_a)
        data = {
            "kind": "funders_report",
            "dispositif": world.a.pk,
            "source": "revitalisation",
            "agreement": agreement_value(agreement.pk, AGREEMENT),
            "period_start": "2025-04-01",
            "period_end": "2025-09-30",
            "file_format": "xlsx",
        }
        with django_capture_on_commit_callbacks(execute=False) as queued:
            first = client.post(self.url(), data)
            second = client.post(self.url(), data)
        assert first.status_code == second.status_code == 302
        assert first["Location"] == second["Location"] and len(queued) == 1
        document = Document.objects.get()
        assert (document.scope, document.dispositif, document.year) == ("dispositif", world.a, None)
        assert (document.source, document.agreement, document.agreement_firm) == (
            "revitalisation",
            AGREEMENT,
            agreement,
        )
        assert (document.period_start, document.period_end, document.file_format) == (
            dt.date(2025, 4, 1),
            dt.date(2025, 9, 30),
            "xlsx",
        )
        assert "Rapport aux financeurs du 01/04/2025 au 30/09/2025" in document.title
        page = client.get(first["Location"]).content.decode()
        assert "Convention de revitalisation" in page and "Classeur XLSX" in page
        # The same agreement for the whole year 2025, asked by dates or by year, is one request.
        by_dates = {**data, "period_start": "2025-01-01", "period_end": "2025-12-31"}
        by_year = {**data, "period_start": "", "period_end": "", "year": 2025}
        assert (
            client.post(self.url(), by_dates)["Location"]
            == (client.post(self.url(), by_year)["Location"])
        )
        assert Document.objects.filter(year=2025, period_start=dt.date(2025, 1, 1)).count() == 1

    def test_the_coordination_asks_for_the_network_and_regenerates(
        self, world, client, agreement, django_capture_on_commit_callbacks
    ):
        client.force_login(world.coordinator)
        data = {"kind": "funders_report", "national": "on", "source": "caisse_des_depots"}
        with django_capture_on_commit_callbacks(execute=False):
            response = client.post(self.url(), {**data, "year": 2025})
        document = Document.objects.get()
        assert (document.scope, document.source, document.year) == (
            "national",
            "caisse_des_depots",
            2025,
        )
        Document.objects.filter(pk=document.pk).update(status="failed")
        with django_capture_on_commit_callbacks(execute=False) as queued:
            response = client.post(reverse("reporting:regenerate", args=[document.pk]))
        fresh = Document.objects.get(is_current=True)
        assert response["Location"] == reverse("reporting:detail", args=[fresh.pk])
        assert (fresh.version, fresh.source, fresh.period_end, len(queued)) == (
            2,
            "caisse_des_depots",
            dt.date(2025, 12, 31),
            1,
        )
        client.force_login(world.animateur_a)
        assert client.post(reverse("reporting:regenerate", args=[fresh.pk])).status_code == 404
