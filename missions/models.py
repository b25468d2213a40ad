"""Skill missions lent by partner firms, the experts assigned to them, the hours they log
and the months an animateur has closed (all tenant rows of the requesting dispositif).

A mission is created from an approved committee decision of its project and proposed to
one firm (``firm``), which may hold no seat in the dispositif (cross-territory lending:
``cross_territory``). Its status only moves through ``missions.services``; each
move is kept in ``MissionTransition``. Hour logs are entries (hours > 0, one per mission,
expert and day) or adjustments (signed hours with a reason, the only change allowed once
the month is closed).
"""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import user_field
from alize.lifecycle import Lifecycle, ReasonRule
from alize.models import TransitionLog
from alize.tenancy import TenantModel
from alize.validators import validate_plausible_date


class MissionStatus(models.TextChoices):
    PROPOSED = "proposed", _("Proposée")
    ACCEPTED = "accepted", _("Acceptée")
    IN_PROGRESS = "in_progress", _("En cours")
    COMPLETED = "completed", _("Terminée")
    DECLINED = "declined", _("Déclinée")
    CANCELLED = "cancelled", _("Annulée")


# The lifecycle: where a mission may go from each status. A declined mission is closed
# (the animateur proposes a new one, to the same firm or another).
MISSION_TRANSITIONS: dict[str, frozenset[str]] = {
    MissionStatus.PROPOSED: frozenset(
        {MissionStatus.ACCEPTED, MissionStatus.DECLINED, MissionStatus.CANCELLED}
    ),
    MissionStatus.ACCEPTED: frozenset({MissionStatus.IN_PROGRESS, MissionStatus.CANCELLED}),
    MissionStatus.IN_PROGRESS: frozenset({MissionStatus.COMPLETED, MissionStatus.CANCELLED}),
    MissionStatus.COMPLETED: frozenset(),
    MissionStatus.DECLINED: frozenset(),
    MissionStatus.CANCELLED: frozenset(),
}
# Moves that are said why: a decline (by the firm) and a cancellation (by the animateur).
REASONED_STATUSES = frozenset({MissionStatus.DECLINED, MissionStatus.CANCELLED})
# Statuses in which the firm's experts work on the mission (hours may be logged).
LOGGABLE_STATUSES = frozenset({MissionStatus.ACCEPTED, MissionStatus.IN_PROGRESS})
# A decline and an adjustment are said why, in at least this many characters.
REASON_MIN_LENGTH = 10
MAX_HOURS_PER_DAY = Decimal("12")


class SkillMission(TenantModel):
    """A skill mission of a project, granted by a committee decision, lent by one firm."""

    project = models.ForeignKey(
        "pme.Project", on_delete=models.PROTECT, related_name="missions", verbose_name=_("projet")
    )
    decision = models.ForeignKey(
        "committees.Decision",
        on_delete=models.PROTECT,
        related_name="missions",
        verbose_name=_("décision"),
    )
    firm = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="missions",
        verbose_name=_("entreprise partenaire"),
    )
    skill = models.ForeignKey(
        "partners.Skill",
        on_delete=models.PROTECT,
        related_name="missions",
        verbose_name=_("compétence"),
    )
    objective = models.TextField(_("objectif"))
    planned_hours = models.DecimalField(
        _("heures prévues"),
        max_digits=6,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.5")), MaxValueValidator(Decimal("2000"))],
    )
    starts_on = models.DateField(_("début"), validators=[validate_plausible_date])
    ends_on = models.DateField(_("fin"), validators=[validate_plausible_date])
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=MissionStatus.choices,
        default=MissionStatus.PROPOSED,
        editable=False,
    )
    cross_territory = models.BooleanField(
        _("prêt d'un autre territoire"),
        default=False,
        editable=False,
        help_text=_("L'entreprise ne siège pas au tour de table de ce dispositif."),
    )
    decline_reason = models.TextField(_("motif du refus"), blank=True, editable=False)
    sme_evaluation = models.TextField(_("évaluation par l'entreprise accompagnée"), blank=True)
    sme_rating = models.PositiveSmallIntegerField(
        _("note de l'entreprise accompagnée"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    expert_evaluation = models.TextField(_("évaluation par l'expert"), blank=True)
    expert_rating = models.PositiveSmallIntegerField(
        _("note de l'expert"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    proposed_by = user_field(_("proposée par"))
    proposed_at = models.DateTimeField(_("proposée le"), auto_now_add=True)
    status_changed_at = models.DateTimeField(_("statut depuis"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("mission d'expertise")
        verbose_name_plural = _("missions d'expertise")
        ordering = ["-starts_on", "-id"]
        indexes = [
            models.Index(fields=["dispositif", "status"]),
            models.Index(fields=["firm", "status"]),
            models.Index(fields=["-starts_on", "-id"], name="mission_starts_id_desc"),
            # A dispositif's missions newest first (the API's pages filtered by dispositif).
            models.Index(fields=["dispositif", "-id"], name="mission_dispositif_id_desc"),
        ]
        constraints = [
            FieldCheckConstraint(
                name="mission_ends_after_start",
                condition=Q(ends_on__gte=F("starts_on")),
                field="ends_on",
                violation_error_code="ends_before_start",
                violation_error_message=_("La fin de la mission ne peut précéder son début."),
            ),
            FieldCheckConstraint(
                name="mission_planned_hours_positive",
                condition=Q(planned_hours__gt=0),
                field="planned_hours",
                violation_error_code="min_value",
                violation_error_message=_("Les heures prévues doivent être positives."),
            ),
        ]

    def __str__(self):
        return f"{self.skill} — {self.project.title}"

    @property
    def allowed_next_statuses(self) -> list[str]:
        return MISSION_LIFECYCLE.next_states(self.status)

    @property
    def is_open_for_hours(self) -> bool:
        return self.status in LOGGABLE_STATUSES

    @property
    def hours_over_plan(self) -> Decimal:
        """The hours logged beyond the planned ones (0 within the plan), on a mission read
        with its ``logged_hours`` (``missions.selectors.mission_logged_hours``). They are
        not refused, since the work was done, but flagged wherever hours are counted."""
        logged = getattr(self, "logged_hours", None)
        if logged is None or logged <= self.planned_hours:
            return Decimal("0")
        return logged - self.planned_hours


class MissionTransition(TenantModel, TransitionLog):
    """One move of a mission between statuses: who, when and why. Append-only."""

    subject_field = "mission"

    mission = models.ForeignKey(
        SkillMission,
        on_delete=models.CASCADE,
        related_name="transitions",
        verbose_name=_("mission"),
    )
    from_status = models.CharField(
        _("de"), max_length=16, choices=MissionStatus.choices, blank=True
    )
    to_status = models.CharField(_("vers"), max_length=16, choices=MissionStatus.choices)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        verbose_name = _("changement de statut de mission")
        verbose_name_plural = _("changements de statut de mission")
        ordering = ["at", "id"]


class MissionAssignment(TenantModel):
    """An expert of the mission's firm, assigned by the firm's correspondent."""

    mission = models.ForeignKey(
        SkillMission,
        on_delete=models.CASCADE,
        related_name="assignments",
        verbose_name=_("mission"),
    )
    expert = models.ForeignKey(
        "partners.Expert",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("expert"),
    )
    assigned_by = user_field(_("affecté par"))
    assigned_at = models.DateTimeField(_("affecté le"), auto_now_add=True)

    class Meta:
        verbose_name = _("expert affecté")
        verbose_name_plural = _("experts affectés")
        ordering = ["assigned_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "expert"],
                name="mission_assignment_unique",
                violation_error_message=_("Cet expert est déjà affecté à la mission."),
            ),
        ]

    def __str__(self):
        return f"{self.expert} — {self.mission_id}"


class HourLogKind(models.TextChoices):
    ENTRY = "entry", _("Saisie")
    ADJUSTMENT = "adjustment", _("Régularisation")


class HourLog(TenantModel):
    """Hours an expert gave to a mission on one day.

    An entry has hours > 0 and is unique per mission, expert and day (the week grid's
    cell); it can change or go while its month is open. An adjustment carries signed hours
    and a reason, may point to the entry it corrects, and is how a closed month changes.
    """

    mission = models.ForeignKey(
        SkillMission,
        on_delete=models.PROTECT,
        related_name="hour_logs",
        verbose_name=_("mission"),
    )
    expert = models.ForeignKey(
        "partners.Expert",
        on_delete=models.PROTECT,
        related_name="hour_logs",
        verbose_name=_("expert"),
    )
    date = models.DateField(_("date"))
    hours = models.DecimalField(_("heures"), max_digits=5, decimal_places=2)
    kind = models.CharField(
        _("type"), max_length=16, choices=HourLogKind.choices, default=HourLogKind.ENTRY
    )
    corrects = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustments",
        verbose_name=_("corrige"),
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    reason = models.TextField(_("motif de la régularisation"), blank=True)
    created_by = user_field(_("saisi par"))
    created_at = models.DateTimeField(_("saisi le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("heures d'expertise")
        verbose_name_plural = _("heures d'expertise")
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["expert", "date"]),
            models.Index(fields=["mission", "date"]),
            models.Index(fields=["dispositif", "date"]),
            models.Index(fields=["-date", "-id"], name="hourlog_date_id_desc"),
            # A dispositif's logs newest first (the API's pages for an animateur, whose
            # filters, such as a date, then stop at the page's last row).
            models.Index(fields=["dispositif", "-id"], name="hourlog_dispositif_id_desc"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["mission", "expert", "date"],
                condition=Q(kind="entry"),
                name="hourlog_one_entry_per_day",
                violation_error_message=_(
                    "Des heures sont déjà saisies ce jour sur cette mission."
                ),
            ),
            FieldCheckConstraint(
                name="hourlog_entry_hours_positive",
                condition=Q(kind="adjustment") | Q(hours__gt=0),
                field="hours",
                violation_error_code="min_value",
                violation_error_message=_("Les heures doivent être supérieures à zéro."),
            ),
            FieldCheckConstraint(
                name="hourlog_adjustment_non_zero_with_reason",
                condition=Q(kind="entry") | (~Q(hours=0) & ~Q(reason="")),
                field="reason",
                violation_error_code="adjustment_reason",
                violation_error_message=_(
                    "Une régularisation a des heures non nulles et un motif."
                ),
            ),
            FieldCheckConstraint(
                name="hourlog_hours_at_most_a_day",
                condition=Q(hours__lte=MAX_HOURS_PER_DAY) & Q(hours__gte=-MAX_HOURS_PER_DAY),
                field="hours",
                violation_error_code="max_value",
                violation_error_message=_("Au plus 12 heures par jour."),
            ),
        ]

    def __str__(self):
        return f"{self.expert_id} {self.date}: {self.hours} h"

    @property
    def is_adjustment(self) -> bool:
        return self.kind == HourLogKind.ADJUSTMENT


class ClosedMonth(TenantModel):
    """A month an animateur closed for the dispositif: its hour entries are locked."""

    month = models.DateField(_("mois"), help_text=_("Le premier jour du mois."))
    closed_by = user_field(_("clos par"))
    closed_at = models.DateTimeField(_("clos le"), auto_now_add=True)

    class Meta:
        verbose_name = _("mois clos")
        verbose_name_plural = _("mois clos")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "month"],
                name="closed_month_unique",
                violation_error_message=_("Ce mois est déjà clos."),
            ),
            FieldCheckConstraint(
                name="closed_month_first_day",
                condition=Q(month__day=1),
                field="month",
                violation_error_code="first_day",
                violation_error_message=_("Un mois clos commence le premier du mois."),
            ),
        ]

    def __str__(self):
        return self.month.strftime("%Y-%m")


class FirmMonthHours(TenantModel):
    """Hours a firm delivered in a dispositif in one month: a running total kept by the
    hour-log services in the same transaction as the logs (an upsert that adds the change),
    so the fatigue view and the firm portal sum a few hundred rows, not a million logs."""

    firm = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("entreprise partenaire"),
    )
    month = models.DateField(_("mois"))
    hours = models.DecimalField(_("heures"), max_digits=10, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("heures mensuelles d'une entreprise")
        verbose_name_plural = _("heures mensuelles des entreprises")
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "firm", "month"], name="firm_month_hours_unique"
            ),
        ]

    def __str__(self):
        return f"{self.firm_id} {self.month:%Y-%m}: {self.hours} h"


MISSION_LIFECYCLE = Lifecycle(
    model=SkillMission,
    state_field="status",
    transitions=MISSION_TRANSITIONS,
    log=MissionTransition,
    illegal_message=_("Une mission « %(current)s » ne peut pas passer à « %(target)s »."),
    changed_at_field="status_changed_at",
    reason=ReasonRule(
        applies=lambda current, target: target in REASONED_STATUSES,
        message=_("Dites pourquoi en au moins %(count)d caractères."),
        code="reason_required",
        min_length=REASON_MIN_LENGTH,
    ),
)
