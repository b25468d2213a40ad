"""Browser forms of the pme app. They validate input and render field errors; every write
goes through ``pme.services``. Choice querysets use scoped managers and are narrowed to the
dispositifs the user runs, so a choice pointing into another dispositif is invalid."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from alize.actions import Action
from alize.formats import money
from alize.forms import EMPTY_CHOICE_LABEL, EmptyChoiceLabelMixin, Form, ModelForm, money_field
from partners.models import Organisation, Skill
from partners.reference.forms import CommuneField
from partners.reference.selectors import commune_by_code

from .models import DECLARED_FIGURES, Company, FollowUpSource, JobsFollowUp, Project, Stage
from .selectors import company_list, managed_dispositifs, referral_sources
from .services import COMPANY_FIELDS, FOLLOW_UP_FIELDS, PROJECT_FIELDS, duplicate_siren_message

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


def compact_identifier(value: str) -> str:
    """SIREN/SIRET as typed by people: « 552 100 554 » or « 552.100.554 » → 552100554."""
    return re.sub(r"[\s.\-]", "", value or "")


def normalise_naf(value: str) -> str:
    """« 2562b » or « 25.62b » → « 25.62B »."""
    value = (value or "").strip().upper().replace(" ", "")
    if re.fullmatch(r"\d{4}[A-Z]", value):
        value = f"{value[:2]}.{value[2:]}"
    return value


class DispositifChoiceMixin:
    """A ``dispositif`` choice limited to the dispositifs the user runs; when they run only
    one (or the object already has its dispositif) the field goes and the choice is implicit."""

    def setup_dispositif(self, user, fixed=None):
        choices = managed_dispositifs(user)
        self.fields["dispositif"].queryset = choices
        if fixed is None:
            only = list(choices[:2])
            fixed = only[0] if len(only) == 1 else None
        self.fixed_dispositif = fixed
        if fixed is not None:
            del self.fields["dispositif"]
        else:
            self.order_fields(["dispositif"])

    def target_dispositif(self):
        return self.fixed_dispositif or self.cleaned_data.get("dispositif")


class CompanyForm(EmptyChoiceLabelMixin, DispositifChoiceMixin, ModelForm):
    """Identity, size and contact of an SME. When the user runs several dispositifs the form
    asks in which one; otherwise the dispositif is implicit."""

    dispositif = forms.ModelChoiceField(
        queryset=None, label=_("Dispositif"), to_field_name="slug", required=True
    )
    commune_code = CommuneField(label=_("Commune"))

    class Meta:
        model = Company
        fields = COMPANY_FIELDS
        widgets = {"creation_date": DateInput()}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["creation_date"].input_formats = DATE_INPUT_FORMATS
        for name in ("siren", "siret"):
            # People type « 552 100 554 »: the length is checked once the spaces are gone.
            self.fields[name].validators = []
            self.fields[name].max_length = None
            self.fields[name].widget.attrs.pop("maxlength", None)
        self.fields["siren"].help_text = _("9 chiffres ; les espaces sont acceptés.")
        self.fields["siret"].help_text = _("14 chiffres, commence par le SIREN.")
        self.fields["naf_code"].help_text = _(
            "Code NAF rév. 2, par exemple 33.12Z (Réparation de machines et équipements "
            "mécaniques)."
        )
        if "commune_name" in self.fields:
            # Filled from the commune reference once the commune is resolved.
            del self.fields["commune_name"]
        self.setup_dispositif(user, self.instance.dispositif if self.instance.pk else None)

    def clean_siren(self):
        return compact_identifier(self.cleaned_data.get("siren"))

    def clean_siret(self):
        return compact_identifier(self.cleaned_data.get("siret"))

    def clean_naf_code(self):
        return normalise_naf(self.cleaned_data.get("naf_code"))

    def service_fields(self) -> dict:
        fields = {name: self.cleaned_data[name] for name in COMPANY_FIELDS if name in self.fields}
        return fields | {"commune_name": self.commune_name()}

    def commune_name(self) -> str:
        code = self.cleaned_data.get("commune_code")
        commune = commune_by_code(code) if code else None
        return commune.name if commune else ""

    def clean(self):
        cleaned = super().clean()
        dispositif = self.target_dispositif()
        siren = cleaned.get("siren")
        if dispositif is not None and siren and "siren" not in self.errors:
            probe = Company(pk=self.instance.pk, dispositif=dispositif, siren=siren)
            if message := duplicate_siren_message(probe):
                self.add_error("siren", message)
        return cleaned


class ImportUploadForm(EmptyChoiceLabelMixin, DispositifChoiceMixin, Form):
    """The file to import and, for people running several dispositifs, where to."""

    dispositif = forms.ModelChoiceField(queryset=None, label=_("Dispositif"), to_field_name="slug")
    file = forms.FileField(
        label=_("Fichier CSV ou XLSX"),
        help_text=_(
            "CSV en UTF-8 séparé par « ; » ou « , », ou classeur XLSX ; la première ligne "
            "donne les noms des colonnes."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.setup_dispositif(user)


class ExceptionForm(Form):
    """A justified eligibility exception (or its withdrawal)."""

    exception_reason = forms.CharField(
        label=_("Justification de la dérogation"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("Au moins 10 caractères : pourquoi cette entreprise est soutenue malgré tout."),
    )


class ProjectForm(EmptyChoiceLabelMixin, ModelForm):
    """A project's description and plan; the company is chosen among the companies of the
    dispositifs the user runs, and the project belongs to the company's dispositif."""

    company = forms.ModelChoiceField(queryset=None, label=_("Entreprise"))
    needs = forms.ModelMultipleChoiceField(
        queryset=Skill.objects.order_by("name"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Besoins (compétences)"),
    )

    class Meta:
        model = Project
        fields = ("company", *PROJECT_FIELDS, "needs")
        widgets = {
            "referred_on": DateInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
            "financing_plan": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["referred_on"].input_formats = DATE_INPUT_FORMATS
        self.fields["referred_by"].queryset = Organisation.objects.all()
        self.fields["financing_plan"].help_text = _(
            "Ressources et emplois du projet : fonds propres, prêts bancaires, subventions…"
        )
        self.fields["jobs_planned_3y"].help_text = _("Effectif visé trois ans après l'accord.")
        if self.instance.pk is not None:
            del self.fields["company"]
            dispositif = self.instance.dispositif
            self.fields["requested_advance"].help_text = _(
                "Entre %(min)s et %(max)s dans ce dispositif."
            ) % {"min": money(dispositif.advance_min), "max": money(dispositif.advance_max)}
        else:
            companies = company_list(user, Action.MANAGE).order_by("name")
            self.fields["company"].queryset = companies
            self.fields["company"].label_from_instance = lambda company: (
                f"{company.name} ({company.siren}) — {company.dispositif}"
            )
            self.fields["requested_advance"].help_text = _(
                "Avance remboursable sans intérêt, dans les bornes du dispositif."
            )
        self.group_referral_sources(user)

    def group_referral_sources(self, user) -> None:
        """« Orienté par »: the dispositif's own tour de table first, then the rest of the
        network under its own heading. The dispositif is the project's, else the company's
        given in the address, else the user's only one; without one, a single list."""
        dispositif = self.instance.dispositif if self.instance.pk is not None else None
        if dispositif is None:
            company_id = self.initial.get("company")
            company = self.fields["company"].queryset.filter(pk=company_id).first()
            dispositif = company.dispositif if company_id and company else None
        if dispositif is None:
            managed = list(managed_dispositifs(user)[:2])
            dispositif = managed[0] if len(managed) == 1 else None
        own, others = referral_sources(dispositif.pk if dispositif else None)
        choices: list = [("", EMPTY_CHOICE_LABEL)]
        if own:
            own_label = _("Tour de table : %(dispositif)s") % {"dispositif": dispositif}
            choices.append((own_label, [(str(org.pk), org.name) for org in own]))
            choices.append(
                (_("Autres organisations du réseau"), [(str(org.pk), org.name) for org in others])
            )
        else:
            choices += [(str(org.pk), org.name) for org in others]
        self.fields["referred_by"].choices = choices

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in PROJECT_FIELDS}


class TransitionForm(EmptyChoiceLabelMixin, Form):
    """A manual move of the stage machine. Every stage is accepted here: the service says
    which move is legal, with its own message."""

    to_stage = forms.ChoiceField(choices=Stage.choices, label=_("Nouvelle étape"))
    comment = forms.CharField(
        label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class FollowUpForm(EmptyChoiceLabelMixin, ModelForm):
    """Jobs observed at year 1..N after approval (recording a year again corrects it)."""

    year = forms.TypedChoiceField(coerce=int, label=_("Année de suivi"))

    class Meta:
        model = JobsFollowUp
        fields = ("year", *FOLLOW_UP_FIELDS)
        widgets = {"as_of": DateInput(), "note": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, project: Project, **kwargs):
        super().__init__(*args, **kwargs)
        years = range(1, project.dispositif.follow_up_years + 1)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["as_of"].required = False
        self.fields["as_of"].input_formats = DATE_INPUT_FORMATS
        self.fields["as_of"].help_text = _("Par défaut, l'anniversaire de l'accord.")
        # « Declared online by the SME » comes from validating its declaration: offered
        # only on a follow-up that has it (pme.services.follow_up_record says the rule).
        sources = FollowUpSource.choices
        if FollowUpSource.SELF_DECLARED not in (
            self.initial.get("source"),
            self.data.get("source"),
        ):
            sources = [c for c in sources if c[0] != FollowUpSource.SELF_DECLARED]
        self.fields["source"].choices = sources

    def _post_clean(self):
        # The service validates the record against its project; nothing to build here.
        pass

    def clean_year(self):
        year = self.cleaned_data["year"]
        if year < 1:
            raise ValidationError(_("L'année de suivi commence à 1."))
        return year


class FollowUpFiguresForm(Form):
    """The figures of a follow-up year: headcount, jobs created and maintained since
    approval, turnover (optional)."""

    headcount = forms.IntegerField(
        label=_("Effectif"), min_value=0, help_text=_("Salariés à la date anniversaire.")
    )
    jobs_created = forms.IntegerField(label=_("Emplois créés depuis l'accord"), min_value=0)
    jobs_maintained = forms.IntegerField(label=_("Emplois maintenus"), min_value=0)
    turnover = money_field(
        _("Chiffre d'affaires (€)"),
        required=False,
        help_text=_("Du dernier exercice clos, s'il est connu."),
    )

    def figures(self) -> dict:
        return {name: self.cleaned_data[name] for name in DECLARED_FIGURES}


class FollowUpDeclarationForm(FollowUpFiguresForm):
    """What the SME declares through its link (no account)."""

    comment = forms.CharField(
        label=_("Un mot pour l'animateur (facultatif)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FollowUpCorrectionForm(EmptyChoiceLabelMixin, FollowUpFiguresForm):
    """The animateur's correction of an SME's declaration: the right figures, where they
    come from (declared to the animateur or verified) and why."""

    source = forms.ChoiceField(
        label=_("Source des chiffres corrigés"),
        choices=[
            (FollowUpSource.VERIFIED, FollowUpSource.VERIFIED.label),
            (FollowUpSource.DECLARED, FollowUpSource.DECLARED.label),
        ],
    )
    note = forms.CharField(
        label=_("Motif de la correction"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
