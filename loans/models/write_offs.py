"""Write-offs of an advance, proposed by one person and decided by another."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.tenancy import TenantModel

from .advances import Advance


class WriteOffStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposée")
    APPROVED = "approved", _("Approuvée")
    REJECTED = "rejected", _("Refusée")


class WriteOff(TenantModel):
    """A write-off proposed with a reason by one person and approved (or rejected) by
    another (maker-checker); the loss reaches the ledger only on approval."""

    advance = models.ForeignKey(
        Advance, on_delete=models.PROTECT, related_name="write_offs", verbose_name=_("avance")
    )
    reason = models.TextField(_("motif"))
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=WriteOffStatus.choices,
        default=WriteOffStatus.PROPOSED,
        editable=False,
    )
    amount = MoneyField(_("montant passé en perte (€)"), max_digits=12, null=True, blank=True)
    proposed_by = user_field(_("proposée par"), on_delete=models.PROTECT, null=False)
    proposed_at = models.DateTimeField(_("proposée le"), default=timezone.now)
    decided_by = user_field(_("décidée par"), on_delete=models.PROTECT)
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("passage en perte")
        verbose_name_plural = _("passages en perte")
        ordering = ["advance", "proposed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["advance"],
                condition=Q(status__in=["proposed", "approved"]),
                name="write_off_one_open_per_advance",
                violation_error_message=_("Cette avance a déjà un passage en perte en cours."),
            ),
            FieldCheckConstraint(
                name="write_off_maker_checker",
                field="decided_by",
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("proposed_by")),
                violation_error_message=_(
                    "La personne qui propose le passage en perte ne peut pas l'approuver."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.advance_id}: {self.get_status_display()}"
