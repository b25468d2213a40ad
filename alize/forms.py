"""Form helpers shared by every app's forms."""

from django import forms
from django.utils.translation import gettext_lazy as _

EMPTY_CHOICE_LABEL = _("Choisir…")


class EmptyChoiceLabelMixin:
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
                choices = list(field.choices)
                if any(value == "" for value, _label in choices):
                    field.choices = [
                        (value, EMPTY_CHOICE_LABEL if value == "" else label)
                        for value, label in choices
                    ]
