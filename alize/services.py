"""Helpers shared by the apps' services (HackSoft's ``model_update``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ObjectDoesNotExist


def model_update(instance, allowed: Iterable[str], data: dict) -> list[str]:
    """Set ``data`` on ``instance``, refusing any field outside ``allowed`` (a programming
    error, not user input); returns the names of the fields whose value changed."""
    allowed = set(allowed)
    unknown = set(data) - allowed
    if unknown:
        raise ValueError(f"Unknown {type(instance).__name__} fields: {sorted(unknown)}")
    changed = []
    for name, value in data.items():
        try:
            current = getattr(instance, name)
        except ObjectDoesNotExist:  # a required relation not set yet on a new row
            current = None
        if current != value:
            changed.append(name)
        setattr(instance, name, value)
    return changed


def validate_and_save(instance):
    """``full_clean`` (constraints included, as field errors) then save; returns the row."""
    instance.full_clean()
    instance.save()
    return instance
