"""Jobs of reporting, run eagerly: the committee's status asks for its agenda and minutes,
the daily agenda job and the January reports ask once, and a build that fails or times out
leaves a clean message on the row and a recorded failure."""

from __future__ import annotations

import datetime as dt

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.urls import reverse

from alize.models import JobFailure
from alize.tenancy import scope
from committees import services as committee_services
from committees.models import Committee, CommitteeStatus
from dispositifs.models import Dispositif
from reporting import builders, services
from reporting.models import Document, DocumentKind, DocumentScope, DocumentStatus
from reporting.runner import build_document
from reporting.tasks import build_annual_reports, send_due_agendas
from tests.factories import CommitteeFactory


def test_beat_schedules_are_declared():
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["reporting-agendas"]["task"] == send_due_agendas.name
    assert schedule["reporting-annual-reports"]["task"] == build_annual_reports.name


def test_moving_a_committee_to_agenda_sent_asks_for_its_agenda(
    world, client, sitting, django_capture_on_commit_callbacks
):
    Committee.unscoped_objects.filter(pk=sitting.committee.pk).update(date=dt.date(2026, 6, 15))
    client.force_login(world.animateur_a)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            reverse("committees:set-status", args=[sitting.committee.pk]),
            {"status": "agenda_sent", "confirmed": "1"},
        )
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.kind, document.committee_id, document.requested_by) == (
        DocumentKind.AGENDA,
        sitting.committee.pk,
        world.animateur_a,
    )
    assert len(queued) == 1


def test_minutes_are_asked_for_when_minutes_are_sent(
    world, sitting, django_capture_on_commit_callbacks
):
    with scope([world.a]), django_capture_on_commit_callbacks(execute=False) as queued:
        committee_services.committee_set_status(committee=sitting.committee, status="held")
        committee_services.committee_set_status(
            committee=sitting.committee, status="minutes_sent", by=world.animateur_a
        )
    assert list(Document.objects.values_list("kind", flat=True)) == [DocumentKind.MINUTES]
    assert len(queued) == 1


def test_a_status_change_that_rolls_back_leaves_no_document(world, sitting):
    from django.db import transaction

    with scope([world.a]), pytest.raises(RuntimeError), transaction.atomic():
        committee_services.committee_set_status(
            committee=sitting.committee, status="held", by=world.animateur_a
        )
        committee_services.committee_set_status(
            committee=sitting.committee, status="minutes_sent", by=world.animateur_a
        )
        raise RuntimeError("rolled back")
    assert not Document.objects.exists()


def test_daily_job_sends_the_agendas_due_once(world, django_capture_on_commit_callbacks):
    # On 10 June: A sends 10 days ahead, B the default 7.
    Dispositif.unscoped_objects.filter(pk=world.a.pk).update(agenda_days_before=10)
    due = CommitteeFactory(dispositif=world.a, date=dt.date(2026, 6, 20))
    later = CommitteeFactory(dispositif=world.a, date=dt.date(2026, 6, 21))
    b_soon = CommitteeFactory(dispositif=world.b, date=dt.date(2026, 6, 16))
    b_later = CommitteeFactory(dispositif=world.b, date=dt.date(2026, 6, 18))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        send_due_agendas.apply()
        send_due_agendas.apply()
    statuses = dict(Committee.unscoped_objects.values_list("pk", "status"))
    assert statuses[due.pk] == statuses[b_soon.pk] == CommitteeStatus.AGENDA_SENT
    assert statuses[later.pk] == statuses[b_later.pk] == CommitteeStatus.PLANNED
    assert set(Document.objects.values_list("committee_id", flat=True)) == {due.pk, b_soon.pk}
    assert len(queued) == 2


def test_january_job_asks_for_every_report_once(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        build_annual_reports.apply(kwargs={"year": 2025})
        build_annual_reports.apply(kwargs={"year": 2025})
    reports = Document.objects.filter(kind=DocumentKind.ANNUAL_REPORT, year=2025)
    assert sorted(reports.values_list("scope", "dispositif_id")) == sorted(
        [
            (DocumentScope.DISPOSITIF, world.a.pk),
            (DocumentScope.DISPOSITIF, world.b.pk),
            (DocumentScope.NATIONAL, None),
        ]
    )


def report(world) -> Document:
    with scope([world.a]):
        return services.document_request(
            kind=DocumentKind.ANNUAL_REPORT, dispositif=world.a, year=2025, by=None
        )


def test_eager_build_is_done_and_a_second_run_changes_nothing(world):
    document = report(world)
    assert build_document.apply(kwargs={"document_id": document.pk}).get() == DocumentStatus.DONE
    done = Document.objects.get(pk=document.pk)
    build_document.apply(kwargs={"document_id": document.pk}).get()
    again = Document.objects.get(pk=document.pk)
    assert (again.attempts, again.checksum, again.file.name) == (1, done.checksum, done.file.name)


def test_a_failing_build_says_so_cleanly(world, monkeypatch):
    def broken(document, progress):
        raise ValueError("données incohérentes")

    monkeypatch.setitem(builders.BUILDERS, DocumentKind.ANNUAL_REPORT, broken)
    document = report(world)
    result = build_document.apply(kwargs={"document_id": document.pk})
    assert isinstance(result.result, ValueError)
    failed = Document.objects.get(pk=document.pk)
    assert (failed.status, failed.error) == (
        DocumentStatus.FAILED,
        "La construction du document a échoué.",
    )
    assert JobFailure.objects.get().error == "ValueError: données incohérentes"
    # Asking again after a failure gives a new version.
    assert report(world).version == 2


def test_the_soft_time_limit_fails_the_document_with_a_clean_message(world, monkeypatch):
    def too_slow(document, progress):
        raise SoftTimeLimitExceeded()

    monkeypatch.setitem(builders.BUILDERS, DocumentKind.ANNUAL_REPORT, too_slow)
    document = report(world)
    build_document.apply(kwargs={"document_id": document.pk})
    failed = Document.objects.get(pk=document.pk)
    assert failed.status == DocumentStatus.FAILED
    assert failed.error.startswith("Le document a pris plus de 10 minutes")
    assert not failed.file


def test_a_transient_error_is_retried_then_fails_cleanly(world, monkeypatch):
    from django.db import OperationalError

    calls = []

    def flaky(document, progress):
        calls.append(1)
        raise OperationalError("connection refused")

    monkeypatch.setitem(builders.BUILDERS, DocumentKind.ANNUAL_REPORT, flaky)
    document = report(world)
    result = build_document.apply(kwargs={"document_id": document.pk})
    assert len(calls) == 1 + build_document.max_retries, "tried again, then given up"
    assert isinstance(result.result, OperationalError)
    failed = Document.objects.get(pk=document.pk)
    assert (failed.status, failed.attempts) == (DocumentStatus.FAILED, 6)
    assert failed.error == "Service momentanément indisponible ; réessayez plus tard."
