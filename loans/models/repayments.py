"""Repayments of an advance, their allocation to instalments and their reversals."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.models import RecordedBy
from alize.tenancy import TenantModel
from alize.validators import validate_past_date

from ._common import CENT
from .advances import Advance, Instalment


class Repayment(TenantModel, RecordedBy):
    """Money received for an advance, on a date, under a caller-chosen idempotency key: the
    same key (per dispositif) records one repayment, however often or concurrently it is
    sent. It is allocated to the oldest unpaid instalments first (``RepaymentAllocation``);
    a mistake is undone by a reversal (a counter-entry), never by deleting the row."""

    advance = models.ForeignKey(
        Advance, on_delete=models.PROTECT, related_name="repayments", verbose_name=_("avance")
    )
    received_on = models.DateField(_("reçu le"), validators=[validate_past_date])
    amount = MoneyField(_("montant (€)"), max_digits=12, validators=[MinValueValidator(CENT)])
    idempotency_key = models.CharField(_("clé d'idempotence"), max_length=128)

    class Meta:
        verbose_name = _("remboursement")
        verbose_name_plural = _("remboursements")
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "idempotency_key"],
                name="repayment_idempotency_key_unique",
            ),
            FieldCheckConstraint(
                name="repayment_amount_positive",
                field="amount",
                condition=Q(amount__gt=0),
                violation_error_message=_("Le montant doit être positif."),
            ),
        ]
        indexes = [models.Index(fields=["advance", "received_on"])]

    def __str__(self):
        return f"{self.advance_id}: {self.amount} € ({self.received_on})"


class RepaymentReversal(TenantModel):
    """The undoing of a repayment recorded by mistake: its allocations stop counting and a
    counter-entry is written to the ledger. At most one per repayment."""

    repayment = models.OneToOneField(
        Repayment,
        on_delete=models.PROTECT,
        related_name="reversal",
        verbose_name=_("remboursement"),
    )
    reason = models.TextField(_("motif"))
    reversed_on = models.DateField(_("annulé le"), validators=[validate_past_date])
    by = user_field(_("par"))
    at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    class Meta:
        verbose_name = _("annulation de remboursement")
        verbose_name_plural = _("annulations de remboursements")

    def __str__(self):
        return f"{self.repayment}: {self.reason}"


class RepaymentAllocation(TenantModel):
    """The part of a repayment that settles one instalment (oldest unpaid first)."""

    repayment = models.ForeignKey(
        Repayment,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("remboursement"),
    )
    instalment = models.ForeignKey(
        Instalment,
        on_delete=models.PROTECT,
        related_name="allocations",
        verbose_name=_("échéance"),
    )
    amount = MoneyField(_("montant (€)"), max_digits=12)

    class Meta:
        verbose_name = _("affectation d'un remboursement")
        verbose_name_plural = _("affectations des remboursements")
        ordering = ["repayment", "instalment__due_on", "id"]
        constraints = [
            FieldCheckConstraint(
                name="allocation_amount_positive",
                field="amount",
                condition=Q(amount__gt=0),
                violation_error_message=_("Le montant doit être positif."),
            ),
        ]

    def __str__(self):
        return f"{self.repayment_id} → {self.instalment_id}: {self.amount} €"
