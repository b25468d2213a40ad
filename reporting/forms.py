"""The « generate » form of the Documents page: which document, for what."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.forms import Form
from loans.forms import date_field
from loans.models import ContributionKind

from .models import DocumentFormat, DocumentKind

REQUESTABLE_KINDS = [
    (DocumentKind.ANNUAL_REPORT, DocumentKind.ANNUAL_REPORT.label),
    (DocumentKind.AGENDA, DocumentKind.AGENDA.label),
    (DocumentKind.MINUTES, DocumentKind.MINUTES.label),
    (DocumentKind.CONTRIBUTION_STATEMENT, DocumentKind.CONTRIBUTION_STATEMENT.label),
    (DocumentKind.FUNDERS_REPORT, DocumentKind.FUNDERS_REPORT.label),
]


_ANNUAL = DocumentKind.ANNUAL_REPORT
_FUNDERS = DocumentKind.FUNDERS_REPORT
_STATEMENT = DocumentKind.CONTRIBUTION_STATEMENT
# The form's fieldsets: who reads the legend learns which documents use the fields; the
# page shows them all without JavaScript and only the chosen kind's with it.
FIELDSETS = [
    (
        _("Ordre du jour, relevé de décisions"),
        (DocumentKind.AGENDA, DocumentKind.MINUTES),
        ("committee",),
    ),
    (_("Rapport annuel, rapport aux financeurs"), (_ANNUAL, _FUNDERS), ("dispositif", "national")),
    (_("Attestation de contribution"), (_STATEMENT,), ("organisation",)),
    (
        _("Rapport annuel, attestation, rapport aux financeurs"),
        (_ANNUAL, _STATEMENT, _FUNDERS),
        ("year",),
    ),
    (
        _("Rapport aux financeurs"),
        (_FUNDERS,),
        ("source", "agreement", "period_start", "period_end", "file_format"),
    ),
]
# The fields each kind uses; the others are ignored when it is chosen.
KIND_FIELDS = {
    kind: {name for _legend, kinds, names in FIELDSETS if kind in kinds for name in names}
    for kind, _label in REQUESTABLE_KINDS
}


def agreement_value(firm_id: int, agreement: str) -> str:
    """The value of one revitalisation agreement in the form's choice."""
    return f"{firm_id}:{agreement}"


class DocumentRequestForm(Form):
    """A kind, then its subject: a committee (agenda, minutes), a year and a dispositif
    (or the network, for those who read every dispositif), or a year and a partner firm
    (contribution statement), or a funding source, for a revitalisation agreement the
    agreement, a year or a period, and a format (funders' report). The choices are those
    the access policy lets the user ask for."""

    kind = forms.ChoiceField(label=_("Document"), choices=REQUESTABLE_KINDS)
    committee = forms.ModelChoiceField(label=_("Comité"), queryset=None, required=False)
    dispositif = forms.ModelChoiceField(label=_("Dispositif"), queryset=None, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Entreprise partenaire"), queryset=None, required=False
    )
    national = forms.BooleanField(label=_("Tout le réseau"), required=False)
    year = forms.IntegerField(label=_("Année"), required=False, min_value=1997)
    source = forms.ChoiceField(
        label=_("Source de financement"),
        choices=[("", _("Choisissez…"))] + ContributionKind.choices,
        required=False,
        help_text=_("Rapport aux financeurs : l'origine des apports."),
    )
    agreement = forms.ChoiceField(
        label=_("Convention de revitalisation"),
        required=False,
        help_text=_("Seulement pour une convention de revitalisation."),
    )
    period_start = date_field(_("Période du"), required=False)
    period_end = date_field(_("au"), required=False)
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=DocumentFormat.choices,
        initial=DocumentFormat.PDF,
        required=False,
        help_text=_("Rapport aux financeurs : PDF ou classeur XLSX."),
    )

    def __init__(
        self, *args, committees, dispositifs, firms, national: bool, agreements=(), **kwargs
    ):
        super().__init__(*args, **kwargs)
        self.fields["period_start"].help_text = _(
            "Rapport aux financeurs : une période plutôt que l'année (les deux dates)."
        )
        self.agreements = {
            agreement_value(firm.pk, name): (firm, name) for firm, name in agreements
        }
        self.fields["agreement"].choices = [("", _("Aucune"))] + [
            (value, f"{name} — {firm.name}") for value, (firm, name) in self.agreements.items()
        ]
        self.fields["committee"].queryset = committees
        self.fields["committee"].label_from_instance = lambda committee: (
            f"{committee.dispositif.name} — {committee}"
        )
        self.fields["dispositif"].queryset = dispositifs
        self.fields["organisation"].queryset = firms
        this_year = timezone.localdate().year
        self.fields["year"].initial = this_year - 1
        self.fields["year"].validators.append(MaxValueValidator(this_year))
        self.fields["year"].widget.attrs["max"] = this_year
        if not national:
            del self.fields["national"]

    @property
    def fieldsets(self) -> list[tuple[str, str, list]]:
        """``(legend, kinds, bound fields)`` of each fieldset, ``kinds`` space-separated (the
        page's script shows a fieldset when the chosen kind is among them)."""
        return [
            (legend, " ".join(kinds), [self[name] for name in names if name in self.fields])
            for legend, kinds, names in FIELDSETS
        ]

    def clean(self):
        """What the chosen kind does not use is ignored, errors included (a year typed
        before switching to an agenda); what it needs, the service checks."""
        data = super().clean()
        used = KIND_FIELDS.get(data.get("kind") or "", set(self.fields))
        for name in set(self.fields) - used - {"kind"}:
            self.errors.pop(name, None)
            data.pop(name, None)
        return data
