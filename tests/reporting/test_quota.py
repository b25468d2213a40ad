"""The documents quota: a person has at most ``DOCUMENT_QUEUE_LIMIT`` (5) documents queued
or running; beyond, the service refuses (429 with ``Retry-After``) on every door."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from alize.api.exceptions import exception_handler
from alize.errors import TooManyRequests
from alize.tenancy import scope
from committees import services as committee_services
from committees.models import Committee
from reporting import services
from reporting.models import Document, DocumentKind, DocumentStatus
from tests.clock import TODAY
from tests.reporting.conftest import make_document

# The documents made before a test asks its own (for 2019–2024) are of years apart, each
# its own: a made document of an asked year is the one a request finds, and would not count.
MADE_YEARS = range(2000, 2019)

REFUSAL = "Vous avez déjà 5 documents en préparation : réessayez quand l'un d'eux sera prêt."


def ask(client, year):
    return client.post(
        reverse("reporting:request"),
        {"kind": "annual_report", "dispositif": client.dispositif.pk, "year": year},
    )


@pytest.fixture
def animateur(world, client):
    client.force_login(world.animateur_a)
    client.dispositif = world.a
    return client


def test_the_default_limit_is_five():
    assert settings.DOCUMENT_QUEUE_LIMIT == 5


def test_the_sixth_document_being_built_is_refused_on_the_web_with_a_message(world, animateur):
    for year in range(2019, 2024):
        assert ask(animateur, year).status_code == 302
    refused = ask(animateur, 2024)
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(settings.DOCUMENT_QUEUE_RETRY_AFTER)
    assert refused.context["form"].non_field_errors() == [REFUSAL]
    assert REFUSAL.replace("'", "&#x27;") in refused.content.decode()
    assert Document.objects.filter(requested_by=world.animateur_a).count() == 5


def test_the_refusal_reaches_the_api_as_429_with_retry_after(world):
    for year in MADE_YEARS[:5]:
        make_document(
            world.a, status=DocumentStatus.QUEUED, requested_by=world.animateur_a, year=year
        )
    with pytest.raises(TooManyRequests) as refused:
        services.document_request(
            kind=DocumentKind.ANNUAL_REPORT, dispositif=world.a, year=2024, by=world.animateur_a
        )
    response = exception_handler(refused.value, {})
    assert response.status_code == 429
    assert response["Retry-After"] == str(settings.DOCUMENT_QUEUE_RETRY_AFTER)
    assert (response.data["code"], response.data["message"]) == ("document_quota", REFUSAL)


def test_finished_documents_do_not_count(world, animateur):
    statuses = [DocumentStatus.DONE] * 4 + [DocumentStatus.FAILED] * 3 + [DocumentStatus.RUNNING]
    for status, year in zip(statuses, MADE_YEARS, strict=False):
        make_document(world.a, status=status, requested_by=world.animateur_a, year=year)
    for year in range(2020, 2024):
        assert ask(animateur, year).status_code == 302
    assert ask(animateur, 2024).status_code == 429
    Document.objects.filter(status=DocumentStatus.RUNNING).update(status=DocumentStatus.FAILED)
    assert ask(animateur, 2024).status_code == 302


def test_the_quota_is_each_persons_own(world, client):
    for year in MADE_YEARS[:5]:
        make_document(
            world.a, status=DocumentStatus.QUEUED, requested_by=world.animateur_a, year=year
        )
    make_document(world.a, status=DocumentStatus.QUEUED, year=MADE_YEARS[5])  # asked by a job
    client.force_login(world.coordinator)
    client.dispositif = world.a
    assert ask(client, 2024).status_code == 302


def test_jobs_and_committee_moves_are_never_refused(world, sitting):
    for year in MADE_YEARS[:5]:
        make_document(
            world.a, status=DocumentStatus.QUEUED, requested_by=world.animateur_a, year=year
        )
    report = services.document_request(
        kind=DocumentKind.ANNUAL_REPORT, dispositif=world.a, year=2024, by=None
    )
    assert report.status == DocumentStatus.QUEUED
    Committee.unscoped_objects.filter(pk=sitting.committee.pk).update(
        date=TODAY + dt.timedelta(days=5)
    )
    sitting.committee.refresh_from_db()
    with scope([world.a]):
        committee_services.committee_set_status(
            committee=sitting.committee, status="agenda_sent", by=world.animateur_a
        )
    agenda = Document.objects.get(kind=DocumentKind.AGENDA)
    assert agenda.requested_by == world.animateur_a
