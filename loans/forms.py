"""Browser forms of the loans pages. They parse input and show field errors; every rule
(the bounds of an advance, the fund's balance, the lifecycle, overpayment, maker-checker)
lives in ``loans.services``, whose refusals the views copy onto the form's fields with
``alize.web.ServiceCall``. The advance form also checks the dispositif's bounds
itself, so the error names the field before anything is sent to the service.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alize.formats import money
from alize.forms import DecimalInputField, EmptyChoiceLabelMixin, Form, money_field
from partners.models import Organisation, OrganisationKind
from pme.models import ProjectType

from .models import (
    CofinancingKind,
    ContributionKind,
    CsvDateFormat,
    CsvSeparator,
    Frequency,
    MandateKind,
    StatementFormat,
)
from .services.provisions import rate_field
from .services.statements import STATEMENT_MAX_BYTES

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]


def date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label,
        input_formats=DATE_INPUT_FORMATS,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        **kwargs,
    )


def today():
    return timezone.localdate()


class ContributionForm(EmptyChoiceLabelMixin, Form):
    """Money put into a fund: its source, amount and date; a revitalisation agreement names
    the agreement and the firm bound by it."""

    kind = forms.ChoiceField(label=_("Origine"), choices=[("", "")] + ContributionKind.choices)
    organisation = forms.ModelChoiceField(
        label=_("Organisme apporteur"),
        queryset=Organisation.objects.order_by("name"),
    )
    agreement = forms.CharField(
        label=_("Convention de revitalisation"),
        max_length=200,
        required=False,
        help_text=_("Seulement pour une convention de revitalisation."),
    )
    agreement_firm = forms.ModelChoiceField(
        label=_("Entreprise assujettie"),
        queryset=Organisation.objects.filter(kind=OrganisationKind.LARGE_FIRM).order_by("name"),
        required=False,
        help_text=_("Seulement pour une convention de revitalisation."),
    )
    jobs_to_recreate = forms.IntegerField(
        label=_("Emplois à recréer"),
        required=False,
        min_value=0,
        help_text=_(
            "Seulement pour une convention de revitalisation : emplois qu'elle doit contribuer "
            "à recréer au titre de cet apport."
        ),
    )
    amount = money_field(_("Montant (€)"))
    received_on = date_field(_("Reçu le"), initial=today)
    earmark = forms.ChoiceField(
        label=_("Réservé aux projets de type"),
        choices=[("", _("Aucune réservation"))] + ProjectType.choices,
        required=False,
    )
    # Drawn when the form is shown, sent back hidden: the same form sent twice records once.
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=128)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional: its empty choice means « no earmark », not « choose… ».
        self.fields["earmark"].choices = [("", _("Aucune réservation"))] + ProjectType.choices
        if not self.is_bound:
            self.initial.setdefault("submission_key", f"web-{uuid.uuid4()}")


class AdvanceForm(EmptyChoiceLabelMixin, Form):
    """The terms of an advance granted by a committee decision: the fund it is lent from, its
    amount (within the dispositif's bounds), grace period, number and frequency of
    instalments. Interest is always zero."""

    fund = forms.ModelChoiceField(label=_("Fonds"), queryset=None)
    amount = money_field(_("Montant (€)"))
    grace_months = forms.IntegerField(
        label=_("Différé (mois)"), min_value=0, max_value=36, initial=6
    )
    instalment_count = forms.IntegerField(
        label=_("Nombre d'échéances"), min_value=1, max_value=120, initial=36
    )
    frequency = forms.ChoiceField(
        label=_("Périodicité"), choices=Frequency.choices, initial=Frequency.MONTHLY
    )

    def __init__(self, *args, dispositif, funds, **kwargs):
        super().__init__(*args, **kwargs)
        self.dispositif = dispositif
        self.fields["fund"].queryset = funds
        self.fields["amount"].help_text = _(
            "Entre %(min)s et %(max)s, sans intérêt (bornes du dispositif)."
        ) % {"min": money(dispositif.advance_min), "max": money(dispositif.advance_max)}

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        low, high = self.dispositif.advance_min, self.dispositif.advance_max
        if amount < low or amount > high:
            raise forms.ValidationError(
                _(
                    "Le montant de l'avance doit être compris entre %(min)s et %(max)s "
                    "(bornes du dispositif) : %(amount)s est hors bornes."
                ),
                code="out_of_bounds",
                params={"min": money(low), "max": money(high), "amount": money(amount)},
            )
        return amount


class ContractForm(Form):
    """Signing the advance's contract, on a date."""

    contracted_on = date_field(_("Contrat signé le"), initial=today)


class DisbursementForm(Form):
    """Paying the advance out, on a date (the schedule starts from it)."""

    disbursed_on = date_field(_("Décaissée le"), initial=today)


class RepaymentForm(Form):
    """Money received for an advance. The idempotency key is drawn when the form is shown
    and travels hidden: the same form sent twice records one repayment."""

    received_on = date_field(_("Reçu le"), initial=today)
    amount = money_field(_("Montant reçu (€)"))
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", f"web-{uuid.uuid4()}")


class ReversalForm(Form):
    """The undoing of a repayment recorded by mistake (a counter-entry, never a deletion)."""

    reason = forms.CharField(
        label=_("Motif de l'annulation"),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    reversed_on = date_field(_("Annulé le"), initial=today)


class RescheduleForm(Form):
    """A new schedule for the unpaid principal; the old instalments are kept, superseded."""

    first_due_on = date_field(_("Première échéance le"))
    instalment_count = forms.IntegerField(label=_("Nombre d'échéances"), min_value=1, max_value=120)
    frequency = forms.ChoiceField(
        label=_("Périodicité"), choices=Frequency.choices, initial=Frequency.MONTHLY
    )
    reason = forms.CharField(label=_("Motif"), max_length=500)


class WriteOffProposalForm(Form):
    """A write-off, proposed with its reason; another person approves it."""

    reason = forms.CharField(
        label=_("Motif du passage en perte"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class CofinancingForm(EmptyChoiceLabelMixin, Form):
    """Money obtained for the project besides the advance, with the date of its evidence."""

    organisation = forms.CharField(label=_("Organisme"), max_length=200)
    kind = forms.ChoiceField(label=_("Nature"), choices=[("", "")] + CofinancingKind.choices)
    amount = money_field(_("Montant (€)"))
    evidence_on = date_field(_("Justifié le"), initial=today)
    # Drawn when the form is shown, sent back hidden: the same form sent twice records once.
    submission_key = forms.CharField(widget=forms.HiddenInput, max_length=128)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("submission_key", f"web-{uuid.uuid4()}")


class ProvisionRatesForm(Form):
    """A fund's provisioning table: up to ``ROWS`` buckets of (from days past due, rate %),
    empty rows left out. The rules (0 to 100 %, the first bucket at 0 days, rates never
    lower for more days) are the service's, whose errors land on the row's fields
    (``loans.services.rate_field``), the same names as in the API's errors."""

    ROWS = 6

    def __init__(self, *args, rates=(), **kwargs):
        super().__init__(*args, **kwargs)
        for index in range(self.ROWS):
            days, rate = rates[index] if index < len(rates) else (None, None)
            self.fields[rate_field(index, "min_days_past_due")] = forms.IntegerField(
                label=_("Palier %(n)d : à partir de (jours de retard)") % {"n": index + 1},
                required=False,
                initial=days,
                widget=forms.TextInput(attrs={"inputmode": "numeric", "size": 5}),
            )
            self.fields[rate_field(index, "rate")] = DecimalInputField(
                label=_("Palier %(n)d : taux de provision (%%)") % {"n": index + 1},
                required=False,
                initial=rate,
            )

    def rates(self) -> list[tuple[int | None, Decimal | None]]:
        """The rows as typed, in order (the service skips the empty ones)."""
        data = self.cleaned_data
        return [
            (
                data.get(rate_field(index, "min_days_past_due")),
                data.get(rate_field(index, "rate")),
            )
            for index in range(self.ROWS)
        ]


class StatementImportForm(Form):
    """A bank statement file of the fund's account. The hidden key makes the same form sent
    twice import once; a file already imported adds its known lines as « déjà importée »."""

    source_format = forms.ChoiceField(label=_("Format"), choices=StatementFormat.choices)
    file = forms.FileField(
        label=_("Relevé"),
        help_text=_("CAMT.053 (XML) ou CSV, 10 Mo au plus."),
    )
    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=128)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("idempotency_key", f"web-{uuid.uuid4()}")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > STATEMENT_MAX_BYTES:
            raise forms.ValidationError(
                _("Le fichier dépasse %(size)d Mo."),
                params={"size": STATEMENT_MAX_BYTES // (1024 * 1024)},
            )
        return upload


class StatementLineConfirmForm(Form):
    """Confirm a line: with the proposed advance, or with the one typed by hand (its
    reference ``AV-000123``, printed on the contract and on the advance's page)."""

    advance = forms.CharField(
        label=_("Référence de l'avance"),
        max_length=20,
        required=False,
        help_text=_("Vide : l'avance proposée."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "placeholder": "AV-000123"}),
    )


class StatementLineDismissForm(Form):
    reason = forms.CharField(
        label=_("Motif de l'écart"),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class ColumnMappingForm(Form):
    """How the fund's CSV statements are read: the header of each column and the format."""

    date_column = forms.CharField(label=_("Colonne de la date"), max_length=80)
    amount_column = forms.CharField(
        label=_("Colonne du montant"),
        max_length=80,
        help_text=_("Positif pour un crédit, négatif pour un débit."),
    )
    text_column = forms.CharField(label=_("Colonne du libellé"), max_length=80)
    name_column = forms.CharField(
        label=_("Colonne de la contrepartie"), max_length=80, required=False
    )
    transaction_id_column = forms.CharField(
        label=_("Colonne de l'identifiant bancaire"),
        max_length=80,
        required=False,
        help_text=_("Sans elle, chaque ligne reçoit un identifiant calculé de son contenu."),
    )
    separator = forms.ChoiceField(label=_("Séparateur"), choices=CsvSeparator.choices)
    decimal_comma = forms.BooleanField(label=_("Virgule décimale"), required=False)
    date_format = forms.ChoiceField(label=_("Format des dates"), choices=CsvDateFormat.choices)


class MandateForm(Form):
    """The SEPA mandate the SME signed: the account holder, IBAN and BIC (checked by the
    service), the signature date and the kind."""

    debtor_name = forms.CharField(label=_("Titulaire du compte"), max_length=70)
    iban = forms.CharField(
        label=_("IBAN"),
        max_length=42,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        help_text=_("Les espaces sont acceptés."),
    )
    bic = forms.CharField(
        label=_("BIC"),
        max_length=14,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    signed_on = date_field(_("Signé le"), initial=today)
    kind = forms.ChoiceField(
        label=_("Type de mandat"), choices=MandateKind.choices, initial=MandateKind.RECURRENT
    )


class MandateRevokeForm(Form):
    """The revocation of the mandate in force, with its reason."""

    reason = forms.CharField(
        label=_("Motif de la révocation"),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    revoked_on = date_field(_("Révoqué le"), initial=today)


class CollectionAccountForm(Form):
    """The fund's SEPA creditor identifier and the account its direct debits go to (the
    three together, or none)."""

    creditor_identifier = forms.CharField(
        label=_("Identifiant créancier SEPA (ICS)"),
        max_length=40,
        required=False,
        help_text=_("Par exemple FR72ZZZ123456 ; délivré par la banque du fonds."),
    )
    iban = forms.CharField(label=_("IBAN du fonds"), max_length=42, required=False)
    bic = forms.CharField(label=_("BIC du fonds"), max_length=14, required=False)


class CollectionForm(Form):
    """The due date whose instalments a collection file debits."""

    collection_date = date_field(_("Échéances dues au"), initial=today)
