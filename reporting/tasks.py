"""Scheduled jobs of reporting (beat, ``CELERY_BEAT_SCHEDULE``): agendas due before their
committee, and the annual reports in January. The build of one document is
``reporting.runner.build_document``."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from alize.tasks import JobTask, ScopedTask
from committees.models import Committee, CommitteeStatus
from committees.services import committee_set_status

from . import delivery, selectors, services
from .models import DocumentKind
from .runner import build_document

__all__ = [
    "send_cancellations",
    "build_annual_reports",
    "build_dispositif_annual_report",
    "build_document",
    "send_due_agendas",
]


@shared_task(base=ScopedTask, national=True, name="reporting.tasks.send_due_agendas")
def send_due_agendas(*, dispositif) -> list[int]:
    """Daily: every planned committee sitting within ``agenda_days_before`` days moves to
    « agenda sent » and its agenda is built and mailed to the members. Fans out per
    dispositif (the selector reads the job's scope: this dispositif); a committee already
    past « planned » is left alone, so a second run sends nothing more. Returns the ids of
    the agenda documents asked for."""
    asked = []
    for committee in selectors.committees_due_for_agenda():
        committee_set_status(committee=committee, status=CommitteeStatus.AGENDA_SENT)
        document = services.document_request(kind=DocumentKind.AGENDA, committee=committee, by=None)
        asked.append(document.pk)
    return asked


@shared_task(base=ScopedTask, national=True, name="reporting.tasks.build_dispositif_annual_report")
def build_dispositif_annual_report(*, dispositif, year: int) -> int:
    """The annual report of one dispositif (asked once: an existing one is returned)."""
    return services.document_request(
        kind=DocumentKind.ANNUAL_REPORT, dispositif=dispositif, year=year, by=None
    ).pk


@shared_task(base=JobTask, bind=True, name="reporting.tasks.build_annual_reports")
def build_annual_reports(self, year: int | None = None) -> int:
    """In January (beat): last year's report of every dispositif (one job each, fanned
    out) and the national one. Returns the national document's id."""
    year = year or timezone.localdate().year - 1
    with transaction.atomic():
        national = services.document_request(
            kind=DocumentKind.ANNUAL_REPORT, national=True, year=year, by=None
        )
    if self.request.is_eager:
        build_dispositif_annual_report.apply(kwargs={"year": year})
    else:
        build_dispositif_annual_report.delay(year=year)
    return national.pk


@shared_task(base=ScopedTask, name="reporting.tasks.send_cancellations")
def send_cancellations(*, dispositif, committee_id: int) -> int:
    """A cancelled committee whose agenda was sent: each member receives the cancellation
    (METHOD:CANCEL) once. Returns how many messages went out now."""
    committee = Committee.objects.select_related("dispositif", "host").get(pk=committee_id)
    return delivery.deliver_cancellation(committee)
