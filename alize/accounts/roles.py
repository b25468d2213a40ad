"""Role assignments of a user, read once per user object.

What a role lets a person do, and where, is the access policy's business
(``dispositifs.access``); this module only reads the assignments it works from.
"""

from __future__ import annotations


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
