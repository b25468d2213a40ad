"""Write side of reporting: asking for a document (idempotent) and regenerating one.

A request names what it wants (kind, the dispositif or the network, the committee, the
year, the language; for a funders' report the funding source, the revitalisation
agreement, the year or the period, and the format). While a document for the same
request is queued, running or done, asking again returns it; a failed one, or
``regenerate=True`` once it is built, gives a new version that supersedes it. The build
is recorded in the job outbox and queued once the transaction commits
(``reporting.runner``); asking again (or regenerating) while it is queued or running sends
a build that a crash left stale again, at once, without waiting for the sweeper. A person
has at most ``DOCUMENT_QUEUE_LIMIT`` documents being built.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alize.errors import ApplicationError, TooManyRequests
from committees.models import Committee, CommitteeStatus
from loans.indicators import funder_contributions
from loans.models import Advance, AdvanceStatus, ContributionKind
from partners.models import OrganisationKind

from .models import (
    ADVANCE_KINDS,
    LIVE_STATUSES,
    Document,
    DocumentFormat,
    DocumentKind,
    DocumentScope,
    DocumentStatus,
)
from .runner import build_document

FIRST_REPORT_YEAR = 1997  # Alizé's first year
BUILDING = (DocumentStatus.QUEUED, DocumentStatus.RUNNING)


def _language(language: str | None, by) -> str:
    chosen = language or getattr(by, "language", "") or settings.LANGUAGE_CODE
    if chosen not in dict(settings.LANGUAGES):
        raise ApplicationError(
            _("Langue inconnue : %(code)s.") % {"code": chosen}, field="language"
        )
    return chosen


# What a request that is not a funders' report leaves empty.
NOT_FUNDERS = {
    "source": "",
    "agreement": "",
    "agreement_firm": None,
    "period_start": None,
    "period_end": None,
    "file_format": DocumentFormat.PDF,
}


def _funders_title(key: dict, dispositif) -> str:
    source = str(ContributionKind(key["source"]).label)
    if key["agreement"]:
        source = f"{source} « {key['agreement']} » ({key['agreement_firm'].name})"
    if key["year"]:
        period = str(key["year"])
    else:
        period = _("du %(start)s au %(end)s") % {
            "start": date_format(key["period_start"], "SHORT_DATE_FORMAT"),
            "end": date_format(key["period_end"], "SHORT_DATE_FORMAT"),
        }
    return _("Rapport aux financeurs %(period)s — %(source)s — %(subject)s (%(format)s)") % {
        "period": period,
        "source": source,
        "subject": dispositif.name if dispositif is not None else _("national"),
        "format": DocumentFormat(key["file_format"]).label,
    }


def _title(
    kind: str, *, committee=None, dispositif=None, organisation=None, year=None, advance=None
) -> str:
    if kind == DocumentKind.CONTRACT:
        return _("Contrat d'avance remboursable %(reference)s — %(company)s") % {
            "reference": advance.reference,
            "company": advance.project.company.name,
        }
    if kind == DocumentKind.AMENDMENT:
        return _("Avenant n° %(number)s au contrat %(reference)s — %(company)s") % {
            "number": advance.schedule_version - 1,
            "reference": advance.reference,
            "company": advance.project.company.name,
        }
    if kind == DocumentKind.AGENDA:
        return _("Ordre du jour du comité du %(date)s — %(dispositif)s") % {
            "date": date_format(committee.date, "SHORT_DATE_FORMAT"),
            "dispositif": committee.dispositif.name,
        }
    if kind == DocumentKind.MINUTES:
        return _("Relevé de décisions du comité du %(date)s — %(dispositif)s") % {
            "date": date_format(committee.date, "SHORT_DATE_FORMAT"),
            "dispositif": committee.dispositif.name,
        }
    if kind == DocumentKind.CONTRIBUTION_STATEMENT:
        return _("Attestation de contribution %(year)s — %(firm)s") % {
            "year": year,
            "firm": organisation.name,
        }
    return _("Rapport annuel d'impact %(year)s — %(subject)s") % {
        "year": year,
        "subject": dispositif.name if dispositif is not None else _("national"),
    }


def _checked_year(year) -> int:
    this_year = timezone.localdate().year
    if year is None or not FIRST_REPORT_YEAR <= year <= this_year:
        raise ApplicationError(
            _("Choisissez une année entre %(first)s et %(last)s.")
            % {"first": FIRST_REPORT_YEAR, "last": this_year},
            field="year",
        )
    return year


def _advance_key(kind: str, advance: Advance | None) -> dict:
    """A contract of an advance, or the amendment of an advance's current schedule (once
    rescheduled)."""
    if advance is None:
        raise ApplicationError(_("Choisissez une avance."), field="advance")
    if kind == DocumentKind.AMENDMENT and advance.schedule_version < 2:
        raise ApplicationError(
            _("Un avenant suit un rééchelonnement de l'avance."), field="advance"
        )
    return {
        "kind": kind,
        "scope": DocumentScope.DISPOSITIF,
        "dispositif": advance.dispositif,
        "organisation": None,
        "committee": None,
        "year": None,
        "advance": advance,
        "schedule_version": advance.schedule_version if kind == DocumentKind.AMENDMENT else None,
    }


NOT_ADVANCE = {"advance": None, "schedule_version": None}


def _check_contract_may_change(advance: Advance) -> None:
    """A contract is produced (or produced again) while the advance is only approved: once
    signed, the signed version stays the advance's contract."""
    if advance.status != AdvanceStatus.APPROVED:
        raise ApplicationError(
            _(
                "Le contrat se produit pour une avance accordée, avant sa signature : "
                "une avance « %(status)s » garde le contrat signé."
            )
            % {"status": advance.get_status_display()},
            field="advance",
        )


def _request_key(*, kind, committee, dispositif, organisation, year, national, advance=None):
    """The fields that say which document is asked for, validated per kind."""
    if kind in ADVANCE_KINDS:
        return _advance_key(kind, advance)
    if kind in (DocumentKind.AGENDA, DocumentKind.MINUTES):
        if committee is None:
            raise ApplicationError(_("Choisissez un comité."), field="committee")
        if kind == DocumentKind.MINUTES and committee.status not in (
            CommitteeStatus.HELD,
            CommitteeStatus.MINUTES_SENT,
        ):
            raise ApplicationError(
                _("Le relevé de décisions suit la tenue du comité."), field="committee"
            )
        return {
            "kind": kind,
            "scope": DocumentScope.DISPOSITIF,
            "dispositif": committee.dispositif,
            "organisation": None,
            "committee": committee,
            "year": committee.date.year,
        }
    if kind == DocumentKind.CONTRIBUTION_STATEMENT:
        if organisation is None or organisation.kind != OrganisationKind.LARGE_FIRM:
            raise ApplicationError(_("Choisissez une entreprise partenaire."), field="organisation")
        return {
            "kind": kind,
            "scope": DocumentScope.FIRM,
            "dispositif": None,
            "organisation": organisation,
            "committee": None,
            "year": _checked_year(year),
        }
    if kind == DocumentKind.ANNUAL_REPORT:
        _checked_year(year)
        if national == (dispositif is not None):
            raise ApplicationError(
                _("Un rapport porte sur un dispositif ou sur le réseau national."),
                field="dispositif",
            )
        return {
            "kind": kind,
            "scope": DocumentScope.NATIONAL if national else DocumentScope.DISPOSITIF,
            "dispositif": dispositif,
            "organisation": None,
            "committee": None,
            "year": year,
        }
    if kind == DocumentKind.FUNDERS_REPORT:
        if national == (dispositif is not None):
            raise ApplicationError(
                _("Un rapport porte sur un dispositif ou sur le réseau national."),
                field="dispositif",
            )
        return {
            "kind": kind,
            "scope": DocumentScope.NATIONAL if national else DocumentScope.DISPOSITIF,
            "dispositif": dispositif,
            "organisation": None,
            "committee": None,
        }
    raise ApplicationError(_("Type de document inconnu."), field="kind")


def _funders_period(year, start, end) -> tuple[int | None, dt.date, dt.date]:
    """A year, or a period (its two dates given, the second not before the first, within
    the years a report may cover). A period that is one calendar year is that year."""
    if start is None and end is None:
        year = _checked_year(year)
        return year, dt.date(year, 1, 1), dt.date(year, 12, 31)
    if start is None or end is None:
        field = "period_start" if start is None else "period_end"
        raise ApplicationError(
            _("Une période a une date de début et une date de fin."), field=field
        )
    for day, field in ((start, "period_start"), (end, "period_end")):
        if not FIRST_REPORT_YEAR <= day.year <= timezone.localdate().year:
            raise ApplicationError(
                _("Choisissez une date entre %(first)s et %(last)s.")
                % {"first": FIRST_REPORT_YEAR, "last": timezone.localdate().year},
                field=field,
            )
    if end < start:
        raise ApplicationError(_("La période finit avant de commencer."), field="period_end")
    whole_year = (start.month, start.day, end.month, end.day) == (1, 1, 12, 31)
    return (start.year if whole_year and start.year == end.year else None), start, end


def _funders_key(
    *, dispositif, source, agreement, agreement_firm, year, period_start, period_end, file_format
) -> dict:
    """The funding source of a funders' report, its agreement, its period and format."""
    if source not in ContributionKind.values:
        raise ApplicationError(_("Choisissez une source de financement."), field="source")
    agreement = (agreement or "").strip()
    if source == ContributionKind.REVITALISATION:
        if not agreement or agreement_firm is None:
            raise ApplicationError(
                _("Choisissez une convention de revitalisation."), field="agreement"
            )
        found = funder_contributions(source, (agreement_firm.pk, agreement))
        if dispositif is not None:
            found = found.filter(dispositif=dispositif)
        if not found.exists():
            raise ApplicationError(
                _("Aucun apport de cette convention dans ce périmètre."), field="agreement"
            )
    elif agreement or agreement_firm is not None:
        raise ApplicationError(
            _("Seule une convention de revitalisation se choisit ici."), field="agreement"
        )
    if file_format not in DocumentFormat.values:
        raise ApplicationError(_("Choisissez le format PDF ou XLSX."), field="file_format")
    year, start, end = _funders_period(year, period_start, period_end)
    return {
        "source": source,
        "agreement": agreement,
        "agreement_firm": agreement_firm if agreement else None,
        "year": year,
        "period_start": start,
        "period_end": end,
        "file_format": file_format,
    }


def document_find_or_create(
    *,
    kind: str,
    by,
    committee: Committee | None = None,
    dispositif=None,
    organisation=None,
    year: int | None = None,
    national: bool = False,
    language: str | None = None,
    regenerate: bool = False,
    funders: dict | None = None,
    change_note: str = "",
    advance: Advance | None = None,
) -> tuple[Document, bool]:
    """The live document for this request (unless ``regenerate``), else a new version of it,
    not yet queued; returns (document, created). Call it inside a transaction. ``funders``
    holds a funders' report's source, agreement, agreement firm, period and format."""
    key = _request_key(
        kind=kind,
        committee=committee,
        dispositif=dispositif,
        organisation=organisation,
        year=year,
        national=national,
        advance=advance,
    )
    if kind == DocumentKind.FUNDERS_REPORT:
        key.update(_funders_key(dispositif=dispositif, year=year, **(funders or {})))
    else:
        key.update(NOT_FUNDERS)
    if kind not in ADVANCE_KINDS:
        key.update(NOT_ADVANCE)
    key["language"] = _language(language, by)
    current = Document.objects.select_for_update().filter(is_current=True, **key).first()
    # A version still being built is returned even to ``regenerate`` (a double click must
    # not build, nor mail, the same document twice).
    if current is not None and current.status in (BUILDING if regenerate else LIVE_STATUSES):
        return current, False
    if kind == DocumentKind.CONTRACT and advance is not None:
        _check_contract_may_change(advance)
    version = 1
    if current is not None:
        Document.objects.filter(pk=current.pk).update(is_current=False)
        version = current.version + 1
    with translation.override(key["language"]):
        if kind == DocumentKind.FUNDERS_REPORT:
            title = _funders_title(key, dispositif)
        else:
            title = _title(
                kind,
                committee=committee,
                dispositif=dispositif,
                organisation=organisation,
                year=key["year"],
                advance=advance,
            )
    try:
        with transaction.atomic():
            document = Document.objects.create(
                **key,
                title=title,
                version=version,
                change_note=change_note[:300],
                requested_by=by if getattr(by, "is_authenticated", False) else None,
            )
    except IntegrityError:
        # Asked at the same moment by someone else: theirs is the live one.
        return Document.objects.get(is_current=True, **key), False
    return document, True


def document_queue_check(by) -> None:
    """Refuse (429) a person's request while ``DOCUMENT_QUEUE_LIMIT`` documents they asked
    for are queued or running, so that no one fills the documents queue; their row is locked
    so that simultaneous requests count one another. Jobs (no person) are never refused."""
    if not getattr(by, "is_authenticated", False):
        return
    list(get_user_model().objects.select_for_update().filter(pk=by.pk).values_list("pk"))
    limit = settings.DOCUMENT_QUEUE_LIMIT
    if Document.objects.filter(requested_by=by, status__in=BUILDING).count() >= limit:
        raise TooManyRequests(
            _(
                "Vous avez déjà %(count)s documents en préparation : réessayez quand "
                "l'un d'eux sera prêt."
            )
            % {"count": limit},
            code="document_quota",
            retry_after=settings.DOCUMENT_QUEUE_RETRY_AFTER,
        )


@transaction.atomic
def document_request(
    *,
    kind: str,
    by,
    committee: Committee | None = None,
    dispositif=None,
    organisation=None,
    year: int | None = None,
    national: bool = False,
    language: str | None = None,
    regenerate: bool = False,
    quota: bool = True,
    source: str = "",
    agreement: str = "",
    agreement_firm=None,
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    file_format: str = DocumentFormat.PDF,
    change_note: str = "",
    advance: Advance | None = None,
) -> Document:
    """The document for this request: the live one if any (unless ``regenerate``), else a
    new version, queued for building once the transaction commits. A live one still being
    built has its build sent again if a crash left it stale. ``quota=False`` for a document
    that follows from another action (a committee's move), never refused.

    A funders' report names its funding ``source`` (``loans.ContributionKind``), for a
    revitalisation agreement the ``agreement`` and its ``agreement_firm`` (one of whose
    contributions must lie in the report's dispositif, or anywhere for the network), a
    ``year`` or a period (``period_start`` to ``period_end``), and its ``file_format``.
    A contract names its ``advance`` (approved or contracted); an amendment, its advance
    once rescheduled (one amendment per schedule version)."""
    if quota:
        document_queue_check(by)
    document, created = document_find_or_create(
        kind=kind,
        by=by,
        committee=committee,
        dispositif=dispositif,
        organisation=organisation,
        year=year,
        national=national,
        language=language,
        regenerate=regenerate,
        funders={
            "source": source,
            "agreement": agreement,
            "agreement_firm": agreement_firm,
            "period_start": period_start,
            "period_end": period_end,
            "file_format": file_format,
        },
        change_note=change_note,
        advance=advance,
    )
    if created or document.status in BUILDING:
        build_document.enqueue(document_id=document.pk, dispositif_id=document.dispositif_id)
    return document
