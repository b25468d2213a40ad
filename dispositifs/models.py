"""The tenant (Dispositif) and its governance: the tour de table and, later, committees."""

from decimal import Decimal

from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from alize import geo
from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField
from alize.geo import REGIONS
from alize.tenancy import (
    ScopedManager,
    TenantModel,
    check_tenant_write,
    declare_history_global,
)
from alize.validators import validate_plausible_date


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
    launch_date = models.DateField(
        _("date de lancement"), null=True, blank=True, validators=[validate_plausible_date]
    )
    status = models.CharField(
        _("statut"),
        max_length=16,
        choices=DispositifStatus.choices,
        default=DispositifStatus.ACTIVE,
    )
    advance_min = MoneyField(_("avance minimale (€)"), max_digits=12, default=Decimal("10000.00"))
    advance_max = MoneyField(_("avance maximale (€)"), max_digits=12, default=Decimal("15000.00"))
    follow_up_years = models.PositiveSmallIntegerField(_("années de suivi"), default=3)
    stale_after_days = models.PositiveSmallIntegerField(
        _("relance après (jours à la même étape)"),
        default=30,
        db_default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("Un projet resté plus longtemps à une étape apparaît dans « À faire »."),
    )
    agenda_days_before = models.PositiveSmallIntegerField(
        _("ordre du jour envoyé (jours avant le comité)"),
        default=7,
        db_default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        help_text=_(
            "L'ordre du jour est construit et envoyé aux membres du comité ce nombre de jours "
            "avant la séance."
        ),
    )
    # The quorum of the committee, per dossier once recusals are taken out
    # (committees.quorum): organisations present, and which kinds must be among them.
    quorum_organisations = models.PositiveSmallIntegerField(
        _("quorum : organisations membres présentes"),
        default=3,
        db_default=3,
        validators=[MinValueValidator(1), MaxValueValidator(50)],
        help_text=_(
            "Nombre minimal d'organisations membres présentes (ou représentées) et non "
            "récusées pour qu'une décision soit prise sur un dossier."
        ),
    )
    quorum_needs_firm = models.BooleanField(
        _("quorum : une entreprise partenaire"),
        default=True,
        db_default=True,
        help_text=_("Une grande entreprise partenaire doit être parmi les présents."),
    )
    quorum_needs_public = models.BooleanField(
        _("quorum : un organisme public"),
        default=True,
        db_default=True,
        help_text=_("Un organisme public doit être parmi les présents."),
    )

    scores_in_minutes = models.BooleanField(
        _("notes dans le relevé de décisions"),
        default=False,
        db_default=False,
        help_text=_(
            "Le relevé de décisions imprime la moyenne pondérée et l'écart des notes de "
            "chaque dossier (grille de notation facultative)."
        ),
    )

    # What the public door (« Déposer un projet », docs/architecture.md §16) shows an SME
    # leader: the dispositif's own words and who calls back.
    public_intro = models.TextField(
        _("présentation publique"),
        max_length=2000,
        blank=True,
        help_text=_(
            "Texte du dispositif affiché sur sa page publique « Déposer un projet » : ce "
            "qu'il propose, à qui, comment se passe la suite."
        ),
    )
    public_contact_name = models.CharField(
        _("contact public : nom"),
        max_length=200,
        blank=True,
        help_text=_("La personne qui rappelle les entreprises qui déposent un projet."),
    )
    public_contact_email = models.EmailField(_("contact public : e-mail"), blank=True)
    public_contact_phone = models.CharField(
        _("contact public : téléphone"), max_length=30, blank=True
    )

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

    @property
    def region_name(self) -> str:
        return geo.region_name(self.region)

    @property
    def departement_labels(self) -> list[str]:
        """« Nord (59) » for each département."""
        return [f"{geo.departement_name(code) or code} ({code})" for code in self.departements]

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
    joined_on = models.DateField(
        _("entrée le"), null=True, blank=True, validators=[validate_plausible_date]
    )
    left_on = models.DateField(
        _("sortie le"), null=True, blank=True, validators=[validate_plausible_date]
    )
    pledged_hours_per_year = models.PositiveIntegerField(
        _("heures d'expertise promises par an"), default=0
    )

    history = HistoricalRecords()

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


declare_history_global(Membership)
