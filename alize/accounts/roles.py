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


# A token's user with the user's role assignments, in one round trip: an API request reads
# both before anything else (authentication, then the caller's scope).
_TOKEN_OWNER_SQL = """
SELECT u.*, t.created AS alize_token_created,
       COALESCE((
           SELECT json_agg(json_build_array(
                      r.id, r.role, r.dispositif_id, r.organisation_id, r.region) ORDER BY r.id)
           FROM {assignments} r WHERE r.user_id = u.id
       ), '[]') AS alize_assignments
FROM {tokens} t JOIN {users} u ON u.id = t.user_id
WHERE t.key = %s
"""
_ASSIGNMENT_FIELDS = ["id", "role", "dispositif_id", "organisation_id", "region"]


def token_owner(key: str):
    """``(user, token)`` for the API token ``key``, the user's role assignments loaded as
    ``assignments`` gives them; None when no token has this key."""
    from rest_framework.authtoken.models import Token

    from .models import RoleAssignment, User

    sql = _TOKEN_OWNER_SQL.format(
        assignments=RoleAssignment._meta.db_table,
        tokens=Token._meta.db_table,
        users=User._meta.db_table,
    )
    found = list(User.objects.raw(sql, [key]))
    if not found:
        return None
    user = found[0]
    db = user._state.db
    extra = vars(user)
    created, rows = extra.pop("alize_token_created"), extra.pop("alize_assignments")
    token = Token.from_db(db, ["key", "user_id", "created"], [key, user.pk, created])
    token.user = user
    held = []
    for values in rows:
        assignment = RoleAssignment.from_db(db, _ASSIGNMENT_FIELDS, values)
        assignment.user = user
        held.append(assignment)
    extra["_alize_assignments"] = held
    return user, token
