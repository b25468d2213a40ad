"""SMEs (companies) and their eligibility: age, size and commune against the perimeter."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from alize.constraints import FieldCheckConstraint
from alize.fields import MoneyField, user_field
from alize.search import search_text_field
from alize.tenancy import TenantModel
from alize.validators import validate_creation_date, validate_siren, validate_siret
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
    # What a list's search (``?q``, web and API) reads: alize.search.
    search_text = search_text_field("name", "siren", "siret", "commune_name", "contact_name")

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
            # A dispositif's companies newest first (the API's pages filtered by dispositif).
            models.Index(fields=["dispositif", "-id"], name="company_dispositif_id_desc"),
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
