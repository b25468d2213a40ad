"""SEPA direct debits: the SMEs' mandates, the collection files a fund sends its bank
(pain.008) and their lines, one per instalment collected.

A line is open until its debit is returned (``returned_at``): an instalment has at most
one open line, so generating a file twice never collects it twice, while a returned debit
may be collected again. Generating a file records nothing as paid: the money is recorded
when the bank statement shows it (docs/architecture.md §7.1)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.tenancy import TenantModel
from alize.validators import validate_past_date

from ..validators import validate_bic, validate_iban
from .advances import Advance, Instalment
from .funds import Fund


class MandateKind(models.TextChoices):
    ONE_OFF = "one_off", _("Ponctuel")
    RECURRENT = "recurrent", _("Récurrent")


class SequenceType(models.TextChoices):
    """The SEPA sequence type of one debit (ISO 20022 ``SeqTp``)."""

    FIRST = "FRST", _("Premier prélèvement (FRST)")
    RECURRENT = "RCUR", _("Prélèvement récurrent (RCUR)")
    ONE_OFF = "OOFF", _("Prélèvement ponctuel (OOFF)")


class DirectDebitMandate(TenantModel):
    """The SEPA mandate an SME signs so that the fund may debit its account for an
    advance's instalments. ``reference`` (``ALZ-<advance>-<n>``) is the unique mandate
    reference (RUM) the debits carry. A revoked mandate is kept; an advance has at most
    one mandate in force."""

    advance = models.ForeignKey(
        Advance, on_delete=models.PROTECT, related_name="mandates", verbose_name=_("avance")
    )
    reference = models.CharField(_("référence unique du mandat"), max_length=35, unique=True)
    debtor_name = models.CharField(_("titulaire du compte"), max_length=70)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, validators=[validate_bic])
    signed_on = models.DateField(_("signé le"), validators=[validate_past_date])
    kind = models.CharField(
        _("type de mandat"),
        max_length=16,
        choices=MandateKind.choices,
        default=MandateKind.RECURRENT,
    )
    revoked_on = models.DateField(
        _("révoqué le"), null=True, blank=True, validators=[validate_past_date]
    )
    revoked_reason = models.TextField(_("motif de la révocation"), blank=True)
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)
    created_by = user_field(_("saisi par"))

    class Meta:
        verbose_name = _("mandat de prélèvement SEPA")
        verbose_name_plural = _("mandats de prélèvement SEPA")
        ordering = ["advance", "-signed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["advance"],
                condition=Q(revoked_on__isnull=True),
                name="mandate_one_in_force_per_advance",
                violation_error_message=_("Cette avance a déjà un mandat en vigueur."),
            ),
            models.CheckConstraint(
                name="mandate_revocation_has_reason",
                condition=Q(revoked_on__isnull=True, revoked_reason="")
                | (Q(revoked_on__isnull=False) & ~Q(revoked_reason="")),
                violation_error_message=_("Une révocation a une date et un motif."),
            ),
        ]

    def __str__(self):
        return self.reference

    @property
    def in_force(self) -> bool:
        return self.revoked_on is None

    @property
    def masked_iban(self) -> str:
        """The IBAN with only its country, check digits and last four characters shown."""
        return f"{self.iban[:4]} •••• {self.iban[-4:]}" if self.iban else ""


class DirectDebitCollection(TenantModel):
    """One pain.008 file of a fund for one collection date (the instalments' due date):
    the XML exactly as generated, its SHA-256, its number of debits and their total."""

    fund = models.ForeignKey(
        Fund,
        on_delete=models.PROTECT,
        related_name="direct_debit_collections",
        verbose_name=_("fonds"),
        db_index=False,  # led by the index of the fund's collections, most recent first
    )
    collection_date = models.DateField(_("date d'échéance"))
    message_id = models.CharField(_("identifiant du message"), max_length=35, unique=True)
    xml = models.TextField(_("fichier pain.008"))
    checksum = models.CharField(_("empreinte SHA-256"), max_length=64)
    line_count = models.PositiveIntegerField(_("nombre de prélèvements"))
    total = MoneyField(_("total (€)"))
    created_at = models.DateTimeField(_("généré le"), auto_now_add=True)
    created_by = user_field(_("généré par"))

    class Meta:
        verbose_name = _("remise de prélèvements SEPA")
        verbose_name_plural = _("remises de prélèvements SEPA")
        ordering = ["fund", "-collection_date", "-id"]
        indexes = [
            models.Index(
                fields=["fund", "-collection_date", "-id"], name="dd_collection_fund_recent"
            )
        ]
        constraints = [
            FieldCheckConstraint(
                name="collection_checksum_sha256",
                field="checksum",
                condition=Q(checksum__regex=r"^[0-9a-f]{64}$"),
                violation_error_message=_(
                    "Une empreinte SHA-256 s'écrit en 64 chiffres hexadécimaux."
                ),
            ),
            FieldCheckConstraint(
                name="collection_total_positive",
                field="total",
                condition=Q(total__gt=0),
                violation_error_message=_("Le montant doit être positif."),
            ),
        ]

    def __str__(self):
        return self.message_id


class DirectDebitLine(TenantModel):
    """One debit of a collection file: an instalment collected under a mandate, for what
    remained due on it. Open until the bank returns it (``returned_at``, with the reason);
    at most one open line per instalment."""

    collection = models.ForeignKey(
        DirectDebitCollection,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("remise"),
    )
    instalment = models.ForeignKey(
        Instalment,
        on_delete=models.PROTECT,
        related_name="direct_debit_lines",
        verbose_name=_("échéance"),
    )
    mandate = models.ForeignKey(
        DirectDebitMandate,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("mandat"),
    )
    amount = MoneyField(_("montant (€)"), max_digits=12)
    sequence_type = models.CharField(
        _("type de séquence"), max_length=4, choices=SequenceType.choices
    )
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=35, unique=True)
    returned_at = models.DateTimeField(_("rejeté le"), null=True, blank=True)
    return_reason = models.CharField(_("motif du rejet"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("prélèvement SEPA")
        verbose_name_plural = _("prélèvements SEPA")
        ordering = ["collection", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["instalment"],
                condition=Q(returned_at__isnull=True),
                name="direct_debit_line_one_open_per_instalment",
                violation_error_message=_("Cette échéance est déjà prélevée."),
            ),
            FieldCheckConstraint(
                name="direct_debit_line_amount_positive",
                field="amount",
                condition=Q(amount__gt=0),
                violation_error_message=_("Le montant doit être positif."),
            ),
        ]

    def __str__(self):
        return self.end_to_end_id
