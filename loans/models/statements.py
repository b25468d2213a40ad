"""Bank statements of a fund's account, their lines, and the CSV column mapping of a fund.

A statement line is one entry of the bank's statement: a credit is matched to an advance
(and recorded as a repayment once confirmed), a returned direct debit reverses the
repayment it had paid. A transaction id is known once per fund: importing the same
statement again, or an overlapping one, stores the known lines as duplicates
(``LineState.DUPLICATE``) that point at the first line and never record anything."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.fields import MoneyField, user_field
from alize.tenancy import TenantModel

from .advances import Advance, Instalment
from .funds import Fund
from .repayments import Repayment, RepaymentReversal


class StatementFormat(models.TextChoices):
    CAMT053 = "camt053", _("CAMT.053 (XML)")
    CSV = "csv", _("CSV")


class ConfirmStatus(models.TextChoices):
    """Where the background recording of a statement's high-confidence lines stands."""

    NONE = "", _("jamais demandé")
    QUEUED = "queued", _("en attente")
    RUNNING = "running", _("en cours")
    DONE = "done", _("terminé")
    FAILED = "failed", _("échoué")


CONFIRM_LIVE = (ConfirmStatus.QUEUED, ConfirmStatus.RUNNING)


class BankStatement(TenantModel):
    """One imported statement file of a fund's account: its format, checksum, account,
    period and how many of its lines were new. The lines hold the matching work.

    ``confirm_*`` follow the last background run that records every high-confidence line
    (``loans.services.statement_confirm_high_request``): its number, state, progress (n of
    N) and the lines the repayment service refused, with the reason."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="statements", verbose_name=_("fonds")
    )
    source_format = models.CharField(_("format"), max_length=8, choices=StatementFormat.choices)
    file_name = models.CharField(_("fichier"), max_length=255, blank=True)
    file_sha256 = models.CharField(_("empreinte SHA-256"), max_length=64)
    account_iban = models.CharField(_("IBAN du compte"), max_length=34, blank=True)
    period_start = models.DateField(_("du"), null=True, blank=True)
    period_end = models.DateField(_("au"), null=True, blank=True)
    line_count = models.PositiveIntegerField(_("lignes"), default=0)
    new_line_count = models.PositiveIntegerField(_("lignes nouvelles"), default=0)
    imported_at = models.DateTimeField(_("importé le"), auto_now_add=True)
    imported_by = user_field(_("importé par"))
    confirm_run = models.PositiveIntegerField(_("enregistrements demandés"), default=0)
    confirm_status = models.CharField(
        _("enregistrement des propositions sûres"),
        max_length=8,
        choices=ConfirmStatus.choices,
        default=ConfirmStatus.NONE,
        blank=True,
    )
    confirm_total = models.PositiveIntegerField(_("lignes à enregistrer"), default=0)
    confirm_done = models.PositiveIntegerField(_("lignes traitées"), default=0)
    confirm_refused = models.JSONField(_("lignes refusées"), default=list, blank=True)
    confirm_error = models.TextField(_("erreur de l'enregistrement"), blank=True)

    class Meta:
        verbose_name = _("relevé bancaire")
        verbose_name_plural = _("relevés bancaires")
        ordering = ["-imported_at", "-id"]
        indexes = [models.Index(fields=["fund", "-imported_at"])]

    def __str__(self):
        return f"{self.fund_id}: {self.file_name or self.file_sha256[:12]}"

    @property
    def confirm_live(self) -> bool:
        return self.confirm_status in CONFIRM_LIVE


class Direction(models.TextChoices):
    CREDIT = "CRDT", _("crédit")
    DEBIT = "DBIT", _("débit")


class LineState(models.TextChoices):
    UNMATCHED = "unmatched", _("à rapprocher")
    SUGGESTED = "suggested", _("proposée")
    RECORDED = "recorded", _("enregistrée")
    RETURNED = "returned", _("impayé traité")
    DISMISSED = "dismissed", _("écartée")
    DUPLICATE = "duplicate", _("déjà importée")


class Confidence(models.TextChoices):
    HIGH = "high", _("forte")
    MEDIUM = "medium", _("moyenne")
    LOW = "low", _("faible")


class MatchRule(models.TextChoices):
    END_TO_END = "end_to_end", _("référence de bout en bout du prélèvement")
    MANDATE = "mandate", _("référence du mandat")
    REFERENCE = "reference", _("référence de l'avance dans le libellé")
    AMOUNT_NAME = "amount_name", _("montant d'une échéance et nom de l'entreprise")
    MANUAL = "manual", _("choisie à la main")


# States a line leaves only by a decision; the queue of work is the first two.
OPEN_STATES = (LineState.UNMATCHED, LineState.SUGGESTED)


class BankStatementLine(TenantModel):
    """One entry of a statement. ``transaction_id`` is the bank's (AcctSvcrRef, NtryRef or
    the CSV's column) or, when the bank gives none, a hash of the date, amount, text,
    account and rank among identical entries (``transaction_id_derived``). ``amount`` is
    signed: positive for a credit, negative for a debit.

    The matching service proposes an advance (``confidence``, ``rule``); confirming a
    credit records ``repayment`` through the repayment service, keyed by the transaction
    id; confirming a return reverses the repayment it had paid (``reversal``)."""

    statement = models.ForeignKey(
        BankStatement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("relevé")
    )
    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="statement_lines", verbose_name=_("fonds")
    )
    position = models.PositiveIntegerField(_("rang dans le relevé"))
    transaction_id = models.CharField(_("identifiant bancaire"), max_length=128)
    transaction_id_derived = models.BooleanField(_("identifiant calculé"), default=False)
    booking_date = models.DateField(_("date de comptabilisation"))
    amount = MoneyField(_("montant (€)"))
    direction = models.CharField(_("sens"), max_length=4, choices=Direction.choices)
    reversal = models.BooleanField(_("contre-passation"), default=False)
    counterparty_name = models.CharField(_("contrepartie"), max_length=140, blank=True)
    counterparty_account = models.CharField(
        _("compte de la contrepartie"), max_length=34, blank=True
    )
    remittance_text = models.TextField(_("libellé"), blank=True)
    end_to_end_id = models.CharField(_("référence de bout en bout"), max_length=35, blank=True)
    mandate_id = models.CharField(_("référence du mandat"), max_length=35, blank=True)
    return_reason = models.CharField(_("motif de rejet"), max_length=35, blank=True)
    state = models.CharField(
        _("état"), max_length=16, choices=LineState.choices, default=LineState.UNMATCHED
    )
    advance = models.ForeignKey(
        Advance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        verbose_name=_("avance"),
    )
    instalment = models.ForeignKey(
        Instalment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        verbose_name=_("échéance"),
    )
    direct_debit_line = models.ForeignKey(
        "loans.DirectDebitLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        verbose_name=_("ligne de prélèvement"),
    )
    confidence = models.CharField(
        _("confiance"), max_length=8, choices=Confidence.choices, blank=True
    )
    rule = models.CharField(
        _("rapprochée par"), max_length=16, choices=MatchRule.choices, blank=True
    )
    dismissal_reason = models.TextField(_("motif de l'écart"), blank=True)
    repayment = models.ForeignKey(
        Repayment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        verbose_name=_("remboursement"),
    )
    reversal_of = models.ForeignKey(
        RepaymentReversal,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="statement_lines",
        verbose_name=_("annulation"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("déjà importée dans"),
    )
    decided_by = user_field(_("décidée par"))
    decided_at = models.DateTimeField(_("décidée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("ligne de relevé bancaire")
        verbose_name_plural = _("lignes de relevés bancaires")
        ordering = ["statement", "position", "id"]
        constraints = [
            # One live line per bank transaction and fund: the second import of a
            # transaction is stored as a duplicate of the first.
            models.UniqueConstraint(
                fields=["fund", "transaction_id"],
                condition=~Q(state="duplicate"),
                name="statement_line_transaction_unique_per_fund",
            ),
            models.CheckConstraint(
                name="statement_line_amount_signed_by_direction",
                condition=Q(direction="CRDT", amount__gt=0) | Q(direction="DBIT", amount__lt=0),
                violation_error_message=_("Un crédit est positif, un débit négatif."),
            ),
        ]
        indexes = [
            models.Index(fields=["fund", "state", "booking_date"], name="statement_line_queue"),
            models.Index(
                fields=["fund", "end_to_end_id"],
                name="statement_line_end_to_end",
                condition=~Q(end_to_end_id=""),
            ),
        ]

    def __str__(self):
        return f"{self.transaction_id} {self.amount} € ({self.booking_date})"

    @property
    def is_credit(self) -> bool:
        return self.direction == Direction.CREDIT

    @property
    def is_return(self) -> bool:
        return self.direction == Direction.DEBIT and bool(self.return_reason or self.reversal)


class CsvSeparator(models.TextChoices):
    SEMICOLON = ";", _("point-virgule (;)")
    COMMA = ",", _("virgule (,)")
    TAB = "\t", _("tabulation")


class CsvDateFormat(models.TextChoices):
    DAY_MONTH_YEAR = "%d/%m/%Y", _("31/12/2025")
    ISO = "%Y-%m-%d", _("2025-12-31")
    DOTTED = "%d.%m.%Y", _("31.12.2025")
    SHORT_YEAR = "%d/%m/%y", _("31/12/25")


class StatementColumnMapping(TenantModel):
    """How to read a fund's CSV statements: the header of each column (compared without
    case or surrounding spaces), the separator, the decimal comma and the date format."""

    fund = models.OneToOneField(
        Fund, on_delete=models.CASCADE, related_name="column_mapping", verbose_name=_("fonds")
    )
    date_column = models.CharField(_("colonne de la date"), max_length=80)
    amount_column = models.CharField(_("colonne du montant"), max_length=80)
    text_column = models.CharField(_("colonne du libellé"), max_length=80)
    name_column = models.CharField(_("colonne de la contrepartie"), max_length=80, blank=True)
    transaction_id_column = models.CharField(
        _("colonne de l'identifiant bancaire"), max_length=80, blank=True
    )
    separator = models.CharField(
        _("séparateur"), max_length=1, choices=CsvSeparator.choices, default=CsvSeparator.SEMICOLON
    )
    decimal_comma = models.BooleanField(_("virgule décimale"), default=True)
    date_format = models.CharField(
        _("format des dates"),
        max_length=16,
        choices=CsvDateFormat.choices,
        default=CsvDateFormat.DAY_MONTH_YEAR,
    )
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    updated_by = user_field(_("modifiée par"))

    class Meta:
        verbose_name = _("colonnes des relevés CSV")
        verbose_name_plural = _("colonnes des relevés CSV")

    def __str__(self):
        return str(self.fund)
