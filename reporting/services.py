"""Write side of reporting: asking for a document (idempotent) and regenerating one.

A request names what it wants (kind, the dispositif or the network, the committee, the
year, the language). While a document for the same request is queued, running or done,
asking again returns it; a failed one, or ``regenerate=True`` once it is built, gives a
new version that supersedes it. The build is recorded in the job outbox and queued once
the transaction commits (``reporting.runner``); asking again (or regenerating) while it is
queued or running sends a build that a crash left stale again, at once, without waiting
for the sweeper. A person has at most ``DOCUMENT_QUEUE_LIMIT`` documents being built.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alize.errors import ApplicationError, TooManyRequests
from committees.models import Committee, CommitteeStatus
from partners.models import OrganisationKind

from .models import LIVE_STATUSES, Document, DocumentKind, DocumentScope, DocumentStatus
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


def _title(kind: str, *, committee=None, dispositif=None, organisation=None, year=None) -> str:
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


def _request_key(*, kind, committee, dispositif, organisation, year, national) -> dict:
    """The fields that say which document is asked for, validated per kind."""
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
    raise ApplicationError(_("Type de document inconnu."), field="kind")


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
    change_note: str = "",
) -> tuple[Document, bool]:
    """The live document for this request (unless ``regenerate``), else a new version of it,
    not yet queued; returns (document, created). Call it inside a transaction."""
    key = _request_key(
        kind=kind,
        committee=committee,
        dispositif=dispositif,
        organisation=organisation,
        year=year,
        national=national,
    )
    key["language"] = _language(language, by)
    current = Document.objects.select_for_update().filter(is_current=True, **key).first()
    # A version still being built is returned even to ``regenerate`` (a double click must
    # not build, nor mail, the same document twice).
    if current is not None and current.status in (BUILDING if regenerate else LIVE_STATUSES):
        return current, False
    version = 1
    if current is not None:
        Document.objects.filter(pk=current.pk).update(is_current=False)
        version = current.version + 1
    with translation.override(key["language"]):
        title = _title(
            kind,
            committee=committee,
            dispositif=dispositif,
            organisation=organisation,
            year=key["year"],
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
    change_note: str = "",
) -> Document:
    """The document for this request: the live one if any (unless ``regenerate``), else a
    new version, queued for building once the transaction commits. A live one still being
    built has its build sent again if a crash left it stale. ``quota=False`` for a document
    that follows from another action (a committee's move), never refused."""
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
        change_note=change_note,
    )
    if created or document.status in BUILDING:
        build_document.enqueue(document_id=document.pk, dispositif_id=document.dispositif_id)
    return document
