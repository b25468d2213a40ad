"""Form helpers shared by every app's forms."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

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
