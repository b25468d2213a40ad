"""Development projects and their stage machine: the stages, the moves between them, the
project, its stage log (``StageTransition``) and the lifecycle that moves it."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alize.fields import MoneyField, user_field
from alize.lifecycle import Lifecycle, ReasonRule
from alize.models import TransitionLog
from alize.search import search_text_field
from alize.tenancy import TenantModel, declare_history_global
from alize.validators import validate_past_date

from .companies import Company

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class ProjectType(models.TextChoices):
    DEVELOPMENT = "development", _("Développement de l'activité")
    DIVERSIFICATION = "diversification", _("Diversification")
    EXPORT = "export", _("Export")
    INVESTMENT = "investment", _("Investissement productif")
    ORGANISATION = "organisation", _("Organisation et ressources humaines")


class ProjectSource(models.TextChoices):
    """Who put the project into the pipeline: the animateur, or the SME itself through the
    dispositif's public door (docs/architecture.md §16)."""

    ANIMATEUR = "animateur", _("Saisi par l'animateur")
    SELF_REFERRAL = "self_referral", _("Déposé par l'entreprise")


class Stage(models.TextChoices):
    REFERRED = "referred", _("Signalé")
    QUALIFIED = "qualified", _("Qualifié")
    IN_INSTRUCTION = "in_instruction", _("En instruction")
    ON_AGENDA = "on_agenda", _("Inscrit en comité")
    APPROVED = "approved", _("Accepté")
    DEFERRED = "deferred", _("Ajourné")
    REJECTED = "rejected", _("Refusé")
    IN_PROGRESS = "in_progress", _("Accompagnement en cours")
    FOLLOWED_UP = "followed_up", _("En suivi")
    CLOSED = "closed", _("Clos")
    ABANDONED = "abandoned", _("Abandonné")


# The stage machine (docs/architecture.md §4). Each stage lists where a project may go next.
TRANSITIONS: dict[str, frozenset[str]] = {
    Stage.REFERRED: frozenset({Stage.QUALIFIED, Stage.ABANDONED}),
    Stage.QUALIFIED: frozenset({Stage.IN_INSTRUCTION, Stage.ABANDONED}),
    Stage.IN_INSTRUCTION: frozenset({Stage.QUALIFIED, Stage.ON_AGENDA, Stage.ABANDONED}),
    Stage.ON_AGENDA: frozenset(
        {Stage.IN_INSTRUCTION, Stage.APPROVED, Stage.DEFERRED, Stage.REJECTED, Stage.ABANDONED}
    ),
    Stage.DEFERRED: frozenset({Stage.IN_INSTRUCTION, Stage.ON_AGENDA, Stage.ABANDONED}),
    Stage.APPROVED: frozenset({Stage.IN_PROGRESS, Stage.ABANDONED}),
    Stage.IN_PROGRESS: frozenset({Stage.FOLLOWED_UP, Stage.ABANDONED}),
    Stage.FOLLOWED_UP: frozenset({Stage.CLOSED}),
    Stage.REJECTED: frozenset(),
    Stage.CLOSED: frozenset(),
    Stage.ABANDONED: frozenset(),
}
# Stages reached only by a committee decision, and the one reached only through an agenda.
DECISION_STAGES = frozenset({Stage.APPROVED, Stage.DEFERRED, Stage.REJECTED})
AGENDA_STAGE = Stage.ON_AGENDA
# Abandoning and reopening are said why, in at least this many characters, on the timeline.
REASON_MIN_LENGTH = 10
# « Reopen » moves: a deferred project back in instruction (in the machine above), and an
# abandoned one back where it was (outside the machine: see ``reopen_stage``).
REOPEN_MOVES = frozenset({(Stage.DEFERRED, Stage.IN_INSTRUCTION)})


def reopen_stage(abandoned_from: str | None) -> str:
    """Where an abandoned project is reopened: the stage it was abandoned from, so nothing
    is done twice and the committee dates it holds stay true; « on agenda » gives « in
    instruction » (the project is put on an agenda again), and an unknown origin « qualified »."""
    if abandoned_from == Stage.ON_AGENDA:
        return Stage.IN_INSTRUCTION
    if abandoned_from in TRANSITIONS and abandoned_from not in (Stage.ABANDONED, ""):
        return abandoned_from
    return Stage.QUALIFIED


def move_needs_reason(current: str, to_stage: str) -> bool:
    """Abandoning and reopening are explained; other moves may carry a comment."""
    return (
        to_stage == Stage.ABANDONED
        or current == Stage.ABANDONED
        or (current, to_stage) in REOPEN_MOVES
    )


def is_reopening(from_stage: str, to_stage: str) -> bool:
    return from_stage == Stage.ABANDONED or (from_stage, to_stage) in REOPEN_MOVES


# Stages where a project waits on the animateur: one left there longer than its dispositif's
# ``stale_after_days`` is listed on the animateur's home (« on agenda » waits on a committee,
# and the later stages last as long as the accompaniment does).
STALE_WATCHED_STAGES = frozenset(
    {Stage.REFERRED, Stage.QUALIFIED, Stage.IN_INSTRUCTION, Stage.DEFERRED, Stage.APPROVED}
)
# Order of the funnel on dashboards.
FUNNEL = [
    Stage.REFERRED,
    Stage.QUALIFIED,
    Stage.IN_INSTRUCTION,
    Stage.ON_AGENDA,
    Stage.APPROVED,
    Stage.IN_PROGRESS,
    Stage.FOLLOWED_UP,
    Stage.CLOSED,
]


class Project(TenantModel):
    """A company's job-creating development project, followed through the stage machine.

    ``stage`` only changes through ``pme.services.project_transition``.
    """

    company = models.ForeignKey(
        Company, on_delete=models.PROTECT, related_name="projects", verbose_name=_("entreprise")
    )
    title = models.CharField(_("intitulé"), max_length=200)
    project_type = models.CharField(_("type de projet"), max_length=32, choices=ProjectType.choices)
    description = models.TextField(_("description"), blank=True)
    referred_by = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="referred_projects",
        verbose_name=_("orienté par"),
    )
    referred_on = models.DateField(
        _("signalé le"), default=timezone.localdate, validators=[validate_past_date]
    )
    needs = models.ManyToManyField(
        "partners.Skill", blank=True, related_name="projects", verbose_name=_("besoins")
    )
    total_budget = MoneyField(
        _("budget total (€)"),
        max_digits=14,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    financing_plan = models.TextField(_("plan de financement"), blank=True)
    jobs_at_start = models.PositiveIntegerField(_("emplois au démarrage"), default=0)
    jobs_planned_3y = models.PositiveIntegerField(_("emplois prévus à 3 ans"), default=0)
    requested_advance = MoneyField(
        _("avance demandée (€)"),
        max_digits=12,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
    )
    source = models.CharField(
        _("origine"),
        max_length=16,
        choices=ProjectSource.choices,
        default=ProjectSource.ANIMATEUR,
        db_default=ProjectSource.ANIMATEUR,
        editable=False,
    )
    stage = models.CharField(
        _("étape"), max_length=32, choices=Stage.choices, default=Stage.REFERRED, editable=False
    )
    stage_changed_at = models.DateTimeField(_("étape depuis"), default=timezone.now, editable=False)
    approved_on = models.DateField(_("accepté le"), null=True, blank=True, editable=False)
    first_committee_on = models.DateField(
        _("premier passage en comité"), null=True, blank=True, editable=False
    )
    created_by = user_field(_("créé par"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)
    # What a list's search (``?q``, web and API) reads with the company's: alize.search.
    search_text = search_text_field("title", "description")

    # The stage's history is its log (``StageTransition``), not the audit history; the search
    # column is derived from the other columns.
    history = HistoricalRecords(
        excluded_fields=["updated_at", "stage", "stage_changed_at", "search_text"]
    )

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["-referred_on", "-id"]
        indexes = [
            models.Index(fields=["dispositif", "stage"]),
            models.Index(fields=["dispositif", "referred_on"]),
            # The lists' default order across dispositifs: latest referral first.
            models.Index(fields=["-referred_on", "-id"], name="project_referred_id_desc"),
            # A dispositif's projects newest first (the API's pages filtered by dispositif).
            models.Index(fields=["dispositif", "-id"], name="project_dispositif_id_desc"),
        ]

    def __str__(self):
        return f"{self.title} — {self.company}"

    @property
    def allowed_next_stages(self) -> list[str]:
        return PROJECT_LIFECYCLE.next_states(self.stage)

    @property
    def days_to_committee(self) -> int | None:
        if self.first_committee_on is None:
            return None
        return (self.first_committee_on - self.referred_on).days


class StageTransition(TenantModel, TransitionLog):
    """One move of a project between stages: who, when and why. Append-only.

    The stage's one history: the project's audit history does not record the stage."""

    subject_field = "project"
    from_field = "from_stage"
    to_field = "to_stage"
    reason_field = "comment"

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="transitions", verbose_name=_("projet")
    )
    from_stage = models.CharField(_("de"), max_length=32, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("vers"), max_length=32, choices=Stage.choices)
    comment = models.TextField(_("commentaire"), blank=True)

    class Meta:
        verbose_name = _("changement d'étape")
        verbose_name_plural = _("changements d'étape")
        ordering = ["at", "id"]

    @property
    def is_reopening(self) -> bool:
        return is_reopening(self.from_stage, self.to_stage)


declare_history_global(Project)


def _reason_message(current: str, to_stage: str) -> StrOrPromise:
    if to_stage == Stage.ABANDONED:
        return _("Dites pourquoi le projet est abandonné (au moins %(min)s caractères).")
    return _("Dites pourquoi le projet est rouvert (au moins %(min)s caractères).")


# Committee dates a move may set (``pme.services``); they stay in the project's audit history.
COMMITTEE_DATE_FIELDS = frozenset({"approved_on", "first_committee_on"})


class ProjectLifecycle(Lifecycle[Project]):
    """The stage machine. The stage's history is its log, so a move writes no audit history
    row, unless it sets committee dates: that row is dated with the move, which the audit
    history reads to show both as one change (``pme.selectors.project_history``)."""

    def save_moved(self, instance, update_fields, *, at):
        if not COMMITTEE_DATE_FIELDS & set(update_fields):
            instance.save_without_historical_record(update_fields=update_fields)
            return
        instance._history_date = at
        try:
            instance.save(update_fields=update_fields)
        finally:
            del instance._history_date


PROJECT_LIFECYCLE = ProjectLifecycle(
    model=Project,
    state_field="stage",
    transitions=TRANSITIONS,
    log=StageTransition,
    illegal_message=_("Un projet « %(current)s » ne peut pas passer à « %(target)s »."),
    unknown_message=_("Étape inconnue : %(stage)s."),
    field="to_stage",
    changed_at_field="stage_changed_at",
    reason=ReasonRule(
        applies=move_needs_reason,
        message=_reason_message,
        field="comment",
        min_length=REASON_MIN_LENGTH,
    ),
)
