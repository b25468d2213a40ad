"""SMEs (companies), their development projects, the stage history and the jobs follow-up.

Every model here is tenant-scoped: a company belongs to the dispositif that supports it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.lifecycle import Lifecycle, ReasonRule
from alize.models import TransitionLog
from alize.tenancy import TenantModel, declare_history_global
from alize.validators import (
    validate_creation_date,
    validate_past_date,
    validate_plausible_date,
    validate_siren,
    validate_siret,
)
from partners.reference.selectors import commune_by_code, naf_label
from partners.reference.validators import validate_naf_code

SME_MAX_HEADCOUNT = 250
SME_MAX_TURNOVER = Decimal("50000000")
MIN_AGE_YEARS = 3

naf_validator = RegexValidator(
    r"^\d{2}\.\d{2}[A-Z]$", _("Code NAF attendu au format 25.62B."), code="invalid_naf"
)
commune_validator = RegexValidator(
    r"^(\d{5}|2[AB]\d{3})$", _("Code commune INSEE attendu (5 caractères)."), code="invalid_commune"
)


def years_between(start: dt.date, end: dt.date) -> int:
    """Whole years from ``start`` to ``end`` (birthday arithmetic, 29 February safe)."""
    years = end.year - start.year
    if (end.month, end.day) < (start.month, start.day):
        years -= 1
    return years


class CheckStatus(models.TextChoices):
    PASSED = "passed", _("rempli")
    FAILED = "failed", _("non rempli")
    UNKNOWN = "unknown", _("à vérifier")


@dataclass
class EligibilityCheck:
    """One criterion: passed, failed, or unknown when the data it needs is missing."""

    code: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == CheckStatus.PASSED

    @property
    def unknown(self) -> bool:
        return self.status == CheckStatus.UNKNOWN


@dataclass
class Eligibility:
    """The programme's three criteria for a company, with the reasons shown to people.

    A criterion whose data is missing (an unknown turnover) is « to be checked »: it is not a
    pass, so the company is not eligible until the data is entered or an exception granted,
    but it is not shown as a failure either."""

    checks: list[EligibilityCheck] = field(default_factory=list)
    exception: bool = False
    exception_reason: str = ""

    @property
    def criteria_met(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def eligible(self) -> bool:
        return self.criteria_met or self.exception

    @property
    def failures(self) -> list[EligibilityCheck]:
        return [check for check in self.checks if check.status == CheckStatus.FAILED]

    @property
    def to_check(self) -> bool:
        """No criterion fails but at least one is unknown."""
        return not self.failures and any(check.unknown for check in self.checks)


class Company(TenantModel):
    """An SME supported (or considered) by a dispositif. Holds personal data of its contact."""

    siren = models.CharField(_("SIREN"), max_length=9, validators=[validate_siren])
    siret = models.CharField(
        _("SIRET du siège"), max_length=14, blank=True, validators=[validate_siret]
    )
    name = models.CharField(_("raison sociale"), max_length=200)
    naf_code = models.CharField(
        _("code NAF"), max_length=6, validators=[naf_validator, validate_naf_code]
    )
    creation_date = models.DateField(_("date de création"), validators=[validate_creation_date])
    headcount = models.PositiveIntegerField(_("effectif"))
    turnover = MoneyField(
        _("chiffre d'affaires (€)"),
        max_digits=14,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    commune_code = models.CharField(
        _("commune (code INSEE)"), max_length=5, validators=[commune_validator]
    )
    commune_name = models.CharField(_("commune"), max_length=120, blank=True)
    contact_name = models.CharField(_("contact"), max_length=200, blank=True)
    contact_role = models.CharField(_("fonction du contact"), max_length=120, blank=True)
    contact_email = models.EmailField(_("e-mail du contact"), blank=True)
    contact_phone = models.CharField(_("téléphone du contact"), max_length=30, blank=True)
    eligibility_exception = models.BooleanField(_("dérogation d'éligibilité"), default=False)
    exception_reason = models.TextField(_("justification de la dérogation"), blank=True)
    exception_by = user_field(_("dérogation accordée par"))
    exception_at = models.DateTimeField(_("dérogation accordée le"), null=True, blank=True)
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    class Meta:
        verbose_name = _("entreprise")
        verbose_name_plural = _("entreprises")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "siren"],
                name="company_siren_unique_per_dispositif",
                violation_error_message=_("Une entreprise avec ce SIREN existe déjà ici."),
            ),
            FieldCheckConstraint(
                name="company_exception_is_justified",
                condition=Q(eligibility_exception=False) | ~Q(exception_reason=""),
                field="exception_reason",
                violation_error_code="exception_unjustified",
                violation_error_message=_("Justifiez la dérogation (au moins 10 caractères)."),
            ),
        ]
        indexes = [
            models.Index(fields=["dispositif", "name"]),
            # The lists' default order across dispositifs: name, newest first on ties.
            models.Index(fields=["name", "-id"], name="company_name_id_desc"),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        """The commune must be in the reference; its official name is taken from there."""
        super().clean()
        code = self.commune_code or ""
        if not re.fullmatch(r"\d{5}|2[AB]\d{3}", code):
            return  # the field's own validator reports it
        commune = commune_by_code(code)
        if commune is None:
            raise ValidationError(
                {"commune_code": _("Code commune INSEE inconnu : %(code)s.") % {"code": code}}
            )
        self.commune_name = commune.name

    @property
    def naf_label(self) -> str:
        """« Réparation de machines et équipements mécaniques » for 33.12Z (NAF rev. 2)."""
        return naf_label(self.naf_code)

    def age_years(self, on: dt.date | None = None) -> int:
        return years_between(self.creation_date, on or timezone.localdate())

    def eligibility(self, on: dt.date | None = None) -> Eligibility:
        """Older than three years, SME size, commune inside the dispositif's perimeter."""
        return eligibility_of(
            age=self.age_years(on),
            headcount=self.headcount,
            turnover=self.turnover,
            commune_code=self.commune_code,
            in_perimeter=self.commune_code in self.dispositif.perimeter,
            exception=self.eligibility_exception,
            exception_reason=self.exception_reason,
        )


class EligibilityTexts:
    """The eligibility messages in the active language, each template translated once: a
    list builds one for its page instead of translating three messages per row."""

    def __init__(self):
        self.size_unknown = gettext(
            "Effectif %(headcount)s (moins de %(max)s salariés) ; chiffre d'affaires "
            "inconnu, à vérifier (50 M€ au plus)."
        )
        self.size = gettext("Effectif %(headcount)s (moins de %(max)s salariés, CA ≤ 50 M€).")
        self.inside = gettext("La commune %(code)s est dans le périmètre du dispositif.")
        self.outside = gettext("La commune %(code)s est hors du périmètre du dispositif.")
        self._age: dict[int, str] = {}

    def age(self, age: int) -> str:
        if age not in self._age:
            self._age[age] = ngettext(
                "Créée il y a %(age)s an (au moins %(min)s requis).",
                "Créée il y a %(age)s ans (au moins %(min)s requis).",
                age,
            ) % {"age": age, "min": MIN_AGE_YEARS}
        return self._age[age]


def eligibility_of(
    *,
    age: int,
    headcount: int,
    turnover: Decimal | None,
    commune_code: str,
    in_perimeter: bool,
    exception: bool,
    exception_reason: str,
    texts: EligibilityTexts | None = None,
) -> Eligibility:
    """The three criteria from a company's values (``Company.eligibility`` and the lists)."""
    texts = texts or EligibilityTexts()
    if headcount >= SME_MAX_HEADCOUNT or (turnover is not None and turnover > SME_MAX_TURNOVER):
        size = CheckStatus.FAILED
    elif turnover is None:
        size = CheckStatus.UNKNOWN
    else:
        size = CheckStatus.PASSED
    checks = [
        EligibilityCheck(
            "age",
            CheckStatus.PASSED if age >= MIN_AGE_YEARS else CheckStatus.FAILED,
            texts.age(age),
        ),
        EligibilityCheck(
            "size",
            size,
            (texts.size_unknown if size == CheckStatus.UNKNOWN else texts.size)
            % {"headcount": headcount, "max": SME_MAX_HEADCOUNT},
        ),
        EligibilityCheck(
            "perimeter",
            CheckStatus.PASSED if in_perimeter else CheckStatus.FAILED,
            (texts.inside if in_perimeter else texts.outside) % {"code": commune_code},
        ),
    ]
    return Eligibility(checks, exception, exception_reason)


class ProjectType(models.TextChoices):
    DEVELOPMENT = "development", _("Développement de l'activité")
    DIVERSIFICATION = "diversification", _("Diversification")
    EXPORT = "export", _("Export")
    INVESTMENT = "investment", _("Investissement productif")
    ORGANISATION = "organisation", _("Organisation et ressources humaines")


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

    # The stage's history is its log (``StageTransition``), not the audit history.
    history = HistoricalRecords(excluded_fields=["updated_at", "stage", "stage_changed_at"])

    class Meta:
        verbose_name = _("projet")
        verbose_name_plural = _("projets")
        ordering = ["-referred_on", "-id"]
        indexes = [
            models.Index(fields=["dispositif", "stage"]),
            models.Index(fields=["dispositif", "referred_on"]),
            # The lists' default order across dispositifs: latest referral first.
            models.Index(fields=["-referred_on", "-id"], name="project_referred_id_desc"),
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


class FollowUpSource(models.TextChoices):
    DECLARED = "declared", _("Déclaré par l'entreprise")
    VERIFIED = "verified", _("Vérifié (DSN, bilan, registre)")


class JobsFollowUp(TenantModel):
    """Jobs observed 1, 2 or 3 years after approval, against the jobs planned."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="follow_ups", verbose_name=_("projet")
    )
    year = models.PositiveSmallIntegerField(
        _("année de suivi"), validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    as_of = models.DateField(_("à la date du"), validators=[validate_plausible_date])
    headcount = models.PositiveIntegerField(_("effectif"))
    jobs_created = models.PositiveIntegerField(_("emplois créés"))
    jobs_maintained = models.PositiveIntegerField(_("emplois maintenus"))
    source = models.CharField(_("source"), max_length=16, choices=FollowUpSource.choices)
    note = models.TextField(_("remarque"), blank=True)
    recorded_by = user_field(_("saisi par"))
    recorded_at = models.DateTimeField(_("saisi le"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("suivi des emplois")
        verbose_name_plural = _("suivis des emplois")
        ordering = ["project", "year"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="follow_up_once_per_year"),
            FieldCheckConstraint(
                name="follow_up_year_positive",
                condition=Q(year__gte=1),
                field="year",
                violation_error_code="min_value",
                violation_error_message=_("L'année de suivi commence à 1."),
            ),
        ]

    def __str__(self):
        return f"{self.project} — {self.year}"


# A follow-up falls due on the anniversary of approval; the company has this many days to
# give its figures, after which the follow-up is overdue.
FOLLOW_UP_GRACE_DAYS = 30


def follow_up_overdue(due_on: dt.date | None, on: dt.date | None = None) -> bool:
    """Is a follow-up due on ``due_on``, still unrecorded, overdue on ``on`` (today)?"""
    if due_on is None:
        return False
    return (on or timezone.localdate()) > due_on + dt.timedelta(days=FOLLOW_UP_GRACE_DAYS)


class FollowUpReminder(TenantModel):
    """A follow-up that is due (anniversary of approval passed, nothing recorded yet).

    Created by the daily Celery beat job; resolved when the follow-up is recorded.
    """

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("projet")
    )
    year = models.PositiveSmallIntegerField(_("année de suivi"))
    due_on = models.DateField(_("dû le"))
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        verbose_name = _("relance de suivi")
        verbose_name_plural = _("relances de suivi")
        ordering = ["due_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "year"], name="reminder_once_per_year"),
        ]

    def __str__(self):
        return f"{self.project} — {self.year} ({self.due_on})"

    @property
    def overdue(self) -> bool:
        return self.resolved_at is None and follow_up_overdue(self.due_on)


declare_history_global(Project, JobsFollowUp)


def _reason_message(current: str, to_stage: str) -> str:
    if to_stage == Stage.ABANDONED:
        return _("Dites pourquoi le projet est abandonné (au moins %(min)s caractères).")
    return _("Dites pourquoi le projet est rouvert (au moins %(min)s caractères).")


# Committee dates a move may set (``pme.services``); they stay in the project's audit history.
COMMITTEE_DATE_FIELDS = frozenset({"approved_on", "first_committee_on"})


class ProjectLifecycle(Lifecycle):
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
