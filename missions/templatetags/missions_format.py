"""Template filters of the missions pages: ``{{ hours|hours }}`` → ``7,5`` (no trailing
zeros, the active language's decimal mark), ``{{ day|day_name }}`` → « mardi 24 novembre
2026 », ``{{ share|percent }}`` → « 85 % »."""

from django import template

from missions import grid

register = template.Library()


@register.filter
def hours(value):
    return grid.hours_label(value)


@register.filter
def day_name(value):
    return grid.day_name(value) if value else ""


@register.filter
def percent(value):
    """A share (``0.85``) as a whole percentage in the active language: « 85 % »."""
    if value is None or value == "":
        return ""
    return grid.percent(value)


@register.filter
def iso_week(value):
    """The ISO week of a date as the week grid's address names it: ``2026-W48``."""
    return grid.week_label(value) if value else ""
