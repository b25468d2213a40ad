"""Registering a source: its indicators join the registry and its watched models' writes
mark the dispositif stale (``facts.changed``)."""

from __future__ import annotations

from collections.abc import Iterable

from django.apps import apps
from django.conf import settings
from django.db.models.signals import post_delete, post_save

from alize.tenancy import scope

from .facts import changed, is_paused
from .registry import Indicator, Source, add_source


def register_source(source: Source, indicators: Iterable[Indicator]) -> None:
    """Apps call this from their ``indicators.py`` (imported by their ``ready``; models are
    loaded before any ``ready``, so the watched ones can be connected at once)."""
    add_source(source, indicators)
    for label in source.watched:
        for signal in (post_save, post_delete):
            signal.connect(
                _receiver,
                sender=apps.get_model(label),
                dispatch_uid=f"indicators:{label}:{id(signal)}",
            )
    for label in source.national_watched:
        for signal in (post_save, post_delete):
            signal.connect(
                _national_receiver,
                sender=apps.get_model(label),
                dispatch_uid=f"indicators-national:{label}:{id(signal)}",
            )


def _receiver(sender, instance, **kwargs):
    changed(getattr(instance, "dispositif_id", None))


def _national_receiver(sender, instance, **kwargs):
    if is_paused():
        return
    tenant = apps.get_model(settings.TENANT_MODEL)
    reason = "a national figure behind every dispositif's indicators changed"
    with scope(every_dispositif=True, reason=reason):
        ids = list(tenant._default_manager.values_list("pk", flat=True))
    for dispositif_id in ids:
        changed(dispositif_id)
