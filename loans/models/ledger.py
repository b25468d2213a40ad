"""The double-entry ledger: accounts, kinds of movement, and the append-only journal
transactions and lines every money movement is written to."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alize.fields import MoneyField
from alize.models import RecordedBy
from alize.tenancy import ScopedManager, ScopedQuerySet, TenantModel

from ._common import ZERO
from .advances import Advance
from .funds import Fund, FundContribution
from .repayments import Repayment
from .write_offs import WriteOff


class Account(models.TextChoices):
    """The fund's accounts. Cash is the money available to lend; loans the principal
    outstanding; capital the contributions received; losses the principal written off;
    allowance the part of the outstanding principal provisioned against its loss (a
    contra-asset of loans); provisions the expense of provisioning, net of its releases
    (docs/decisions/0017-provisions-in-the-ledger.md)."""

    CASH = "cash", _("Trésorerie")
    LOANS = "loans", _("Avances en cours")
    CAPITAL = "capital", _("Apports")
    LOSSES = "losses", _("Pertes")
    ALLOWANCE = "allowance", _("Provisions pour dépréciation des avances")
    PROVISIONS = "provisions", _("Dotations nettes aux provisions")


class EntryKind(models.TextChoices):
    CONTRIBUTION = "contribution", _("Apport")
    DISBURSEMENT = "disbursement", _("Décaissement")
    REPAYMENT = "repayment", _("Remboursement")
    REVERSAL = "reversal", _("Annulation de remboursement")
    WRITE_OFF = "write_off", _("Passage en perte")
    PROVISION_CHARGE = "provision_charge", _("Dotation aux provisions")
    PROVISION_RELEASE = "provision_release", _("Reprise de provision")
    PROVISION_USE = "provision_use", _("Reprise de provision utilisée")


# Kinds of the daily provisioning adjustment: at most one per advance and day.
PROVISION_ADJUSTMENTS = (EntryKind.PROVISION_CHARGE, EntryKind.PROVISION_RELEASE)
KIND_MAX_LENGTH = 24


class AppendOnlyError(Exception):
    """Raised when code tries to change or delete a ledger row."""


class AppendOnlyQuerySet(ScopedQuerySet):
    """A scoped queryset that refuses bulk updates and deletes."""

    def update(self, **kwargs):
        raise AppendOnlyError("The ledger is append-only.")

    def delete(self):
        raise AppendOnlyError("The ledger is append-only.")


class AppendOnlyManager(ScopedManager.from_queryset(AppendOnlyQuerySet)):
    """Scoped manager of ledger rows (inserts and reads only)."""


class UnscopedAppendOnlyManager(models.Manager):
    """The unscoped escape hatch of ledger rows: reads only, no bulk update or delete."""

    def get_queryset(self):
        return UnscopedAppendOnlyQuerySet(self.model, using=self._db)


class UnscopedAppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The ledger is append-only.")

    def delete(self):
        raise AppendOnlyError("The ledger is append-only.")


class AppendOnlyModel(TenantModel):
    """A tenant row that is written once: saving an existing row or deleting one raises
    (the database refuses too, with triggers)."""

    objects = AppendOnlyManager()
    unscoped_objects = UnscopedAppendOnlyManager()

    class Meta:
        abstract = True
        base_manager_name = "unscoped_objects"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError("The ledger is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The ledger is append-only.")


class JournalTransaction(AppendOnlyModel, RecordedBy):
    """One money movement of a fund, written as balanced lines (debits = credits): a
    contribution, a disbursement, a repayment, the reversal of one, a write-off, or a
    provision charged, released or used for an advance."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("fonds")
    )
    kind = models.CharField(_("nature"), max_length=KIND_MAX_LENGTH, choices=EntryKind.choices)
    occurred_on = models.DateField(_("date de valeur"))
    advance = models.ForeignKey(
        Advance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        verbose_name=_("avance"),
    )
    contribution = models.OneToOneField(
        FundContribution,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transaction",
        verbose_name=_("apport"),
    )
    repayment = models.ForeignKey(
        Repayment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transactions",
        verbose_name=_("remboursement"),
    )
    write_off = models.OneToOneField(
        WriteOff,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="transaction",
        verbose_name=_("passage en perte"),
    )
    description = models.CharField(_("libellé"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("écriture")
        verbose_name_plural = _("écritures")
        ordering = ["occurred_on", "id"]
        constraints = [
            # One disbursement per advance; one entry (and one reversal) per repayment.
            models.UniqueConstraint(
                fields=["advance"],
                condition=Q(kind="disbursement"),
                name="journal_one_disbursement_per_advance",
            ),
            models.UniqueConstraint(
                fields=["repayment", "kind"],
                condition=Q(repayment__isnull=False),
                name="journal_one_entry_per_repayment_and_kind",
            ),
            # The daily job adjusts an advance's provision once a day at most, and its
            # write-off uses what is left of it once.
            models.UniqueConstraint(
                fields=["advance", "occurred_on"],
                condition=Q(kind__in=PROVISION_ADJUSTMENTS),
                name="journal_one_provision_adjustment_per_advance_and_day",
            ),
            models.UniqueConstraint(
                fields=["advance"],
                condition=Q(kind=EntryKind.PROVISION_USE),
                name="journal_one_provision_use_per_advance",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.occurred_on} ({self.fund_id})"


class LedgerLine(AppendOnlyModel):
    """One line of a journal transaction: an account debited or credited, with the fund,
    the contribution whose money it is and, for lending movements, the advance. ``kind``
    and ``occurred_on`` repeat the transaction's so balances are one indexed sum."""

    transaction = models.ForeignKey(
        JournalTransaction,
        on_delete=models.PROTECT,
        related_name="lines",
        verbose_name=_("écriture"),
    )
    kind = models.CharField(_("nature"), max_length=KIND_MAX_LENGTH, choices=EntryKind.choices)
    occurred_on = models.DateField(_("date de valeur"))
    account = models.CharField(_("compte"), max_length=16, choices=Account.choices)
    debit = MoneyField(_("débit (€)"), default=ZERO)
    credit = MoneyField(_("crédit (€)"), default=ZERO)
    # The covering indexes below lead with fund, contribution and advance: no separate
    # foreign-key index (it would only be a smaller, non-covering copy the planner prefers).
    fund = models.ForeignKey(
        Fund,
        on_delete=models.PROTECT,
        related_name="ledger_lines",
        verbose_name=_("fonds"),
        db_index=False,
    )
    contribution = models.ForeignKey(
        FundContribution,
        on_delete=models.PROTECT,
        related_name="ledger_lines",
        verbose_name=_("apport"),
        db_index=False,
    )
    advance = models.ForeignKey(
        Advance,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="ledger_lines",
        verbose_name=_("avance"),
        db_index=False,
    )

    class Meta:
        verbose_name = _("ligne d'écriture")
        verbose_name_plural = _("lignes d'écritures")
        ordering = ["transaction", "id"]
        indexes = [
            # Covering indexes: a fund's, a contribution's or an advance's balances are
            # index-only sums, however long the ledger grows (the dispositif is included
            # for the tenancy filter every scoped query adds).
            models.Index(
                fields=["fund", "account", "kind"],
                include=["debit", "credit", "dispositif"],
                name="ledger_fund_account",
            ),
            models.Index(
                fields=["contribution", "account", "kind"],
                include=["debit", "credit", "advance", "dispositif"],
                name="ledger_contribution_account",
            ),
            models.Index(
                fields=["advance", "account", "kind"],
                include=["debit", "credit", "contribution", "dispositif"],
                name="ledger_advance_account",
                condition=Q(advance__isnull=False),
            ),
            models.Index(
                fields=["fund", "occurred_on"],
                include=["account", "debit", "credit"],
                name="ledger_fund_date",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                name="ledger_line_one_side",
                condition=(Q(debit__gt=0) & Q(credit=0)) | (Q(credit__gt=0) & Q(debit=0)),
                violation_error_message=_(
                    "Une ligne d'écriture est soit au débit, soit au crédit."
                ),
            ),
        ]

    def __str__(self):
        side = f"D {self.debit}" if self.debit else f"C {self.credit}"
        return f"{self.transaction_id} {self.account} {side}"


class LedgerMonth(AppendOnlyModel):
    """The ledger's lines summed by contribution, account, kind and month, kept by
    PostgreSQL as lines are written (a trigger, migration loans 0015): a fund's or a
    contribution's balances and a fund's monthly utilisation read these few hundred rows
    rather than every line of the fund. Only that trigger writes them; the database refuses
    any other insert, update or delete. ``loans.ledger.stored_figures_disagreements``
    compares them with the lines."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="+", verbose_name=_("fonds"), db_index=False
    )
    contribution = models.ForeignKey(
        FundContribution,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("apport"),
        db_index=False,
    )
    account = models.CharField(_("compte"), max_length=16, choices=Account.choices)
    kind = models.CharField(_("nature"), max_length=KIND_MAX_LENGTH, choices=EntryKind.choices)
    month = models.DateField(_("mois"))
    debit = MoneyField(_("débit (€)"), default=ZERO)
    credit = MoneyField(_("crédit (€)"), default=ZERO)

    class Meta:
        verbose_name = _("mois du grand livre")
        verbose_name_plural = _("mois du grand livre")
        constraints = [
            models.UniqueConstraint(
                fields=["contribution", "account", "kind", "month"], name="ledger_month_key"
            ),
        ]
        indexes = [
            models.Index(
                fields=["fund", "account", "kind"],
                include=["month", "debit", "credit", "dispositif"],
                name="ledger_month_fund",
            ),
        ]

    def __str__(self):
        return f"{self.contribution_id} {self.account} {self.kind} {self.month:%Y-%m}"
