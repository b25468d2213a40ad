"""The public door's form: the company (SIRET checked, commune by postal code or name, as on
the animateur's company form), its contact, the project, and two traps for robots (a field
people never see, and the signed moment the form was shown). Every field has a size limit."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from alize import links
from alize.formats import money
from alize.forms import EmptyChoiceLabelMixin, Form, money_field
from alize.validators import validate_creation_date, validate_siren, validate_siret
from partners.models import Skill
from partners.reference.forms import CommuneField
from partners.reference.validators import validate_naf_code

from ..forms import DATE_INPUT_FORMATS, DateInput, compact_identifier, normalise_naf
from ..models import ProjectType, naf_validator
from .selectors import covering

# The form carries when it was shown, signed for this purpose only.
STAMP_PURPOSE = "pme-door-form"
# The robots' field: a name a form filler likes, that people never see.
TRAP_FIELD = "website"
# Size limits (characters) of the free texts.
LONG_TEXT = 3000
MEDIUM_TEXT = 2000
MAX_JOBS = 100_000
INVALID_STAMP = _(
    "Ce formulaire n'a pas pu être vérifié : vérifiez vos réponses et envoyez-le à nouveau."
)


def new_stamp(dispositif_id: int) -> str:
    """The signed moment a form of this dispositif is shown."""
    return links.make(STAMP_PURPOSE, {"d": dispositif_id})


class SelfReferralForm(EmptyChoiceLabelMixin, Form):
    """What an SME leader tells the dispositif. ``stamp_error`` is set when the form came
    back too fast, without its stamp, or stamped for another dispositif; ``trapped`` when
    the field people never see was filled."""

    # The company
    siret = forms.CharField(
        label=_("SIRET de l'établissement"),
        max_length=20,
        help_text=_(
            "14 chiffres (les espaces sont acceptés), sur votre extrait Kbis ou avis de "
            "situation INSEE."
        ),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    name = forms.CharField(
        label=_("Raison sociale"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    naf_code = forms.CharField(
        label=_("Code NAF (APE)"),
        max_length=8,
        help_text=_("Par exemple 25.62B, sur votre avis de situation INSEE."),
    )
    creation_date = forms.DateField(
        label=_("Date de création"),
        widget=DateInput(),
        validators=[validate_creation_date],
    )
    headcount = forms.IntegerField(
        label=_("Effectif salarié aujourd'hui"),
        min_value=0,
        max_value=MAX_JOBS,
    )
    turnover = money_field(
        _("Chiffre d'affaires du dernier exercice (€)"),
        required=False,
        max_value=10**12,
    )
    commune_code = CommuneField(
        label=_("Commune de l'établissement"),
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
        help_text=_("Code postal ou nom de la commune."),
    )
    # The person
    contact_name = forms.CharField(
        label=_("Vos nom et prénom"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_role = forms.CharField(
        label=_("Votre fonction"),
        max_length=120,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    contact_email = forms.EmailField(
        label=_("Votre e-mail"),
        max_length=254,
        help_text=_("Un lien de confirmation vous y est envoyé : rien n'est transmis avant."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = forms.CharField(
        label=_("Votre téléphone"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
    )
    # The project
    title = forms.CharField(label=_("Le projet en une phrase"), max_length=200)
    project_type = forms.ChoiceField(
        label=_("Type de projet"), choices=[("", "")] + list(ProjectType.choices)
    )
    description = forms.CharField(
        label=_("Description du projet"),
        max_length=LONG_TEXT,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Ce que vous voulez faire, pourquoi maintenant, où vous en êtes."),
    )
    needs = forms.ModelMultipleChoiceField(
        label=_("Vos besoins de compétences"),
        queryset=Skill.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "Les compétences que des cadres de grandes entreprises pourraient vous apporter."
        ),
    )
    jobs_at_start = forms.IntegerField(
        label=_("Emplois au démarrage du projet"), min_value=0, max_value=MAX_JOBS
    )
    jobs_planned_3y = forms.IntegerField(
        label=_("Emplois prévus dans trois ans"), min_value=0, max_value=MAX_JOBS
    )
    total_budget = money_field(_("Budget total du projet (€)"), required=False, max_value=10**12)
    financing_plan = forms.CharField(
        label=_("Financements recherchés"),
        max_length=MEDIUM_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Prêts bancaires, fonds propres, subventions, avance remboursable…"),
    )
    requested_advance = money_field(
        _("Avance remboursable souhaitée (€)"), required=False, max_value=10**9
    )
    # The traps
    website = forms.CharField(label=_("Ne pas remplir ce champ"), max_length=200, required=False)
    stamp = forms.CharField(max_length=500, widget=forms.HiddenInput, required=False)

    COMPANY = (
        "siret",
        "name",
        "naf_code",
        "creation_date",
        "headcount",
        "turnover",
        "commune_code",
        "contact_name",
        "contact_role",
        "contact_email",
        "contact_phone",
    )
    PROJECT = (
        "title",
        "project_type",
        "description",
        "jobs_at_start",
        "jobs_planned_3y",
        "total_budget",
        "financing_plan",
        "requested_advance",
    )

    def __init__(self, *args, dispositif, dispositifs=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.dispositif = dispositif
        self.dispositifs = list(dispositifs)
        self.stamp_error = ""
        # After a commune outside this dispositif's perimeter: the dispositifs that cover
        # it (``elsewhere``), or, when none does, every active one (``outside_every``).
        self.elsewhere: list = []
        self.outside_every = False
        self.fields["creation_date"].input_formats = DATE_INPUT_FORMATS
        self.fields["requested_advance"].help_text = _(
            "Sans intérêt, entre %(min)s et %(max)s dans ce dispositif ; facultatif."
        ) % {"min": money(dispositif.advance_min), "max": money(dispositif.advance_max)}
        self.fields[TRAP_FIELD].widget.attrs.update({"tabindex": "-1", "autocomplete": "off"})
        if not self.is_bound:
            self.initial["stamp"] = new_stamp(dispositif.pk)

    @property
    def trapped(self) -> bool:
        """The field people never see was filled: a robot."""
        return bool((self.data.get(TRAP_FIELD) or "").strip())

    def visible_fields(self):
        return [f for f in super().visible_fields() if f.name != TRAP_FIELD]

    def clean_siret(self):
        value = compact_identifier(self.cleaned_data.get("siret"))
        validate_siret(value)
        validate_siren(value[:9])
        return value

    def clean_naf_code(self):
        value = normalise_naf(self.cleaned_data.get("naf_code"))
        naf_validator(value)
        validate_naf_code(value)
        return value

    def clean_stamp(self):
        """The form was shown by this site, for this dispositif, long enough ago for a person
        to fill it (``SELF_REFERRAL_MIN_FILL_SECONDS``), and not days ago."""
        try:
            signed = links.read(
                STAMP_PURPOSE,
                self.cleaned_data.get("stamp") or "",
                max_age=settings.SELF_REFERRAL_FORM_MAX_AGE,
            )
        except links.LinkExpired:
            self.stamp_error = "expired"
            raise ValidationError(
                _(
                    "Ce formulaire est ouvert depuis trop longtemps : vérifiez vos réponses "
                    "et envoyez-le à nouveau."
                ),
                code="stamp_expired",
            ) from None
        except links.LinkInvalid:
            self.stamp_error = "invalid"
            raise ValidationError(
                INVALID_STAMP,
                code="stamp_invalid",
            ) from None
        if signed.payload.get("d") != self.dispositif.pk:
            self.stamp_error = "invalid"
            raise ValidationError(
                INVALID_STAMP,
                code="stamp_invalid",
            )
        if signed.age < settings.SELF_REFERRAL_MIN_FILL_SECONDS:
            self.stamp_error = "too_fast"
            raise ValidationError(
                _(
                    "Formulaire envoyé trop vite : prenez le temps de relire vos réponses, "
                    "puis envoyez-le à nouveau."
                ),
                code="too_fast",
            )
        return ""

    def clean(self):
        cleaned = super().clean()
        code = cleaned.get("commune_code")
        if code and not self.dispositif.covers(code):
            self.elsewhere = covering(self.dispositifs, code)
            if self.elsewhere:
                message = _(
                    "Cette commune n'est pas dans le périmètre de %(dispositif)s, mais dans "
                    "celui de : %(others)s. Déposez votre projet sur la page de ce dispositif."
                ) % {
                    "dispositif": self.dispositif.name,
                    "others": ", ".join(d.name for d in self.elsewhere),
                }
            else:
                self.outside_every = True
                message = _(
                    "Aucun dispositif Alizé ne couvre cette commune pour l'instant. La liste "
                    "des dispositifs et de leurs communes figure sous le formulaire."
                )
            self.add_error("commune_code", message)
        return cleaned

    def add_error(self, field, error):
        # The stamp is hidden: its refusal is shown above the form.
        super().add_error(None if field == "stamp" else field, error)

    def groups(self) -> list[tuple[str, list]]:
        """The visible fields in their three groups (company, person, project)."""
        person = ("contact_name", "contact_role", "contact_email", "contact_phone")
        company = [name for name in self.COMPANY if name not in person]
        project = [*self.PROJECT[:3], "needs", *self.PROJECT[3:]]
        return [
            (_("Votre entreprise"), [self[name] for name in company]),
            (_("Vous"), [self[name] for name in person]),
            (_("Votre projet"), [self[name] for name in project]),
        ]

    def company_fields(self) -> dict:
        data = {name: self.cleaned_data[name] for name in self.COMPANY}
        data["siren"] = data["siret"][:9]
        return data

    def project_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.PROJECT}

    def fresh(self) -> SelfReferralForm:
        """This form shown again with a new stamp (after a refusal of its stamp)."""
        data = self.data.copy()
        data["stamp"] = new_stamp(self.dispositif.pk)
        self.data = data
        return self
