"""Form fields that take what people type (a postal code, a name, an INSEE code) and store
INSEE codes; the widgets offer candidates through the htmx commune autocomplete."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .selectors import commune_label, commune_resolve, communes_by_code


class CommuneInput(forms.TextInput):
    """A text input that asks the autocomplete for candidates as the user types, and lists
    them in a ``<datalist>`` (picking one fills « Name (INSEE) »)."""

    def __init__(self, attrs=None):
        base = {
            "autocomplete": "off",
            "hx-get": reverse_lazy("partners:commune-autocomplete"),
            "hx-trigger": "input changed delay:300ms",
            "hx-swap": "innerHTML",
        }
        super().__init__(base | (attrs or {}))

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        list_id = f"{context['widget']['attrs'].get('id', name)}-communes"
        context["widget"]["attrs"]["list"] = list_id
        context["widget"]["attrs"]["hx-target"] = f"#{list_id}"
        return context

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        list_id = f"{(attrs or {}).get('id', name)}-communes"
        return html + format_html('<datalist id="{}"></datalist>', list_id)


class _Typed(str):
    """A value as the user typed it in a bound form (never read as a stored INSEE code)."""


class CommuneField(forms.CharField):
    """One commune: cleans to its INSEE code; an unknown value or a postal code shared by
    several communes is a field error that names the candidates."""

    widget = CommuneInput

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 160)
        kwargs.setdefault("help_text", _("Code postal, nom ou code INSEE de la commune."))
        super().__init__(**kwargs)

    def bound_data(self, data, initial):
        """What the user typed is shown back exactly as typed: a postal code that is also
        another commune's INSEE code (59300) must not turn into that commune."""
        data = super().bound_data(data, initial)
        return _Typed(data) if isinstance(data, str) else data

    def prepare_value(self, value):
        if isinstance(value, _Typed):
            return str(value)
        if value and re.fullmatch(r"\d{5}|2[AB]\d{3}", str(value)):
            commune = communes_by_code([value]).get(value)
            if commune is not None:
                return commune_label(commune)
        return value

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        return commune_resolve(value).code


class PerimeterField(forms.CharField):
    """A list of communes, one per line (or separated by « ; »), each given by name, postal
    code or INSEE code; cleans to the list of INSEE codes."""

    widget = forms.Textarea(attrs={"rows": 8})

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "help_text",
            _("Une commune par ligne : nom, code postal ou code INSEE, par exemple Valenciennes."),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            communes = communes_by_code(value)
            return "\n".join(
                commune_label(communes[code]) if code in communes else code for code in value
            )
        return value

    def clean(self, value):
        value = super().clean(value)
        codes, errors = [], []
        for part in re.split(r"[\n;]+", value or ""):
            if not part.strip():
                continue
            try:
                code = commune_resolve(part).code
            except ValidationError as error:
                errors.extend(error.messages)
                continue
            if code not in codes:
                codes.append(code)
        if errors:
            raise ValidationError(errors)
        return codes
