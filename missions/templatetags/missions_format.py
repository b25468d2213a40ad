"""Template filters of the missions pages: ``{{ hours|hours }}`` → ``7,5`` (no trailing
zeros, the active language's decimal mark), ``{{ day|day_name }}`` → « mardi 24 novembre
2026 », ``{{ day|iso_week }}`` → ``2026-W48``, ``{{ mission|over_plan }}`` → « 39,5 h au-delà des
60 h prévues ». Percentages are the core's
(``{{ share|share_percent:0 }}`` → « 85 % », ``alize.formats``)."""

from django import template

from missions import grid

register = template.Library()


@register.filter
def hours(value):
    return grid.hours_label(value)


@register.filter
def over_plan(mission) -> str:
    return grid.over_plan_note(mission)


@register.filter
def day_name(value):
    return grid.day_name(value) if value else ""


@register.filter
def iso_week(value):
    """The ISO week of a date as the week grid's address names it: ``2026-W48``."""
    return grid.week_label(value) if value else ""
