"""Projects an SME leader submits through a dispositif's public door (« Déposer un projet »,
docs/architecture.md §16), kept here until the leader confirms their e-mail address."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.tenancy import TenantModel

from .companies import Company
from .projects import Project


class SelfReferralStatus(models.TextChoices):
    PENDING = "pending", _("En attente de confirmation")
    CONFIRMED = "confirmed", _("Confirmé")


class SelfReferral(TenantModel):
    """One submission of the public door, a tenant row of the dispositif it was made to.

    Pending, it holds what the leader typed (``data``) and is shown to nobody: the
    animateur sees it only once the leader opened the confirmation link, when it becomes a
    company (or is matched, by SIREN, to the one known) and a project at the first stage.
    Confirmed, it keeps only what the animateur needs: the project, the company, and the
    values that differ from the known company (``differences``); ``data`` is emptied. A
    pending row past ``expires_at`` is purged (``pme.tasks.purge_self_referrals``)."""

    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=SelfReferralStatus.choices,
        default=SelfReferralStatus.PENDING,
    )
    email = models.EmailField(_("e-mail du déposant"))
    data = models.JSONField(_("données saisies"), default=dict, blank=True)
    submitted_at = models.DateTimeField(_("déposé le"), default=timezone.now)
    expires_at = models.DateTimeField(_("à confirmer avant le"))
    confirmed_at = models.DateTimeField(_("confirmé le"), null=True, blank=True)
    company = models.ForeignKey(
        Company,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entreprise"),
    )
    project = models.OneToOneField(
        Project,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="self_referral",
        verbose_name=_("projet"),
    )
    company_matched = models.BooleanField(_("entreprise déjà connue"), default=False)
    # [{"field": "headcount", "label": "effectif", "known": "12", "submitted": "15"}, …]
    differences = models.JSONField(_("écarts avec l'entreprise connue"), default=list, blank=True)

    class Meta:
        verbose_name = _("projet déposé par une entreprise")
        verbose_name_plural = _("projets déposés par des entreprises")
        ordering = ["-submitted_at", "-id"]
        indexes = [models.Index(fields=["status", "expires_at"])]

    def __str__(self):
        return f"{self.email} ({self.get_status_display()})"
