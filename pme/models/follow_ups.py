"""The jobs follow-up of approved projects and the reminders of follow-ups that are due."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alize.constraints import FieldCheckConstraint
from alize.fields import user_field
from alize.tenancy import TenantModel, declare_history_global
from alize.validators import validate_plausible_date

from .projects import Project


class FollowUpSource(models.TextChoices):
    DECLARED = "declared", _("Déclaré par l'entreprise")
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


declare_history_global(JobsFollowUp)
