"""Demo documents (seeded last): in every demo dispositif, the agenda of its latest past
committee and last year's annual report, and each demo partner firm's contribution
statement for last year, built by the same builders as the jobs, so the Documents page is
never empty: synchronously, or by the worker once the platform runs when the seed is asked
to do its slow work later (``make run``: the platform answers before the PDFs are built).
Nothing is e-mailed. A document already built is kept (running twice builds nothing)."""

from __future__ import annotations

import time

from django.utils import timezone

from alize import demo
from alize.demo import Log, register_seeder
from committees.models import Committee, CommitteeStatus
from dispositifs.demo import DISPOSITIFS
from dispositifs.models import Dispositif
from partners.demo import FIRMS
from partners.models import Organisation

from . import runner, services
from .models import DocumentKind, DocumentStatus


def _build(document) -> bool:
    """Build a new demo document now, or queue its build (without e-mails) for the worker
    when the seed runs ``later``; False when it was there already."""
    if document.status == DocumentStatus.DONE:
        return False
    if demo.later():
        runner.build_document.enqueue(
            document_id=document.pk, dispositif_id=document.dispositif_id, deliver=False
        )
        return True
    with runner.document_scope(document):
        runner.build_and_store(document.pk)
    return True


@register_seeder(90)
def seed_documents(log: Log) -> None:
    started = time.monotonic()
    today = timezone.localdate()
    built = 0
    for spec in DISPOSITIFS:
        dispositif = Dispositif.objects.get(slug=spec.slug)
        past = (
            Committee.objects.filter(
                dispositif=dispositif,
                date__lt=today,
                status__in=(CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT),
                items__isnull=False,
            )
            .order_by("-date", "-id")
            .first()
        )
        if past is not None:
            agenda, _created = services.document_find_or_create(
                kind=DocumentKind.AGENDA, committee=past, by=None
            )
            built += _build(agenda)
        report, _created = services.document_find_or_create(
            kind=DocumentKind.ANNUAL_REPORT, dispositif=dispositif, year=today.year - 1, by=None
        )
        built += _build(report)
    for firm in Organisation.objects.filter(slug__in=list(FIRMS)).order_by("slug"):
        statement, _created = services.document_find_or_create(
            kind=DocumentKind.CONTRIBUTION_STATEMENT,
            organisation=firm,
            year=today.year - 1,
            by=None,
        )
        built += _build(statement)
    if demo.later():
        log(f"{built} document(s) queued for the worker")
    else:
        log(f"{built} document(s) built in {time.monotonic() - started:.1f} s")
