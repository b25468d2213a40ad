"""Advances, their lifecycle (statuses, allowed moves, the transition log) and their
schedules of instalments."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.lifecycle import Lifecycle
from alize.models import TransitionLog
from alize.tenancy import TenantModel

from ._common import ZERO, KeptByDatabase
from .funds import Fund


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


# Looked up by the stored value (a plain string) as well as by the member.
FREQUENCY_MONTHS: dict[str, int] = {Frequency.MONTHLY: 1, Frequency.QUARTERLY: 3}


class Advance(KeptByDatabase, TenantModel):
    """An interest-free repayable advance granted by an approved committee decision (one
    advance per decision), lent from a fund of the same dispositif.

    ``status`` moves only through ``loans.services``; ``days_past_due`` is written by the
    daily arrears job. The outstanding principal is a sum of the ledger, which PostgreSQL also
    keeps on the advance (``outstanding``, ``provision``) as lines are posted."""

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
    # The SHA-256 of the contract PDF the SME signed (reporting's contract document).
    contract_checksum = models.CharField(
        _("empreinte SHA-256 du contrat signé"), max_length=64, blank=True, editable=False
    )
    disbursed_on = models.DateField(_("décaissée le"), null=True, blank=True)
    schedule_version = models.PositiveSmallIntegerField(_("version de l'échéancier"), default=0)
    days_past_due = models.PositiveIntegerField(_("jours de retard"), default=0)
    arrears_checked_on = models.DateField(_("retards calculés le"), null=True, blank=True)
    # Kept by PostgreSQL from the ledger (a trigger on each insert of ledger lines, migration
    # loans 0014): the loans account's balance of the advance and its allowance. The ledger
    # stays the truth; these spare the lists a sum per row.
    outstanding = MoneyField(_("capital restant dû"), default=ZERO, editable=False)
    provision = MoneyField(_("provision"), default=ZERO, editable=False)
    # Kept by PostgreSQL from the schedule (a trigger on each insert or update of its
    # instalments, migration loans 0016): the due date of its oldest live instalment not
    # fully paid, none when all are paid. Late as of a day when that date is before it.
    unpaid_since = models.DateField(
        _("plus ancienne échéance impayée"), null=True, blank=True, editable=False
    )
    kept_by_database = ("outstanding", "provision", "unpaid_since")
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
            # A dispositif's advances newest first (the API's pages filtered by dispositif).
            models.Index(fields=["dispositif", "-id"], name="advance_dispositif_id_desc"),
            # The decisions whose advance is set up, read whole by the decisions still
            # awaiting theirs (``queries.decisions_awaiting_advance``): beside the unique
            # index, the dispositif included makes it an index-only scan under the scope.
            models.Index(
                fields=["decision"], include=["dispositif"], name="advance_decision_set_up"
            ),
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
                name="advance_contract_checksum_sha256",
                field="contract_checksum",
                condition=Q(contract_checksum="") | Q(contract_checksum__regex=r"^[0-9a-f]{64}$"),
                violation_error_message=_(
                    "Une empreinte SHA-256 s'écrit en 64 chiffres hexadécimaux."
                ),
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

    @property
    def reference(self) -> str:
        """The advance's reference, printed on its contract and asked of the SME in its
        transfers' remittance text (statements find it with ``AV-?(\\d{6,})``)."""
        return f"AV-{self.pk:06d}"


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


class Instalment(KeptByDatabase, TenantModel):
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
    # Kept by PostgreSQL (migration loans 0014): what the repayments not reversed allocated
    # to this instalment (an insert of allocations adds, an insert of a reversal takes off).
    paid = MoneyField(_("payé (€)"), max_digits=12, default=ZERO, editable=False)
    kept_by_database = ("paid",)

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
            # The unpaid part of the live schedules: what the arrears page reads.
            models.Index(
                fields=["advance", "due_on"],
                name="instalment_live_unpaid",
                condition=Q(superseded_at__isnull=True, paid__lt=F("amount")),
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
