"""Organisations of the tour de table (global) and, later, experts and skill missions."""

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
