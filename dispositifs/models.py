"""The tenant (Dispositif) and its governance: the tour de table and, later, committees."""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alize.constraints import FieldCheckConstraint
from alize.geo import REGIONS
from alize.tenancy import (
    ScopedManager,
    TenantModel,
    check_tenant_write,
    declare_history_global,
)


class DispositifStatus(models.TextChoices):
    PROJECT = "project", _("En projet")
    ACTIVE = "active", _("Actif")
    SUSPENDED = "suspended", _("Suspendu")
    CLOSED = "closed", _("Fermé")


class Dispositif(models.Model):
    """A local Alizé programme in one bassin d'emploi: the tenant every scoped row belongs to.

    Scoped on its own primary key: a user sees only the dispositifs of their roles.
    """

    tenant_path = "pk"

    name = models.CharField(_("nom"), max_length=200, unique=True)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    region = models.CharField(_("région"), max_length=3, choices=REGIONS)
    departements = ArrayField(
        models.CharField(max_length=3), verbose_name=_("départements"), default=list, blank=True
    )
    perimeter = ArrayField(
        models.CharField(max_length=5),
        verbose_name=_("périmètre (codes INSEE des communes)"),
        default=list,
        blank=True,
    )
    carrier = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="carried_dispositifs",
        verbose_name=_("structure porteuse"),
    )
    launch_date = models.DateField(_("date de lancement"), null=True, blank=True)
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=DispositifStatus.choices,
        default=DispositifStatus.ACTIVE,
    )
    advance_min = models.DecimalField(
        _("avance minimale (€)"), max_digits=12, decimal_places=2, default=Decimal("10000.00")
    )
    advance_max = models.DecimalField(
        _("avance maximale (€)"), max_digits=12, decimal_places=2, default=Decimal("15000.00")
    )
    follow_up_years = models.PositiveSmallIntegerField(_("années de suivi"), default=3)

    objects = ScopedManager()
    unscoped_objects = models.Manager()

    class Meta:
        verbose_name = _("dispositif")
        verbose_name_plural = _("dispositifs")
        ordering = ["name"]
        base_manager_name = "unscoped_objects"
        constraints = [
            FieldCheckConstraint(
                name="dispositif_advance_bounds",
                condition=Q(advance_min__gt=0) & Q(advance_max__gte=F("advance_min")),
                field="advance_max",
                violation_error_code="advance_bounds",
                violation_error_message=_(
                    "Le plancher doit être positif et le plafond au moins égal au plancher."
                ),
            ),
            FieldCheckConstraint(
                name="dispositif_follow_up_years",
                condition=Q(follow_up_years__lte=10),
                field="follow_up_years",
                violation_error_code="max_value",
                violation_error_message=_("Le suivi des emplois dure au plus 10 ans."),
            ),
        ]

    def __str__(self):
        return self.name

    def tenant_id(self):
        return self.pk

    def clean(self):
        bounds_known = self.advance_min is not None and self.advance_max is not None
        if bounds_known and self.advance_max < self.advance_min:
            raise ValidationError(
                {"advance_max": _("Le plafond doit être supérieur ou égal au plancher.")}
            )

    def save(self, *args, **kwargs):
        check_tenant_write(self)
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        check_tenant_write(self)
        return super().delete(*args, **kwargs)


class MembershipKind(models.TextChoices):
    CARRIER = "carrier", _("Structure porteuse")
    PARTNER_FIRM = "partner_firm", _("Entreprise partenaire")
    PUBLIC_BODY = "public_body", _("Organisme public")
    ECONOMIC_DEVELOPER = "economic_developer", _("Développeur économique")
    FINANCIAL_PARTNER = "financial_partner", _("Partenaire financier")
    FUNDER = "funder", _("Financeur")


class Membership(TenantModel):
    """An organisation's seat at a dispositif's tour de table, with a firm's yearly pledge."""

    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(
        _("rôle au tour de table"), max_length=32, choices=MembershipKind.choices
    )
    joined_on = models.DateField(_("entrée le"), null=True, blank=True)
    left_on = models.DateField(_("sortie le"), null=True, blank=True)
    pledged_hours_per_year = models.PositiveIntegerField(
        _("heures d'expertise promises par an"), default=0
    )

    class Meta:
        verbose_name = _("membre du tour de table")
        verbose_name_plural = _("membres du tour de table")
        ordering = ["dispositif", "kind", "organisation__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["dispositif", "organisation"], name="membership_unique_per_dispositif"
            ),
            FieldCheckConstraint(
                name="membership_left_after_joined",
                condition=Q(left_on__isnull=True)
                | Q(joined_on__isnull=True)
                | Q(left_on__gte=F("joined_on")),
                field="left_on",
                violation_error_code="left_before_joined",
                violation_error_message=_(
                    "La date de départ ne peut pas précéder la date d'entrée."
                ),
            ),
        ]

    def __str__(self):
        return f"{self.organisation} — {self.get_kind_display()}"

    @property
    def is_active(self) -> bool:
        return self.left_on is None


class CommitteeStatus(models.TextChoices):
    PLANNED = "planned", _("Planifié")
    AGENDA_SENT = "agenda_sent", _("Ordre du jour envoyé")
    HELD = "held", _("Tenu")
    MINUTES_SENT = "minutes_sent", _("Compte rendu envoyé")


COMMITTEE_TRANSITIONS = {
    CommitteeStatus.PLANNED: frozenset({CommitteeStatus.AGENDA_SENT, CommitteeStatus.HELD}),
    CommitteeStatus.AGENDA_SENT: frozenset({CommitteeStatus.HELD}),
    CommitteeStatus.HELD: frozenset({CommitteeStatus.MINUTES_SENT}),
    CommitteeStatus.MINUTES_SENT: frozenset(),
}


class Committee(TenantModel):
    """A meeting of the tour de table; it moves between partners' premises."""

    date = models.DateField(_("date"))
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
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)

    class Meta:
        verbose_name = _("comité")
        verbose_name_plural = _("comités")
        ordering = ["-date", "-id"]
        indexes = [models.Index(fields=["dispositif", "date"])]

    def __str__(self):
        return _("Comité du %(date)s") % {"date": date_format(self.date, "SHORT_DATE_FORMAT")}

    @property
    def allowed_next_statuses(self) -> list[str]:
        return [s for s in CommitteeStatus.values if s in COMMITTEE_TRANSITIONS[self.status]]


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
        verbose_name = _("point de l'ordre du jour")
        verbose_name_plural = _("points de l'ordre du jour")
        ordering = ["committee", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["committee", "project"], name="agenda_project_once"),
        ]

    def __str__(self):
        return f"{self.order}. {self.project}"


class Attendance(TenantModel):
    """Who sat at the committee, for which organisation."""

    committee = models.ForeignKey(
        Committee, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("comité")
    )
    organisation = models.ForeignKey(
        "partners.Organisation",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("organisation"),
    )
    person_name = models.CharField(_("participant"), max_length=200)
    present = models.BooleanField(_("présent"), default=True)

    class Meta:
        verbose_name = _("présence")
        verbose_name_plural = _("présences")
        ordering = ["organisation__name", "person_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["committee", "organisation", "person_name"], name="attendance_unique"
            ),
        ]

    def __str__(self):
        return f"{self.person_name} ({self.organisation})"


class PartnerCommitment(TenantModel):
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
    amount = models.DecimalField(
        _("montant (€)"),
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
    )
    firm_last = models.BooleanField(_("grande entreprise"), default=False, editable=False)
    position = models.PositiveIntegerField(_("rang"), default=0, editable=False)
    recorded_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saisi par"),
    )
    recorded_at = models.DateTimeField(_("saisi le"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
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
    advance_amount = models.DecimalField(
        _("avance remboursable accordée (€)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    conditions = models.TextField(_("conditions"), blank=True)
    decided_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saisie par"),
    )
    decided_at = models.DateTimeField(_("saisie le"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
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


declare_history_global(PartnerCommitment, Decision)
