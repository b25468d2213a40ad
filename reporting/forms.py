"""The « generate » form of the Documents page: which document, for what."""

from __future__ import annotations

from django import forms
from django.core.validators import MaxValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.forms import Form

from .models import DocumentKind

REQUESTABLE_KINDS = [
    (DocumentKind.ANNUAL_REPORT, DocumentKind.ANNUAL_REPORT.label),
    (DocumentKind.AGENDA, DocumentKind.AGENDA.label),
    (DocumentKind.MINUTES, DocumentKind.MINUTES.label),
    (DocumentKind.CONTRIBUTION_STATEMENT, DocumentKind.CONTRIBUTION_STATEMENT.label),
]


class DocumentRequestForm(Form):
    """A kind, then its subject: a committee (agenda, minutes), a year and a dispositif
    (or the network, for those who read every dispositif), or a year and a partner firm
    (contribution statement). The choices are those the access policy lets the user ask
    for."""

    kind = forms.ChoiceField(label=_("Document"), choices=REQUESTABLE_KINDS)
    committee = forms.ModelChoiceField(label=_("Comité"), queryset=None, required=False)
    dispositif = forms.ModelChoiceField(label=_("Dispositif"), queryset=None, required=False)
    organisation = forms.ModelChoiceField(
        label=_("Entreprise partenaire"), queryset=None, required=False
    )
    national = forms.BooleanField(label=_("Tout le réseau"), required=False)
    year = forms.IntegerField(label=_("Année"), required=False, min_value=1997)

    def __init__(self, *args, committees, dispositifs, firms, national: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["committee"].queryset = committees
        self.fields["dispositif"].queryset = dispositifs
        self.fields["organisation"].queryset = firms
        this_year = timezone.localdate().year
        self.fields["year"].initial = this_year - 1
        self.fields["year"].validators.append(MaxValueValidator(this_year))
        self.fields["year"].widget.attrs["max"] = this_year
        if not national:
            del self.fields["national"]
