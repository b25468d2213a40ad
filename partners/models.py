"""Organisations of the tour de table, skills and the reference lists of communes and NAF
codes (all global); experts and skill missions come later."""

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
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
    city = models.CharField(_("ville"), max_length=120, blank=True)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering = ["name"]
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
    def is_large_firm(self) -> bool:
        return self.kind == OrganisationKind.LARGE_FIRM


@global_model("The skills list is a national reference shared by every dispositif.")
class Skill(models.Model):
    """A skill an SME may need and an expert may bring (quality, export, lean, HR…)."""

    name = models.CharField(_("nom"), max_length=120, unique=True)
    slug = models.SlugField(_("identifiant"), max_length=80, unique=True)

    class Meta:
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")
        ordering = ["name"]

    def __str__(self):
        return self.name


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
