"""Committees (the tour de table): meetings, their agenda, attendance, the tools partners
activate for each dossier and the committee's decisions.

Tenant rows of the dispositif they belong to. The tables keep the names they had when the
models lived in the ``dispositifs`` app (and the status log, ``CommitteeTransition``, is
named like them).
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.lifecycle import Lifecycle
from alize.models import RecordedBy, TransitionLog
from alize.tenancy import TenantModel, declare_history_global, global_model
from alize.validators import validate_plausible_date


class CommitteeStatus(models.TextChoices):
    PLANNED = "planned", _("Planifié")
    AGENDA_SENT = "agenda_sent", _("Ordre du jour envoyé")
    HELD = "held", _("Tenu")
    MINUTES_SENT = "minutes_sent", _("Compte rendu envoyé")
    CANCELLED = "cancelled", _("Annulé")


# A committee that sat (its minutes sent or not): what « committees held » counts.
HELD_STATUSES = (CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT)

COMMITTEE_TRANSITIONS = {
    CommitteeStatus.PLANNED: frozenset(
        {CommitteeStatus.AGENDA_SENT, CommitteeStatus.HELD, CommitteeStatus.CANCELLED}
    ),
    CommitteeStatus.AGENDA_SENT: frozenset({CommitteeStatus.HELD, CommitteeStatus.CANCELLED}),
    CommitteeStatus.HELD: frozenset({CommitteeStatus.MINUTES_SENT}),
    CommitteeStatus.MINUTES_SENT: frozenset(),
    CommitteeStatus.CANCELLED: frozenset(),
}


class Committee(TenantModel):
    """A meeting of the tour de table; it moves between partners' premises."""

    date = models.DateField(_("date"), validators=[validate_plausible_date])
    start_time = models.TimeField(_("heure"), null=True, blank=True)
    host = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="hosted_committees",
        verbose_name=_("accueilli par"),
    )
    place = models.CharField(_("lieu"), max_length=200, blank=True)
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=CommitteeStatus.choices,
        default=CommitteeStatus.PLANNED,
        editable=False,
    )
    minutes = models.TextField(_("compte rendu"), blank=True)
    # The iCalendar SEQUENCE of the invitation: raised each time a sent invitation changes.
    sequence = models.PositiveIntegerField(_("version de l'invitation"), default=0, editable=False)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        db_table = "dispositifs_committee"
        verbose_name = _("comité")
        verbose_name_plural = _("comités")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["dispositif", "date"])]

    def __str__(self):
        return _("Comité du %(date)s") % {"date": date_format(self.date, "SHORT_DATE_FORMAT")}

    @property
    def allowed_next_statuses(self) -> list[str]:
        return COMMITTEE_LIFECYCLE.next_states(self.status)


class CommitteeTransition(TenantModel, TransitionLog):
    """One move of a committee between statuses: who (nobody when a scheduled job moved
    it), when and why. Append-only."""

    subject_field = "committee"

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("comité")
    )
    from_status = models.CharField(
        _("de"), max_length=16, choices=CommitteeStatus.choices, blank=True
    )
    to_status = models.CharField(_("vers"), max_length=16, choices=CommitteeStatus.choices)
    reason = models.TextField(_("motif"), blank=True)

    class Meta:
        db_table = "dispositifs_committeetransition"
        verbose_name = _("changement de statut de comité")
        verbose_name_plural = _("changements de statut des comités")
        ordering = ["at", "id"]


COMMITTEE_LIFECYCLE = Lifecycle(
    model=Committee,
    state_field="status",
    transitions=COMMITTEE_TRANSITIONS,
    log=CommitteeTransition,
    illegal_message=_("Un comité « %(current)s » ne peut pas passer à « %(target)s »."),
)


class AgendaItem(TenantModel):
    """A project presented at a committee, in the agenda's order."""

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="items", verbose_name=_("comité")
    )
    project = models.ForeignKey(
        "pme.Project",
        on_delete=models.PROTECT,
        related_name="agenda_items",
        verbose_name=_("projet"),
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)

    class Meta:
        db_table = "dispositifs_agendaitem"
        verbose_name = _("point de l'ordre du jour")
        verbose_name_plural = _("points de l'ordre du jour")
        ordering = ["committee", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "project"], name="agenda_project_once"),
        ]

    def __str__(self):
        return f"{self.order}. {self.project}"


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Présent")
    REPRESENTED = "represented", _("Représenté")
    EXCUSED = "excused", _("Excusé")
    ABSENT = "absent", _("Absent")


# Statuses that seat the organisation at the table (they count for the quorum).
SEATED_STATUSES = frozenset({AttendanceStatus.PRESENT, AttendanceStatus.REPRESENTED})


class Attendance(TenantModel):
    """The roster of the meeting: each seated organisation present (with who sat for it),
    represented by someone else, excused or absent. Recorded in one form for the meeting."""

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("comité")
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    person_name = models.CharField(_("participant"), max_length=200, blank=True)
    status = models.CharField(
        _("présence"),
        max_length=16,
        choices=AttendanceStatus.choices,
        default=AttendanceStatus.PRESENT,
    )
    represented_by = models.CharField(_("représenté par"), max_length=200, blank=True)

    class Meta:
        db_table = "dispositifs_attendance"
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        ordering = ["organisation__name", "person_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "organisation"], name="attendance_one_per_organisation"
            ),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.get_status_display()}"

    @property
    def seated(self) -> bool:
        return self.status in SEATED_STATUSES


class PartnerCommitment(TenantModel, RecordedBy):
    """A tool an organisation activates for a dossier (a regional subsidy, a bank loan, CCI
    training, expert missions…). Large firms come last: ``firm_last`` orders them."""

    item = models.ForeignKey(
        AgendaItem,
        on_delete=models.CASCADE,
        related_name="commitments",
        verbose_name=_("dossier"),
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="commitments",
        verbose_name=_("organisation"),
    )
    tool = models.CharField(_("outil mobilisé"), max_length=200)
    amount = MoneyField(
        _("montant (€)"),
        max_digits=14,
        null=True,
        blank=True,
    )
    firm_last = models.BooleanField(_("grande entreprise"), default=False, editable=False)
    position = models.PositiveIntegerField(_("rang"), default=0, editable=False)

    history = HistoricalRecords(table_name="dispositifs_historicalpartnercommitment")

    class Meta:
        db_table = "dispositifs_partnercommitment"
        verbose_name = _("engagement d'un partenaire")
        verbose_name_plural = _("engagements des partenaires")
        ordering = ["item", "firm_last", "position", "id"]
        constraints = [
            models.CheckConstraint(
                name="commitment_amount_positive",
                condition=Q(amount__isnull=True) | Q(amount__gt=0),
            ),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.tool}"


class DecisionOutcome(models.TextChoices):
    APPROVED = "approved", _("Accepté")
    DEFERRED = "deferred", _("Ajourné")
    REJECTED = "rejected", _("Refusé")


class Decision(TenantModel):
    """The committee's decision on one dossier; recording it moves the project's stage."""

    item = models.OneToOneField(
        AgendaItem, on_delete=models.PROTECT, related_name="decision", verbose_name=_("dossier")
    )
    outcome = models.CharField(_("décision"), max_length=16, choices=DecisionOutcome.choices)
    missions_granted = models.PositiveSmallIntegerField(
        _("missions d'expertise accordées"), default=0
    )
    missions_description = models.TextField(_("missions (compétences attendues)"), blank=True)
    advance_amount = MoneyField(
        _("avance remboursable accordée (€)"),
        max_digits=12,
        null=True,
        blank=True,
    )
    conditions = models.TextField(_("conditions"), blank=True)
    decided_by = user_field(_("saisie par"))
    decided_at = models.DateTimeField(_("saisie le"), auto_now_add=True)

    history = HistoricalRecords(table_name="dispositifs_historicaldecision")

    class Meta:
        db_table = "dispositifs_decision"
        verbose_name = _("décision")
        verbose_name_plural = _("décisions")
        constraints = [
            models.CheckConstraint(
                name="decision_advance_only_when_approved",
                condition=Q(advance_amount__isnull=True)
                | (Q(outcome="approved") & Q(advance_amount__gt=0)),
            ),
            models.CheckConstraint(
                name="decision_missions_only_when_approved",
                condition=Q(missions_granted=0) | Q(outcome="approved"),
            ),
        ]

    def __str__(self):
        return f"{self.item.project}: {self.get_outcome_display()}"


class DecisionCorrection(TenantModel):
    """A correction of a recorded decision: who, when, why, and the outcome, missions and
    advance before and after. Append-only; the decision row itself carries the new values."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="corrections", verbose_name=_("décision")
    )
    previous_outcome = models.CharField(
        _("décision avant"), max_length=16, choices=DecisionOutcome.choices
    )
    outcome = models.CharField(_("décision après"), max_length=16, choices=DecisionOutcome.choices)
    previous_missions_granted = models.PositiveSmallIntegerField(_("missions avant"), default=0)
    missions_granted = models.PositiveSmallIntegerField(_("missions après"), default=0)
    previous_advance_amount = MoneyField(
        _("avance avant (€)"), max_digits=12, null=True, blank=True
    )
    advance_amount = MoneyField(_("avance après (€)"), max_digits=12, null=True, blank=True)
    reason = models.TextField(_("motif de la correction"))
    corrected_by = user_field(_("corrigée par"))
    corrected_at = models.DateTimeField(_("corrigée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("correction de décision")
        verbose_name_plural = _("corrections de décisions")
        ordering = ["decision", "corrected_at", "id"]

    def __str__(self):
        return f"{self.decision}: {self.previous_outcome} → {self.outcome}"


class InterestKind(models.TextChoices):
    CREDITOR = "creditor", _("Créancier")
    SUPPLIER = "supplier", _("Fournisseur")
    CUSTOMER = "customer", _("Client")
    COMPETITOR = "competitor", _("Concurrent")
    SHAREHOLDER = "shareholder", _("Actionnaire")
    FAMILY = "family", _("Lien familial")
    OTHER = "other", _("Autre")


class InterestDeclaration(TenantModel, RecordedBy):
    """A member organisation's interest in a dossier on the agenda: the organisation is
    recused for that dossier (out of its quorum and its decision, named in the minutes).
    ``recorded_by`` is who typed it (the member, or the animateur on their behalf).
    Append-only: never changed nor deleted."""

    item = models.ForeignKey(
        AgendaItem,
        on_delete=models.PROTECT,
        related_name="interests",
        verbose_name=_("dossier"),
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("nature de l'intérêt"), max_length=16, choices=InterestKind.choices)
    note = models.TextField(_("précision"), blank=True)
    on_behalf = models.BooleanField(_("saisie pour le membre"), default=False)

    class Meta:
        verbose_name = _("déclaration d'intérêt")
        verbose_name_plural = _("déclarations d'intérêt")
        ordering = ["item", "recorded_at", "id"]

    def __str__(self):
        return f"{self.organisation}: {self.get_kind_display()}"


class DecisionParticipant(TenantModel):
    """An organisation that took part in a decision (present, not recused)."""

    decision = models.ForeignKey(
        Decision, on_delete=models.CASCADE, related_name="participants", verbose_name=_("décision")
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )

    class Meta:
        verbose_name = _("participant à une décision")
        verbose_name_plural = _("participants aux décisions")
        ordering = ["decision", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "organisation"], name="decision_participant_once"
            ),
        ]

    def __str__(self):
        return f"{self.decision}: {self.organisation}"


class ReplyAnswer(models.TextChoices):
    YES = "yes", _("Je viendrai")
    NO = "no", _("Je ne viendrai pas")
    MAYBE = "maybe", _("Je ne sais pas encore")


class CommitteeReply(TenantModel):
    """A member's answer to the invitation (coming or not) and a word for the animateur;
    one per member and committee, changed until the meeting."""

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="replies", verbose_name=_("comité")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("membre"),
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    answer = models.CharField(_("réponse"), max_length=8, choices=ReplyAnswer.choices)
    comment = models.TextField(_("mot pour l'animateur"), blank=True, max_length=1000)
    answered_at = models.DateTimeField(_("répondu le"), auto_now=True)

    class Meta:
        verbose_name = _("réponse à l'invitation")
        verbose_name_plural = _("réponses aux invitations")
        ordering = ["committee", "organisation__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "user"], name="committee_reply_once"),
        ]

    def __str__(self):
        return f"{self.user}: {self.get_answer_display()}"


SCORE_MAX = 5
WEIGHT_MAX = 10


class ScoringCriterion(TenantModel):
    """A criterion of the dispositif's optional scoring grid (création d'emplois, viabilité,
    ancrage local…), with its weight. A criterion some score uses is only deactivated,
    never deleted."""

    name = models.CharField(_("critère"), max_length=120)
    weight = models.PositiveSmallIntegerField(
        _("poids"), default=1, validators=[MinValueValidator(1), MaxValueValidator(WEIGHT_MAX)]
    )
    order = models.PositiveSmallIntegerField(_("ordre"), default=0)
    active = models.BooleanField(_("actif"), default=True)

    class Meta:
        verbose_name = _("critère de notation")
        verbose_name_plural = _("critères de notation")
        ordering = ["dispositif", "order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "name"], name="scoring_criterion_name_once"
            ),
            FieldCheckConstraint(
                name="scoring_criterion_weight_range",
                condition=Q(weight__gte=1) & Q(weight__lte=WEIGHT_MAX),
                field="weight",
                violation_error_code="weight_range",
                violation_error_message=_("Le poids est un entier de 1 à 10."),
            ),
        ]

    def __str__(self):
        return f"{self.name} (×{self.weight})"


class DossierScore(TenantModel):
    """A member organisation's score of a dossier on one criterion (0 to 5), changed until
    the committee is held. Scores inform the tour de table; they are never a vote."""

    item = models.ForeignKey(
        AgendaItem, on_delete=models.CASCADE, related_name="scores", verbose_name=_("dossier")
    )
    criterion = models.ForeignKey(
        ScoringCriterion,
        on_delete=models.PROTECT,
        related_name="scores",
        verbose_name=_("critère"),
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    score = models.PositiveSmallIntegerField(
        _("note"), validators=[MinValueValidator(0), MaxValueValidator(SCORE_MAX)]
    )
    scored_by = user_field(_("notée par"))
    scored_at = models.DateTimeField(_("notée le"), auto_now=True)

    class Meta:
        verbose_name = _("note d'un dossier")
        verbose_name_plural = _("notes des dossiers")
        ordering = ["item", "organisation__name", "criterion__order", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "criterion", "organisation"], name="dossier_score_once"
            ),
            FieldCheckConstraint(
                name="dossier_score_range",
                condition=Q(score__gte=0) & Q(score__lte=SCORE_MAX),
                field="score",
                violation_error_code="score_range",
                violation_error_message=_("La note est un entier de 0 à 5."),
            ),
        ]

    def __str__(self):
        return f"{self.organisation}: {self.criterion.name} {self.score}"


@global_model(
    "A person's private calendar feed spans the committees of every dispositif they sit in; "
    "the feed reads them through the access policy, in that person's scope."
)
class CalendarFeed(models.Model):
    """The key of a person's private calendar feed (its URL carries the key, signed).
    Revoking deletes it: the old URL answers 404, a new feed gets a new key."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("personne"),
    )
    key = models.CharField(_("clé"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("agenda privé")
        verbose_name_plural = _("agendas privés")

    def __str__(self):
        return str(self.user)


declare_history_global(PartnerCommitment, Decision)
