"""Funds and the contributions that put money into them."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField
from alize.models import RecordedBy
from alize.tenancy import TenantModel
from alize.validators import validate_past_date
from pme.models import ProjectType

from ..validators import validate_bic, validate_creditor_identifier, validate_iban
from ._common import CENT

# Jobs one contribution of a revitalisation agreement may carry (a large closure's agreement
# rarely asks for more than a few hundred).
JOBS_TO_RECREATE_MAX = 10_000


class ContributionKind(models.TextChoices):
    CAISSE_DES_DEPOTS = "caisse_des_depots", _("Caisse des dépôts")
    REVITALISATION = "revitalisation", _("Convention de revitalisation")
    ESF = "esf", _("Fonds social européen")
    LOCAL_AUTHORITY = "local_authority", _("Collectivité territoriale")
    OTHER = "other", _("Autre")


class Fund(TenantModel):
    """A revolving fund of one dispositif: contributions come in, advances go out and come
    back. Its balances are sums of the ledger (``loans.selectors.fund_balances``).

    Its bank account (IBAN, BIC) and its SEPA creditor identifier are those the SMEs'
    direct debits are collected to; blank until the fund collects by direct debit."""

    name = models.CharField(_("nom"), max_length=200)
    creditor_identifier = models.CharField(
        _("identifiant créancier SEPA (ICS)"),
        max_length=35,
        blank=True,
        validators=[validate_creditor_identifier],
    )
    iban = models.CharField(
        _("IBAN du fonds"), max_length=34, blank=True, validators=[validate_iban]
    )
    bic = models.CharField(_("BIC du fonds"), max_length=11, blank=True, validators=[validate_bic])
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("fonds")
        verbose_name_plural = _("fonds")
        ordering = ["dispositif", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "name"],
                name="fund_name_unique_per_dispositif",
                violation_error_message=_("Ce dispositif a déjà un fonds de ce nom."),
            ),
        ]

    def __str__(self):
        return self.name


class FundContribution(TenantModel, RecordedBy):
    """Money put into a fund by one source (an organisation of the directory), on a date.

    A revitalisation agreement names the agreement and the firm bound by it, and the jobs
    the agreement must help re-create through this contribution (``jobs_to_recreate``:
    an agreement paid in several contributions carries on each its part, so that the
    agreement's jobs are their sum). A contribution may be earmarked for one kind of
    project: its money then finances only those projects, and finances them first
    (``loans.services.advance_disburse``)."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="contributions", verbose_name=_("fonds")
    )
    kind = models.CharField(_("origine"), max_length=32, choices=ContributionKind.choices)
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="fund_contributions",
        verbose_name=_("organisme apporteur"),
    )
    agreement = models.CharField(_("convention de revitalisation"), max_length=200, blank=True)
    agreement_firm = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="revitalisation_contributions",
        verbose_name=_("entreprise assujettie"),
    )
    jobs_to_recreate = models.PositiveIntegerField(
        _("emplois à recréer"),
        default=0,
        validators=[MaxValueValidator(JOBS_TO_RECREATE_MAX)],
        help_text=_(
            "Convention de revitalisation : emplois que la convention doit contribuer à "
            "recréer au titre de cet apport (0 pour un versement déjà compté)."
        ),
    )
    amount = MoneyField(_("montant (€)"), validators=[MinValueValidator(CENT)])
    received_on = models.DateField(_("reçu le"), validators=[validate_past_date])
    earmark = models.CharField(
        _("réservé aux projets de type"),
        max_length=32,
        choices=ProjectType.choices,
        blank=True,
    )
    # Drawn when the web form is shown: the same form sent twice records one contribution.
    submission_key = models.CharField(
        _("clé d'envoi du formulaire"), max_length=128, null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("apport au fonds")
        verbose_name_plural = _("apports au fonds")
        ordering = ["fund", "received_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "submission_key"],
                name="contribution_submission_key_unique",
            ),
            FieldCheckConstraint(
                name="contribution_amount_positive",
                field="amount",
                condition=Q(amount__gt=0),
                violation_error_message=_("Le montant doit être positif."),
            ),
            models.CheckConstraint(
                name="contribution_agreement_when_revitalisation",
                condition=Q(kind="revitalisation", agreement_firm__isnull=False) & ~Q(agreement="")
                | (~Q(kind="revitalisation") & Q(agreement_firm__isnull=True) & Q(agreement="")),
                violation_error_message=_(
                    "Une convention de revitalisation (et elle seule) nomme la convention "
                    "et son entreprise."
                ),
            ),
            FieldCheckConstraint(
                name="contribution_jobs_to_recreate_when_revitalisation",
                field="jobs_to_recreate",
                condition=Q(kind="revitalisation") | Q(jobs_to_recreate=0),
                violation_error_message=_(
                    "Seule une convention de revitalisation a des emplois à recréer."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.organisation} ({self.received_on})"
