"""Organisations of the tour de table, skills, experts and their rates, and the reference
lists of communes and NAF codes (all global). Skill missions and hour logs are tenant rows
of the ``missions`` app."""

from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField
from alize.search import search_index
from alize.tenancy import global_model
from alize.validators import validate_siren


class OrganisationKind(models.TextChoices):
    LARGE_FIRM = "large_firm", _("Grande entreprise")
    PUBLIC_BODY = "public_body", _("Organisme public")
    CONSULAR = "consular", _("Chambre consulaire")
    DEVELOPMENT_AGENCY = "development_agency", _("Agence de développement")
    CREATION_NETWORK = "creation_network", _("Réseau d'aide à la création")
    BANK = "bank", _("Banque")
    FUNDER = "funder", _("Financeur")
    OTHER = "other", _("Autre")


class PublicLevel(models.TextChoices):
    COMMUNE = "commune", _("Commune")
    INTERCOMMUNALITY = "intercommunality", _("Intercommunalité")
    DEPARTEMENT = "departement", _("Département")
    REGION = "region", _("Région")
    STATE = "state", _("Services de l'État")


@global_model("An organisation (EDF, a CCI, a bank) sits at the tour de table of many dispositifs.")
class Organisation(models.Model):
    """A partner organisation: large firm, public body, consular chamber, bank, funder…"""

    name = models.CharField(_("nom"), max_length=200)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)
    siren = models.CharField(
        _("SIREN"), max_length=9, blank=True, validators=[validate_siren], db_index=True
    )
    kind = models.CharField(_("type"), max_length=32, choices=OrganisationKind.choices)
    public_level = models.CharField(
        _("niveau territorial"), max_length=32, choices=PublicLevel.choices, blank=True
    )
    address = models.CharField(
        _("adresse"),
        max_length=200,
        blank=True,
        help_text=_("Rue et code postal : le lieu des comités qu'elle accueille."),
    )
    city = models.CharField(_("ville"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
        # The search's columns (``?q``, alize.search).
        indexes = [
            search_index("name", name="organisation_name_search"),
            search_index("siren", name="organisation_siren_search"),
            search_index("city", name="organisation_city_search"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["siren"], condition=~models.Q(siren=""), name="organisation_siren_unique"
            ),
            FieldCheckConstraint(
                name="organisation_public_level_only_for_public_bodies",
                condition=models.Q(kind="public_body") | models.Q(public_level=""),
                field="public_level",
                violation_error_code="public_level_for_public_bodies",
                violation_error_message=_("Seul un organisme public a un niveau territorial."),
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def meeting_place(self) -> str:
        """Where a committee it hosts sits: its name, address and city."""
        return ", ".join(part for part in (self.name, self.address, self.city) if part)

    @property
    def is_large_firm(self) -> bool:
        return self.kind == OrganisationKind.LARGE_FIRM


@global_model("The skills list is a national reference shared by every dispositif.")
class Skill(models.Model):
    """A skill an SME may need and an expert may bring (quality, export, lean, HR…), named
    in French and, for the English interface, in English (``label`` is the active
    language's name; a skill without an English name reads in French)."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    name_en = models.CharField(_("nom en anglais"), max_length=120, blank=True)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")
        ordering = ["name"]

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return self.label_of(self.name, self.name_en)

    @staticmethod
    def label_of(name: str, name_en: str = "") -> str:
        """The name to show in the active language, from the two stored names (for reads
        that take columns rather than rows)."""
        if name_en and (get_language() or "fr").startswith("en"):
            return name_en
        return name


# The national skills vocabulary (slug, French name): created by a data migration, edited
# by the national coordination in the admin. Projects' needs and experts' skills use it.
NATIONAL_SKILLS = [
    ("finance", "Finance et gestion"),
    ("marketing", "Marketing et action commerciale"),
    ("export", "Export et international"),
    ("rh-recrutement", "Ressources humaines et recrutement"),
    ("qualite", "Qualité"),
    ("lean-production", "Lean et organisation de la production"),
    ("informatique", "Informatique et numérique"),
    ("juridique", "Juridique"),
    ("achats", "Achats et logistique"),
    ("energie", "Efficacité énergétique"),
    ("strategie", "Stratégie"),
]
# Their English names (data, like the French ones: edited in the admin).
NATIONAL_SKILLS_EN = {
    "finance": "Finance and management",
    "marketing": "Marketing and sales",
    "export": "Export and international trade",
    "rh-recrutement": "Human resources and recruitment",
    "qualite": "Quality",
    "lean-production": "Lean and production management",
    "informatique": "IT and digital",
    "juridique": "Legal",
    "achats": "Purchasing and logistics",
    "energie": "Energy efficiency",
    "strategie": "Strategy",
}


@global_model(
    "An expert is employed by a national firm and may be lent to any dispositif; the "
    "missions that use them are the tenant rows."
)
class Expert(models.Model):
    """A person a partner firm lends to SMEs: skills, availability, optional login.

    E-mail and phone are personal data: only those who manage the expert (the firm's
    correspondent, the national coordination) and the expert themself read them.
    ``lends_across_territories`` makes the expert proposable by dispositifs where the firm
    holds no seat (the firm's correspondent still decides each mission).
    """

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="experts",
        verbose_name=_("entreprise"),
    )
    first_name = models.CharField(_("prénom"), max_length=100)
    last_name = models.CharField(_("nom"), max_length=100)
    email = models.EmailField(_("adresse e-mail"), blank=True)
    phone = models.CharField(_("téléphone"), max_length=30, blank=True)
    job_title = models.CharField(_("fonction"), max_length=200, blank=True)
    skills = models.ManyToManyField(
        Skill, blank=True, related_name="experts", verbose_name=_("compétences")
    )
    hours_per_month = models.PositiveSmallIntegerField(
        _("disponibilité (heures par mois)"),
        default=0,
        validators=[MaxValueValidator(200)],
    )
    availability_note = models.CharField(
        _("disponibilité (précisions)"), max_length=300, blank=True
    )
    lends_across_territories = models.BooleanField(
        _("disponible pour d'autres dispositifs"), default=False
    )
    is_active = models.BooleanField(_("actif"), default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="expert_profile",
        verbose_name=_("compte"),
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("expert")
        verbose_name_plural = _("experts")
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["organisation", "is_active"]),
            # The search's columns (``?q``, alize.search).
            search_index("first_name", name="expert_first_name_search"),
            search_index("last_name", name="expert_last_name_search"),
            search_index("job_title", name="expert_job_title_search"),
        ]

    def __str__(self):
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class RateUnit(models.TextChoices):
    HOURLY = "hourly", _("Taux horaire")
    DAILY = "daily", _("Taux journalier")


# A day of expertise, for firms that give a daily rate: hours × daily rate ÷ 7.
HOURS_PER_DAY = Decimal("7")
# The national default hourly rate a migration stores (the admin changes the stored one);
# used as it is should that row be missing.
NATIONAL_HOURLY_RATE = Decimal("80.00")
CENT = Decimal("0.01")


@global_model(
    "Rates belong to a national firm (or to the network for the default), not a dispositif."
)
class ExpertRate(models.Model):
    """The rate at which a firm's expert hours are valued in co-financing statements.

    One row per firm, and one row without a firm: the national default used by every firm
    without its own. An hourly rate values ``hours × rate``; a daily rate values
    ``hours × rate ÷ 7`` (a day of expertise is 7 hours). Values are rounded to the cent
    once, on the total (``value_of``), so the sum stays exact.
    """

    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="expert_rates",
        verbose_name=_("entreprise (vide : taux national par défaut)"),
    )
    unit = models.CharField(_("unité"), max_length=8, choices=RateUnit.choices)
    amount = MoneyField(
        _("montant (€)"), max_digits=10, validators=[MinValueValidator(Decimal("0.01"))]
    )
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("taux de valorisation")
        verbose_name_plural = _("taux de valorisation")
        ordering = ["organisation__name"]
        constraints = [
            # One rate per firm, and a single national default (NULLs not distinct).
            models.UniqueConstraint(
                fields=["organisation"],
                name="expert_rate_one_per_firm",
                nulls_distinct=False,
                violation_error_message=_("Cette entreprise a déjà un taux."),
            ),
            FieldCheckConstraint(
                name="expert_rate_positive",
                condition=Q(amount__gt=0),
                field="amount",
                violation_error_code="min_value",
                violation_error_message=_("Le taux doit être positif."),
            ),
        ]

    def __str__(self):
        who = self.organisation or _("Taux national")
        return f"{who} — {self.amount} € ({self.get_unit_display()})"

    @property
    def hourly_amount(self) -> Decimal:
        """The value of one hour, unrounded (a daily rate divided by 7)."""
        if self.unit == RateUnit.DAILY:
            return self.amount / HOURS_PER_DAY
        return self.amount

    def value_of(self, hours: Decimal) -> Decimal:
        """The value of ``hours`` at this rate, in euros rounded to the cent."""
        if self.unit == RateUnit.DAILY:
            value = Decimal(hours) * self.amount / HOURS_PER_DAY
        else:
            value = Decimal(hours) * self.amount
        return value.quantize(CENT, rounding=ROUND_HALF_UP)


@global_model("Communes are a national reference list (COG, La Poste) shared by all dispositifs.")
class Commune(models.Model):
    """A French commune (COG, INSEE code) with its postal codes, département, region and
    centre point. Loaded from ``partners/reference/data``; refreshed by ``refresh_communes``."""

    code = models.CharField(_("code INSEE"), max_length=5, primary_key=True)
    name = models.CharField(_("nom"), max_length=120)
    search_name = models.CharField(_("nom normalisé"), max_length=120, db_index=True)
    postal_codes = ArrayField(
        models.CharField(max_length=5), verbose_name=_("codes postaux"), default=list
    )
    departement = models.CharField(_("département"), max_length=3)
    region = models.CharField(_("région"), max_length=3)
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )

    class Meta:
        verbose_name = _("commune")
        verbose_name_plural = _("communes")
        ordering = ["name", "code"]
        indexes = [GinIndex(fields=["postal_codes"], name="commune_postal_codes_gin")]

    def __str__(self):
        return f"{self.name} ({self.code})"


@global_model("The NAF rev. 2 nomenclature is a national reference list (INSEE).")
class NafCode(models.Model):
    """A sub-class of the French activity nomenclature NAF rev. 2 (e.g. 33.12Z)."""

    code = models.CharField(_("code NAF"), max_length=6, primary_key=True)
    label = models.CharField(_("libellé"), max_length=255)
    section = models.CharField(_("section"), max_length=1)
    division = models.CharField(_("division"), max_length=2)

    class Meta:
        verbose_name = _("code NAF")
        verbose_name_plural = _("codes NAF")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code} — {self.label}"
