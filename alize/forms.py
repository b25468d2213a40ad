"""Form helpers shared by every app's forms: the bases every form derives from (their
text fields refuse control characters), the money and decimal inputs, the « Choisir… »
empty choice."""

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from alize.validators import AMOUNT_PLACES, NoControlCharacters, guards_text, parse_amount

if TYPE_CHECKING:  # the form that this mixin completes, for the type checker
    _FormBase = forms.BaseForm
else:
    _FormBase = object

EMPTY_CHOICE_LABEL = _("Choisir…")


class EmptyChoiceLabelMixin(_FormBase):
    """The empty choice of every single-choice field reads « Choisir… », not « --------- »."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, (forms.MultipleChoiceField, forms.ModelMultipleChoiceField)):
                continue
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label is not None:
                    field.empty_label = EMPTY_CHOICE_LABEL
            elif isinstance(field, forms.ChoiceField):
                # A field's choices are normalised to (value, label) pairs.
                choices = list(cast("Iterable[tuple[Any, Any]]", field.choices))
                if any(value == "" for value, _label in choices):
                    field.choices = [
                        (value, EMPTY_CHOICE_LABEL if value == "" else label)
                        for value, label in choices
                    ]


class FreeTextMixin(_FormBase):
    """Every text field of the form refuses control characters (``NoControlCharacters``,
    the check the models and the API's serializers hold too); passwords are left alone."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if (
                isinstance(field, forms.CharField)
                and not isinstance(field.widget, forms.PasswordInput)
                and not guards_text(field.validators)
            ):
                field.validators.append(NoControlCharacters(label=field.label or name))


class Form(FreeTextMixin, forms.Form):
    """The base of the apps' forms."""


class ModelForm(FreeTextMixin, forms.ModelForm):
    """The base of the apps' model forms."""


# An amount as people type it once spaces and the euro sign are gone: digits, one decimal
# mark (the language's, or a point).
TYPED_AMOUNT = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


class MoneyInputField(forms.DecimalField):
    """An amount in euros as people type it: « 12 000,50 », « 12000.50 », « 12 000 € »
    (spaces of any kind and the euro sign are ignored; the decimal mark is the language's).
    What remains is read by ``alize.validators.parse_amount``, as the API reads amounts:
    an exponent (« 1e4 »), other digits, underscores, letters are refused rather than read
    as a number nobody meant; so are a third decimal and amounts below one cent."""

    default_error_messages = {
        "invalid": _("Saisissez un montant en chiffres, par exemple 12 500,50."),
        "min_value": _("Le montant doit être d'au moins 0,01 €."),
        "max_decimal_places": _("Un montant a au plus deux décimales (les centimes)."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        text = re.sub(r"[\s\u00a0\u202f€]", "", str(value))
        if not TYPED_AMOUNT.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        text = text.removeprefix("+")
        text = formats.sanitize_separators(text) if self.localize else text.replace(",", ".")
        try:
            places = AMOUNT_PLACES if self.decimal_places is None else self.decimal_places
            return parse_amount(text, places=places)
        except ValidationError as error:
            code = error.code if error.code in self.error_messages else "invalid"
            raise ValidationError(self.error_messages[code], code=code) from None


# A decimal number as people type it once spaces are gone: one decimal mark, comma or point.
TYPED_DECIMAL = re.compile(r"[+-]?[0-9]+(?:[.,][0-9]+)?")


class DecimalInputField(forms.DecimalField):
    """A decimal number typed in a text input (hours: « 3,5 » or « 3.5 »), read the same in
    every language: the comma is always the decimal mark, never a thousands separator, so
    « 3,5 » can never become 35. A number input is not used: a French browser drops a typed
    comma from it. Anything else than one signed decimal number is refused."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off", "size": 6}),
        )
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):
            return value
        text = re.sub(r"[\s\u00a0\u202f]", "", str(value))
        if not TYPED_DECIMAL.fullmatch(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(text.replace(",", "."))

    def widget_attrs(self, widget):
        # No min/max/step: those are a number input's, and the text input has none.
        return {}


def money_field(label, **kwargs) -> forms.DecimalField:
    """An amount of a browser form: typed the French way, from one cent."""
    return MoneyInputField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        localize=True,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
        **kwargs,
    )
