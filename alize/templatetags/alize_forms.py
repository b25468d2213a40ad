"""``{% form_field field %}``: one form field with its visible label, its help and its errors
(``{% load alize_forms %}``; ``includes/form_fields.html`` shows a whole form with it).

A field whose choices show as boxes or buttons is a fieldset named by its legend, described
by its help and errors; any other field is a ``div`` whose ``label`` names the input. Each
message has its own id (``<field id>_helptext``, ``<field id>_error``), which Django's
``aria-describedby`` on the input points to. Built in Python rather than by including a
template for each field: a page of forms renders each field once, not a template each.
"""

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

REQUIRED = mark_safe(' <span class="req" aria-hidden="true">*</span>')  # noqa: S308


@register.simple_tag
def form_field(field) -> SafeString:
    errors = field.errors
    help_text = field.help_text
    has_error = " has-error" if errors else ""
    required = REQUIRED if field.field.required else ""
    if field.use_fieldset:
        described = []
        if help_text:
            described.append(f"{field.auto_id}_helptext")
        if errors:
            described.append(f"{field.auto_id}_error")
        opening = format_html(
            '<fieldset class="field{}" data-field="{}"{}>\n  <legend>{}{}</legend>',
            has_error,
            field.name,
            format_html(' aria-describedby="{}"', " ".join(described)) if described else "",
            field.label,
            required,
        )
        closing = "</fieldset>"
    else:
        opening = format_html(
            '<div class="field{}" data-field="{}">\n  <label for="{}">{}{}</label>',
            has_error,
            field.name,
            field.id_for_label,
            field.label,
            required,
        )
        closing = "</div>"
    help_html = (
        format_html('\n  <small class="help" id="{}_helptext">{}</small>', field.auto_id, help_text)
        if help_text
        else ""
    )
    errors_html = (
        format_html(
            '\n  <div class="error" id="{}_error">{}</div>',
            field.auto_id,
            format_html_join("", "<p>{}</p>", ((error,) for error in errors)),
        )
        if errors
        else ""
    )
    return format_html(
        "\n{}\n  {}{}{}\n{}\n",
        opening,
        field,
        help_html,
        errors_html,
        mark_safe(closing),  # noqa: S308
    )
