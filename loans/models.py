"""Models of the loans app (docs/architecture.md §4, §7): funds and their contributions,
interest-free repayable advances, their schedules, repayments and write-offs, co-financing,
and the double-entry ledger every money movement is written to.

Money rules the models hold (the services in ``loans.services`` hold the rest):

- every balance (a fund's available money, lent, outstanding, repaid, lost; an advance's
  outstanding principal; a contribution's share of each) is a sum of ``LedgerLine`` rows,
  never a stored counter. The ledger is append-only: the models refuse updates and deletes,
  and so does the database (triggers of migration ``0002``);
- an advance's amount lies within its dispositif's bounds (``advance_min``/``advance_max``),
  checked by the service and by a database trigger (a CHECK cannot read another table);
- interest is a column constrained to 0: the programme lends at zero interest, and the
  column says so in every row and every export rather than by omission.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.lifecycle import Lifecycle
from alize.models import RecordedBy, TransitionLog
from alize.tenancy import ScopedManager, ScopedQuerySet, TenantModel
from alize.validators import validate_past_date
from pme.models import ProjectType

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class ContributionKind(models.TextChoices):
    CAISSE_DES_DEPOTS = "caisse_des_depots", _("Caisse des dépôts")
    REVITALISATION = "revitalisation", _("Convention de revitalisation")
    ESF = "esf", _("Fonds social européen")
    LOCAL_AUTHORITY = "local_authority", _("Collectivité territoriale")
    OTHER = "other", _("Autre")


class Fund(TenantModel):
    """A revolving fund of one dispositif: contributions come in, advances go out and come
    back. Its balances are sums of the ledger (``loans.selectors.fund_balances``)."""

    name = models.CharField(_("nom"), max_length=200)
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

    A revitalisation agreement names the agreement and the firm bound by it. A contribution
    may be earmarked for one kind of project: its money then finances only those projects,
    and finances them first (``loans.services.advance_disburse``)."""

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
        ]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.organisation} ({self.received_on})"


class AdvanceStatus(models.TextChoices):
    APPROVED = "approved", _("Accordée")
    CONTRACTED = "contracted", _("Contractualisée")
    DISBURSED = "disbursed", _("Décaissée")
    REPAYING = "repaying", _("En remboursement")
    REPAID = "repaid", _("Remboursée")
    IN_ARREARS = "in_arrears", _("En retard")
    RESCHEDULED = "rescheduled", _("Rééchelonnée")
    WRITTEN_OFF = "written_off", _("Passée en perte")


# The lifecycle (docs/architecture.md §4). Each status lists where an advance may go next;
# the services move it and record every move (``AdvanceTransition``).
ADVANCE_TRANSITIONS: dict[str, frozenset[str]] = {
    AdvanceStatus.APPROVED: frozenset({AdvanceStatus.CONTRACTED}),
    AdvanceStatus.CONTRACTED: frozenset({AdvanceStatus.DISBURSED}),
    AdvanceStatus.DISBURSED: frozenset(
        {
            AdvanceStatus.REPAYING,
            AdvanceStatus.REPAID,
            AdvanceStatus.IN_ARREARS,
            AdvanceStatus.RESCHEDULED,
            AdvanceStatus.WRITTEN_OFF,
        }
    ),
    AdvanceStatus.REPAYING: frozenset(
        {
            AdvanceStatus.REPAID,
            AdvanceStatus.IN_ARREARS,
            AdvanceStatus.RESCHEDULED,
            AdvanceStatus.WRITTEN_OFF,
        }
    ),
    AdvanceStatus.IN_ARREARS: frozenset(
        {
            AdvanceStatus.REPAYING,
            AdvanceStatus.REPAID,
            AdvanceStatus.RESCHEDULED,
            AdvanceStatus.WRITTEN_OFF,
        }
    ),
    AdvanceStatus.RESCHEDULED: frozenset(
        {
            AdvanceStatus.REPAID,
            AdvanceStatus.IN_ARREARS,
            AdvanceStatus.RESCHEDULED,
            AdvanceStatus.WRITTEN_OFF,
        }
    ),
    # Only the reversal of a repayment reopens a repaid advance.
    AdvanceStatus.REPAID: frozenset({AdvanceStatus.REPAYING, AdvanceStatus.RESCHEDULED}),
    AdvanceStatus.WRITTEN_OFF: frozenset(),
}
# Advances whose money is out (disbursed and neither repaid nor written off).
LIVE_STATUSES = frozenset(
    {
        AdvanceStatus.DISBURSED,
        AdvanceStatus.REPAYING,
        AdvanceStatus.IN_ARREARS,
        AdvanceStatus.RESCHEDULED,
    }
)


class Frequency(models.TextChoices):
    MONTHLY = "monthly", _("Mensuelle")
    QUARTERLY = "quarterly", _("Trimestrielle")


FREQUENCY_MONTHS = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}


class Advance(TenantModel):
    """An interest-free repayable advance granted by an approved committee decision (one
    advance per decision), lent from a fund of the same dispositif.

    ``status`` moves only through ``loans.services``; ``days_past_due`` is written by the
    daily arrears job. The outstanding principal is a sum of the ledger."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="advances", verbose_name=_("fonds")
    )
    project = models.ForeignKey(
        "pme.Project", on_delete=models.PROTECT, related_name="advances", verbose_name=_("projet")
    )
    decision = models.OneToOneField(
        "committees.Decision",
        on_delete=models.PROTECT,
        related_name="advance",
        verbose_name=_("décision du comité"),
    )
    amount = MoneyField(_("montant (€)"), max_digits=12)
    interest_rate = models.DecimalField(
        _("taux d'intérêt (%)"), max_digits=5, decimal_places=2, default=ZERO, editable=False
    )
    grace_months = models.PositiveSmallIntegerField(
        _("différé (mois)"), default=0, validators=[MaxValueValidator(36)]
    )
    instalment_count = models.PositiveSmallIntegerField(
        _("nombre d'échéances"), validators=[MinValueValidator(1), MaxValueValidator(120)]
    )
    frequency = models.CharField(
        _("périodicité"), max_length=16, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=AdvanceStatus.choices,
        default=AdvanceStatus.APPROVED,
        editable=False,
    )
    status_changed_at = models.DateTimeField(_("statut depuis"), default=timezone.now)
    contracted_on = models.DateField(_("contrat signé le"), null=True, blank=True)
    disbursed_on = models.DateField(_("décaissée le"), null=True, blank=True)
    schedule_version = models.PositiveSmallIntegerField(_("version de l'échéancier"), default=0)
    days_past_due = models.PositiveIntegerField(_("jours de retard"), default=0)
    arrears_checked_on = models.DateField(_("retards calculés le"), null=True, blank=True)
    created_by = user_field(_("créée par"))
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("avance remboursable")
        verbose_name_plural = _("avances remboursables")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["dispositif", "status"]),
            models.Index(fields=["fund", "status"]),
            models.Index(fields=["-created_at", "-id"], name="advance_created_id_desc"),
        ]
        constraints = [
            FieldCheckConstraint(
                name="advance_amount_positive",
                field="amount",
                condition=Q(amount__gt=0),
                violation_error_message=_("Le montant doit être positif."),
            ),
            FieldCheckConstraint(
                name="advance_interest_free",
                field="interest_rate",
                condition=Q(interest_rate=0),
                violation_error_message=_("Les avances sont à taux zéro."),
            ),
            FieldCheckConstraint(
                name="advance_instalment_count_positive",
                field="instalment_count",
                condition=Q(instalment_count__gte=1),
                violation_error_message=_("Il faut au moins une échéance."),
            ),
        ]

    def __str__(self):
        return f"{self.project} — {self.amount} €"

    @property
    def allowed_next_statuses(self) -> list[str]:
        return ADVANCE_LIFECYCLE.next_states(self.status)


class AdvanceTransition(TenantModel, TransitionLog):
    """One move of an advance's lifecycle: from, to, who, when and why (append-only)."""

    subject_field = "advance"
    reason_field = "comment"

    advance = models.ForeignKey(
        Advance, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("avance")
    )
    from_status = models.CharField(
        _("de"), max_length=16, choices=AdvanceStatus.choices, blank=True
    )
    to_status = models.CharField(_("vers"), max_length=16, choices=AdvanceStatus.choices)
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta:
        verbose_name = _("changement de statut d'une avance")
        verbose_name_plural = _("changements de statut des avances")
        ordering = ["advance", "at", "id"]


# Advances move only through ``loans.services``. The reasons a reschedule or a write-off
# gives are checked by those services (they also bound their length), not by the lifecycle:
# the same statuses are reached by the daily arrears job, which writes its own comment.
ADVANCE_LIFECYCLE = Lifecycle(
    model=Advance,
    state_field="status",
    transitions=ADVANCE_TRANSITIONS,
    log=AdvanceTransition,
    illegal_message=_("Une avance « %(current)s » ne peut pas passer à « %(target)s »."),
    changed_at_field="status_changed_at",
    lock_related=("fund", "project"),
)


class Instalment(TenantModel):
    """One due date of an advance's schedule. The amounts of one schedule add up to the
    principal to the cent (the remainder is on the last instalment). A reschedule marks the
    unpaid instalments ``superseded_at`` and adds a new version: rows are never deleted.

    ``overdue`` and ``days_past_due`` are written by the daily arrears job."""

    advance = models.ForeignKey(
        Advance, on_delete=models.PROTECT, related_name="instalments", verbose_name=_("avance")
    )
    schedule_version = models.PositiveSmallIntegerField(_("version de l'échéancier"))
    number = models.PositiveSmallIntegerField(_("numéro"))
    due_on = models.DateField(_("échéance le"))
    amount = MoneyField(_("montant (€)"), max_digits=12)
    superseded_at = models.DateTimeField(_("remplacée le"), null=True, blank=True)
    overdue = models.BooleanField(_("impayée à échéance"), default=False)
    days_past_due = models.PositiveIntegerField(_("jours de retard"), default=0)

    class Meta:
        verbose_name = _("échéance")
        verbose_name_plural = _("échéances")
        ordering = ["advance", "due_on", "schedule_version", "number", "id"]
        indexes = [
            models.Index(
                fields=["advance", "due_on"],
                name="instalment_live_due",
                condition=Q(superseded_at__isnull=True),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["advance", "schedule_version", "number"],
                name="instalment_number_unique_per_version",
            ),
            FieldCheckConstraint(
                name="instalment_amount_positive",
                field="amount",
                condition=Q(amount__gt=0),
                violation_error_message=_("Le montant doit être positif."),
            ),
        ]

    def __str__(self):
        return f"{self.advance_id} #{self.number} ({self.due_on})"


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


# -- The ledger ------------------------------------------------------------------------


class Account(models.TextChoices):
    """The fund's accounts. Cash is the money available to lend; loans the principal
    outstanding; capital the contributions received; losses the principal written off."""

    CASH = "cash", _("Trésorerie")
    LOANS = "loans", _("Avances en cours")
    CAPITAL = "capital", _("Apports")
    LOSSES = "losses", _("Pertes")


class EntryKind(models.TextChoices):
    CONTRIBUTION = "contribution", _("Apport")
    DISBURSEMENT = "disbursement", _("Décaissement")
    REPAYMENT = "repayment", _("Remboursement")
    REVERSAL = "reversal", _("Annulation de remboursement")
    WRITE_OFF = "write_off", _("Passage en perte")


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
    contribution, a disbursement, a repayment, the reversal of one, or a write-off."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="transactions", verbose_name=_("fonds")
    )
    kind = models.CharField(_("nature"), max_length=16, choices=EntryKind.choices)
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
    kind = models.CharField(_("nature"), max_length=16, choices=EntryKind.choices)
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


class PortfolioSnapshot(TenantModel):
    """A fund's portfolio at risk on a day, written by the daily arrears job: outstanding
    principal, and the part of it in advances with an instalment over 30 days overdue."""

    fund = models.ForeignKey(
        Fund, on_delete=models.PROTECT, related_name="snapshots", verbose_name=_("fonds")
    )
    as_of = models.DateField(_("au"))
    outstanding = MoneyField(_("encours (€)"))
    at_risk_30 = MoneyField(_("encours à risque > 30 jours (€)"))
    advances_in_arrears = models.PositiveIntegerField(_("avances en retard"), default=0)
    computed_at = models.DateTimeField(_("calculé le"), auto_now=True)

    class Meta:
        verbose_name = _("portefeuille à risque")
        verbose_name_plural = _("portefeuilles à risque")
        ordering = ["fund", "-as_of"]
        constraints = [
            models.UniqueConstraint(fields=["fund", "as_of"], name="snapshot_one_per_fund_day"),
        ]

    def __str__(self):
        return f"{self.fund} {self.as_of}"

    @property
    def par30(self) -> Decimal | None:
        """PAR30 as a fraction (0.1234 = 12.34 %), or None when nothing is outstanding."""
        if not self.outstanding:
            return None
        return (self.at_risk_30 / self.outstanding).quantize(Decimal("0.0001"))
