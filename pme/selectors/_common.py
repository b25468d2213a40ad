"""What the pme selectors share: the dispositifs a user runs, and narrowing to some."""

from __future__ import annotations

from alize.actions import Action
from dispositifs.models import Dispositif


def managed_dispositifs(user):
    """Dispositifs whose pipeline the user runs (every one for the national coordination)."""
    return Dispositif.objects.for_user(user, Action.MANAGE).order_by("name")


def _limit(queryset, ids: set[int] | None):
    return queryset if ids is None else queryset.filter(dispositif_id__in=ids)
