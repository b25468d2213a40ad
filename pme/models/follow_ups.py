"""The jobs follow-up of approved projects, the reminders of follow-ups that are due, and
the follow-ups the SMEs declare themselves through a signed link."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.tenancy import TenantModel, declare_history_global
from alize.validators import validate_plausible_date

from .projects import Project


class FollowUpSource(models.TextChoices):
    """Where a follow-up's figures come from. ``declared``: the company told the animateur,
    who typed them; ``self_declared``: the SME declared them through its link and the
    animateur validated them as they were (set only by that validation); ``verified``:
    checked against the DSN, the accounts or a register."""

    DECLARED = "declared", _("Déclaré par l'entreprise, saisi par l'animateur")
    SELF_DECLARED = "self_declared", _("Déclaré en ligne par la PME")
    VERIFIED = "verified", _("Vérifié (DSN, bilan, registre)")


class JobsFollowUp(TenantModel):
    """Jobs observed 1, 2 or 3 years after approval, against the jobs planned."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("projet")
    )
    year = models.PositiveSmallIntegerField(
        _("année de suivi"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    as_of = models.DateField(_("à la date du"), validators=[validate_plausible_date])
    headcount = models.PositiveIntegerField(_("effectif"))
    jobs_created = models.PositiveIntegerField(_("emplois créés"))
    jobs_maintained = models.PositiveIntegerField(_("emplois maintenus"))
    turnover = MoneyField(
        _("chiffre d'affaires (€)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Du dernier exercice clos, s'il est connu."),
    )
    source = models.CharField(_("source"), max_length=16, choices=FollowUpSource.choices)
    note = models.TextField(_("remarque"), blank=True)
    recorded_by = user_field(_("saisi par"))
    recorded_at = models.DateTimeField(_("saisi le"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("suivi des emplois")
        verbose_name_plural = _("suivis des emplois")
        ordering = ["project", "year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="follow_up_once_per_year"),
            FieldCheckConstraint(
                name="follow_up_year_positive",
                condition=Q(year__gte=1),
                field="year",
                violation_error_code="min_value",
                violation_error_message=_("L'année de suivi commence à 1."),
            ),
        ]

    def __str__(self):
        return f"{self.project} — {self.year}"


# A follow-up falls due on the anniversary of approval; the company has this many days to
# give its figures, after which the follow-up is overdue.
FOLLOW_UP_GRACE_DAYS = 30


def follow_up_overdue(due_on: dt.date | None, on: dt.date | None = None) -> bool:
    """Is a follow-up due on ``due_on``, still unrecorded, overdue on ``on`` (today)?"""
    if due_on is None:
        return False
    return (on or timezone.localdate()) > due_on + dt.timedelta(days=FOLLOW_UP_GRACE_DAYS)


class FollowUpReminder(TenantModel):
    """A follow-up that is due (anniversary of approval passed, nothing recorded yet).

    Created by the daily Celery beat job; resolved when the follow-up is recorded.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("projet")
    )
    year = models.PositiveSmallIntegerField(_("année de suivi"))
    due_on = models.DateField(_("dû le"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        verbose_name = _("relance de suivi")
        verbose_name_plural = _("relances de suivi")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="reminder_once_per_year"),
        ]

    def __str__(self):
        return f"{self.project} — {self.year} ({self.due_on})"

    @property
    def overdue(self) -> bool:
        return self.resolved_at is None and follow_up_overdue(self.due_on)


class DeclarationStatus(models.TextChoices):
    REQUESTED = "requested", _("demandée à la PME")
    DECLARED = "declared", _("déclarée, à valider")
    VALIDATED = "validated", _("validée")
    CORRECTED = "corrected", _("corrigée")


# The figures an SME declares, kept as declared whatever the animateur validates.
DECLARED_FIGURES = ("headcount", "jobs_created", "jobs_maintained", "turnover")


class FollowUpDeclaration(TenantModel):
    """A follow-up year asked of the SME's contact through a signed link
    (``link``, ``alize.links``): requested, declared once by the SME (its figures stay here,
    as declared), then validated as they are or corrected by the animateur, who and when;
    the figures that count are those of the ``follow_up`` the review records."""

    project = models.ForeignKey(
        Project,
        on_delete=models.CASCADE,
        related_name="follow_up_declarations",
        verbose_name=_("projet"),
    )
    year = models.PositiveSmallIntegerField(_("année de suivi"))
    link = models.OneToOneField(
        "alize.SignedLink", on_delete=models.PROTECT, related_name="+", verbose_name=_("lien")
    )
    sent_to = models.EmailField(_("envoyée à"))
    requested_at = models.DateTimeField(_("demandée le"), default=timezone.now)
    status = models.CharField(
        _("état"),
        max_length=16,
        choices=DeclarationStatus.choices,
        default=DeclarationStatus.REQUESTED,
    )
    declared_at = models.DateTimeField(_("déclarée le"), null=True, blank=True)
    headcount = models.PositiveIntegerField(_("effectif"), null=True, blank=True)
    jobs_created = models.PositiveIntegerField(_("emplois créés"), null=True, blank=True)
    jobs_maintained = models.PositiveIntegerField(_("emplois maintenus"), null=True, blank=True)
    turnover = MoneyField(
        _("chiffre d'affaires (€)"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    comment = models.TextField(_("commentaire de l'entreprise"), blank=True, max_length=2000)
    reviewed_by = user_field(_("revue par"))
    reviewed_at = models.DateTimeField(_("revue le"), null=True, blank=True)
    follow_up = models.OneToOneField(
        JobsFollowUp,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="declaration",
        verbose_name=_("suivi enregistré"),
    )

    class Meta:
        verbose_name = _("déclaration de suivi par la PME")
        verbose_name_plural = _("déclarations de suivi par les PME")
        ordering = ["-requested_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "year"], name="follow_up_declaration_once_per_year"
            ),
            FieldCheckConstraint(
                name="follow_up_declaration_has_figures",
                condition=Q(status=DeclarationStatus.REQUESTED)
                | Q(
                    declared_at__isnull=False,
                    headcount__isnull=False,
                    jobs_created__isnull=False,
                    jobs_maintained__isnull=False,
                ),
                field="headcount",
                violation_error_code="required",
                violation_error_message=_("Une déclaration donne l'effectif et les emplois."),
            ),
        ]

    def __str__(self):
        return f"{self.project} — {self.year} ({self.get_status_display()})"

    @property
    def figures(self) -> dict:
        """The SME's figures, as declared."""
        return {name: getattr(self, name) for name in DECLARED_FIGURES}


declare_history_global(JobsFollowUp)
