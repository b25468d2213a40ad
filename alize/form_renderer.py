"""The platform's form renderer (``FORM_RENDERER``): Django's, with the widgets every form and
every list's filters show (text, number, date and other inputs, checkboxes, selects and their
options) written out in Python, byte for byte the HTML of Django's own templates.

A page of forms renders dozens of inputs and a filter form hundreds of options; through the
templates each one costs a template's render (and its ``attrs`` include), more than the
rest of the page. Every other widget (radio buttons, checkbox lists, text areas, files with
their current value…) keeps its template; so does an option whose template was changed.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData
from django.utils.timezone import template_localtime  # type: ignore[attr-defined]

WIDGETS = "django/forms/widgets/"
INPUT = f"{WIDGETS}input.html"
# The templates that only include ``input.html``.
INPUT_INCLUDES = frozenset(
    f"{WIDGETS}{name}.html"
    for name in (
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)
SELECT = f"{WIDGETS}select.html"
OPTION = f"{WIDGETS}select_option.html"


def as_text(value) -> str:
    """``{{ value|stringformat:'s' }}``: the value as text, escaped unless marked safe."""
    text = str(value)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def attrs_html(attrs: dict) -> str:
    """As ``django/forms/widgets/attrs.html``: `` name="value"``, `` name`` for True, nothing
    for False."""
    return "".join(
        f" {conditional_escape(name)}"
        if value is True
        else f' {conditional_escape(name)}="{as_text(value)}"'
        for name, value in attrs.items()
        if value is not False
    )


def input_html(widget: dict) -> str:
    """As ``django/forms/widgets/input.html``."""
    value = "" if widget["value"] is None else f' value="{as_text(widget["value"])}"'
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{value}{attrs_html(widget["attrs"])}>\n'
    )


def shown(value) -> str:
    """``{{ value }}``: localised (numbers, dates) and escaped, as a template prints it."""
    return conditional_escape(localize(template_localtime(value)))


def option_html(option: dict) -> str:
    """As ``django/forms/widgets/select_option.html``."""
    return (
        f'<option value="{as_text(option["value"])}"{attrs_html(option["attrs"])}>'
        f"{shown(option['label'])}</option>\n"
    )


class FormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget")
        if template_name in INPUT_INCLUDES or template_name == INPUT:
            html = input_html(widget)
        elif template_name == SELECT:
            html = self.select_html(widget, request)
        elif template_name == OPTION:
            html = option_html(widget)
        else:
            return super().render(template_name, context, request)
        # As Django's renderers, which strip what a template gives.
        return html.strip()

    def select_html(self, widget: dict, request) -> str:
        """As ``django/forms/widgets/select.html``."""
        name = conditional_escape(widget["name"])
        parts = [f'<select name="{name}"{attrs_html(widget["attrs"])}>']
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(f'\n  <optgroup label="{shown(group_name)}">')
            for option in options:
                parts.append("\n  ")
                if option["template_name"] == OPTION:
                    parts.append(option_html(option))
                else:
                    template = self.get_template(option["template_name"])
                    parts.append(template.render({"widget": option}, request))
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>\n")
        return "".join(parts)
