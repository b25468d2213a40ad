"""Documents (docs/architecture.md §4, reporting): generated PDFs and exports, their build
status and their file.

A document belongs to one of three scopes: a dispositif (agendas, minutes, its annual
report, its funders' reports, an advance's contract and amendments, exports), a partner
firm (its contribution statement, across the dispositifs where it sits) or the national
network (the national annual report, the funders' reports over every dispositif). Firm and
national documents belong to no single dispositif, so ``Document`` is a global model whose
scope is spelt out by ``dispositif`` / ``organisation`` (a check constraint keeps the
three shapes apart); who reads which is decided by the access policy, in one place:
``reporting.selectors.documents_for`` (dispositif documents through ``view_document`` in
that dispositif, committee members for agendas and minutes only; firm documents through
``document_firm_ids``; national documents for those who read every dispositif). Views, API
and panels read documents only through it. The builders read tenant data inside the scope
of the document (``reporting.runner``)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.fields import user_field
from alize.tenancy import global_model
from loans.models import ContributionKind

from .storage import documents_storage


class DocumentKind(models.TextChoices):
    AGENDA = "agenda", _("Ordre du jour")
    MINUTES = "minutes", _("Relevé de décisions")
    ANNUAL_REPORT = "annual_report", _("Rapport annuel d'impact")
    CONTRIBUTION_STATEMENT = "contribution_statement", _("Attestation de contribution")
    FUNDERS_REPORT = "funders_report", _("Rapport aux financeurs")
    CONTRACT = "contract", _("Contrat d'avance remboursable")
    AMENDMENT = "amendment", _("Avenant au contrat d'avance")
    EXPORT = "export", _("Export")


# Kinds read by committee members of the dispositif (the rest is for those who manage it).
COMMITTEE_KINDS = frozenset({DocumentKind.AGENDA, DocumentKind.MINUTES})
# Kinds about one advance: its contract, and an amendment per reschedule.
ADVANCE_KINDS = frozenset({DocumentKind.CONTRACT, DocumentKind.AMENDMENT})


class DocumentScope(models.TextChoices):
    DISPOSITIF = "dispositif", _("Dispositif")
    FIRM = "firm", _("Entreprise partenaire")
    NATIONAL = "national", _("National")


class DocumentFormat(models.TextChoices):
    PDF = "pdf", _("PDF")
    XLSX = "xlsx", _("Classeur XLSX")


class DocumentStatus(models.TextChoices):
    QUEUED = "queued", _("En attente")
    RUNNING = "running", _("En cours")
    DONE = "done", _("Terminé")
    FAILED = "failed", _("Échec")


# A request for a document already queued, running or done returns that document.
LIVE_STATUSES = (DocumentStatus.QUEUED, DocumentStatus.RUNNING, DocumentStatus.DONE)


def document_upload_to(document, filename: str) -> str:
    return f"{document.pk}/{filename}"


@global_model(
    "Firm and national documents span several dispositifs; reporting.selectors.documents_for "
    "asks the access policy which documents a person reads (dispositif, firm, national)."
)
class Document(models.Model):
    """A generated document and its build: queued → running → done / failed, with progress
    committed as it goes, the file written whole before the row says done, its sha256 and
    size. ``is_current`` marks the live version of one request (kind, scope, dispositif,
    firm, committee, year, language): asking again returns it; regenerating supersedes it."""

    kind = models.CharField(_("type"), max_length=32, choices=DocumentKind.choices)
    scope = models.CharField(_("portée"), max_length=16, choices=DocumentScope.choices)
    dispositif = models.ForeignKey(
        "dispositifs.Dispositif",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("dispositif"),
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entreprise"),
    )
    committee = models.ForeignKey(
        "committees.Committee",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("comité"),
    )
    year = models.PositiveSmallIntegerField(_("année"), null=True, blank=True)
    # A contract names its advance; an amendment, its advance and the schedule it brings.
    advance = models.ForeignKey(
        "loans.Advance",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("avance"),
    )
    schedule_version = models.PositiveSmallIntegerField(
        _("version de l'échéancier"), null=True, blank=True
    )
    # A funders' report: one funding source (loans.ContributionKind), for a revitalisation
    # agreement one agreement (its name and the firm bound by it), over a period.
    source = models.CharField(
        _("source de financement"), max_length=32, choices=ContributionKind.choices, blank=True
    )
    agreement = models.CharField(_("convention de revitalisation"), max_length=200, blank=True)
    agreement_firm = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entreprise assujettie"),
    )
    period_start = models.DateField(_("du"), null=True, blank=True)
    period_end = models.DateField(_("au"), null=True, blank=True)
    file_format = models.CharField(
        _("format"), max_length=8, choices=DocumentFormat.choices, default=DocumentFormat.PDF
    )
    title = models.CharField(_("titre"), max_length=300)
    language = models.CharField(_("langue"), max_length=8, default="fr")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    # Why this version was made, printed on it (a moved committee: what changed).
    change_note = models.CharField(_("modification"), max_length=300, blank=True)
    is_current = models.BooleanField(_("version en vigueur"), default=True)
    status = models.CharField(
        _("statut"), max_length=16, choices=DocumentStatus.choices, default=DocumentStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("avancement (%)"), default=0)
    error = models.TextField(_("erreur"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    file = models.FileField(
        _("fichier"),
        storage=documents_storage,
        upload_to=document_upload_to,
        max_length=300,
        blank=True,
    )
    filename = models.CharField(_("nom du fichier"), max_length=200, blank=True)
    content_type = models.CharField(_("type de contenu"), max_length=100, blank=True)
    checksum = models.CharField(_("empreinte SHA-256"), max_length=64, blank=True)
    size = models.PositiveBigIntegerField(_("taille (octets)"), null=True, blank=True)
    requested_by = user_field(_("demandé par"))
    created_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["dispositif", "-created_at"], name="document_dispositif_recent"),
            models.Index(fields=["scope", "kind", "year"], name="document_scope_kind_year"),
        ]
        constraints = [
            models.CheckConstraint(
                name="document_scope_shape",
                condition=Q(scope="dispositif", dispositif__isnull=False, organisation__isnull=True)
                | Q(scope="firm", dispositif__isnull=True, organisation__isnull=False)
                | Q(scope="national", dispositif__isnull=True, organisation__isnull=True),
            ),
            models.CheckConstraint(
                name="document_progress_percent", condition=Q(progress__lte=100)
            ),
            models.CheckConstraint(
                name="document_funders_report_shape",
                condition=Q(kind="funders_report", period_start__lte=models.F("period_end"))
                & ~Q(source="")
                & ~Q(scope="firm")
                | ~Q(kind="funders_report")
                & Q(source="", agreement="", agreement_firm__isnull=True)
                & Q(period_start__isnull=True, period_end__isnull=True),
                violation_error_message=_(
                    "Un rapport aux financeurs (et lui seul) nomme une source de financement et "
                    "une période."
                ),
            ),
            models.CheckConstraint(
                name="document_advance_shape",
                condition=Q(kind="contract", advance__isnull=False, schedule_version__isnull=True)
                | Q(kind="amendment", advance__isnull=False, schedule_version__isnull=False)
                | ~Q(kind__in=["contract", "amendment"])
                & Q(advance__isnull=True, schedule_version__isnull=True),
                violation_error_message=_(
                    "Un contrat (et un avenant, avec son échéancier) nomme son avance, et eux "
                    "seuls."
                ),
            ),
            models.CheckConstraint(
                name="document_done_has_file",
                condition=~Q(status="done") | (~Q(file="") & Q(checksum__regex=r"^[0-9a-f]{64}$")),
            ),
            models.UniqueConstraint(
                fields=["kind", "scope", "dispositif", "organisation", "committee", "year"]
                + ["language", "source", "agreement", "agreement_firm", "period_start"]
                + ["period_end", "file_format", "advance", "schedule_version"],
                condition=Q(is_current=True),
                nulls_distinct=False,
                name="document_one_current_per_request",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def finished(self) -> bool:
        return self.status in (DocumentStatus.DONE, DocumentStatus.FAILED)
