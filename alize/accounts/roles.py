"""Selectors over role assignments: what a user may see, derived from data only.

Results are memoised on the user object, so one request reads the assignments once.
"""

from __future__ import annotations

from .models import Role


def assignments(user) -> list:
    """The user's role assignments, loaded once per user object."""
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_alize_assignments", None)
    if cached is None:
        cached = list(user.role_assignments.all())
        user._alize_assignments = cached
    return cached


def roles_of(user) -> set[str]:
    return {a.role for a in assignments(user)}


def has_role(user, *roles: str) -> bool:
    return bool(roles_of(user) & set(roles))


def is_coordinator(user) -> bool:
    return has_role(user, Role.NATIONAL_COORDINATOR)


def dispositif_ids_with_role(user, *roles: str) -> set[int]:
    """Dispositifs where the user holds one of ``roles`` directly (animateur, member)."""
    return {a.dispositif_id for a in assignments(user) if a.role in roles and a.dispositif_id}


def organisation_ids_with_role(user, *roles: str) -> set[int]:
    return {a.organisation_id for a in assignments(user) if a.role in roles and a.organisation_id}


def dispositif_ids_for(user) -> set[int] | None:
    """Every dispositif the user may read; ``None`` means all of them (national coordinator)."""
    cached = getattr(user, "_alize_dispositif_ids", False)
    if cached is not False:
        return cached
    from dispositifs.models import Dispositif, Membership

    held = assignments(user)
    if any(a.role == Role.NATIONAL_COORDINATOR for a in held):
        result = None
    else:
        result = dispositif_ids_with_role(user, Role.ANIMATEUR, Role.COMMITTEE_MEMBER)
        organisations = organisation_ids_with_role(user, Role.FIRM_CORRESPONDENT, Role.EXPERT)
        if organisations:
            result |= set(
                Membership.unscoped_objects.filter(organisation__in=organisations).values_list(
                    "dispositif_id", flat=True
                )
            )
        regions = {a.region for a in held if a.role == Role.API_CLIENT and a.region}
        if regions:
            result |= set(
                Dispositif.unscoped_objects.filter(region__in=regions).values_list("pk", flat=True)
            )
    user._alize_dispositif_ids = result
    return result


def can_manage(user, dispositif_id: int) -> bool:
    """May the user change the dispositif's pipeline (animateur of it, or coordinator)?"""
    return is_coordinator(user) or dispositif_id in dispositif_ids_with_role(user, Role.ANIMATEUR)


def managed_dispositif_ids(user) -> set[int] | None:
    """Dispositifs whose pipeline the user runs; ``None`` means all (coordinator)."""
    if is_coordinator(user):
        return None
    return dispositif_ids_with_role(user, Role.ANIMATEUR)
