"""Co-financing obtained for a project besides the advance."""

from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField
from alize.models import RecordedBy
from alize.tenancy import TenantModel
from alize.validators import validate_past_date

from ._common import CENT


class CofinancingKind(models.TextChoices):
    BANK_LOAN = "bank_loan", _("Prêt bancaire")
    EQUITY = "equity", _("Fonds propres")
    GRANT = "grant", _("Subvention")
    OTHER = "other", _("Autre")


class Cofinancing(TenantModel, RecordedBy):
    """Money obtained for a project besides the advance (a bank loan, equity, a grant),
    with the date of its evidence: the leverage ratio is co-financing ÷ advance."""

    project = models.ForeignKey(
        "pme.Project",
        on_delete=models.PROTECT,
        related_name="cofinancings",
        verbose_name=_("projet"),
    )
    organisation = models.CharField(_("organisme"), max_length=200)
    kind = models.CharField(_("nature"), max_length=16, choices=CofinancingKind.choices)
    amount = MoneyField(_("montant (€)"), validators=[MinValueValidator(CENT)])
    evidence_on = models.DateField(_("justifié le"), validators=[validate_past_date])
    # Drawn when the web form is shown: the same form sent twice records one co-financing.
    submission_key = models.CharField(
        _("clé d'envoi du formulaire"), max_length=128, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("cofinancement")
        verbose_name_plural = _("cofinancements")
        ordering = ["project", "evidence_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "submission_key"],
                name="cofinancing_submission_key_unique",
            ),
            FieldCheckConstraint(
                name="cofinancing_amount_positive",
                field="amount",
                condition=Q(amount__gt=0),
                violation_error_message=_("Le montant doit être positif."),
            ),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.amount} €"
