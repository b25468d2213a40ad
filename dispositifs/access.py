"""The access policy: which dispositifs may this person do X in.

One table (``GRANTS``) says, for every role, which actions it grants and over which
dispositifs: every one (national coordination), the dispositif of the assignment, the
dispositifs where the assignment's organisation holds a seat at the tour de table, or those
of the assignment's region (API clients). Web views, API views, filtersets, selectors and
panels all ask ``dispositif_ids(user, action)`` or ``Model.objects.for_user(user, action)``;
an unknown role or action answers nothing. The tenancy scope of a user is the union of what
their roles grant.

Answers are memoised on the user object, so one request reads the role assignments, seats
and regions at most once.
"""

from __future__ import annotations

from enum import StrEnum

from alize.accounts.models import Role
from alize.accounts.roles import assignments
from alize.actions import Action
from alize.tenancy import may

from .models import Dispositif, Membership

__all__ = [
    "Action",
    "GRANTS",
    "dispositif_ids",
    "document_firm_ids",
    "may",
    "organisation_ids",
    "scope_ids",
]


class Reach(StrEnum):
    """How a role assignment turns into dispositifs."""

    EVERY = "every"  # every dispositif
    ASSIGNED = "assigned"  # the assignment's dispositif
    SEATED = "seated"  # dispositifs where the assignment's organisation holds a seat
    REGION = "region"  # dispositifs of the assignment's region
    # The assignment's organisation's own firm-wide documents (its contribution statement);
    # grants no dispositif.
    FIRM_DOCUMENTS = "firm_documents"


_PIPELINE_READ = (Action.VIEW_DISPOSITIF, Action.VIEW_PROJECT, Action.VIEW_COMMITTEE)

GRANTS: dict[str, dict[Action, Reach]] = {
    Role.NATIONAL_COORDINATOR: dict.fromkeys(Action, Reach.EVERY),
    Role.ANIMATEUR: {
        **dict.fromkeys(_PIPELINE_READ, Reach.ASSIGNED),
        Action.VIEW_COMPANY: Reach.ASSIGNED,
        Action.MANAGE: Reach.ASSIGNED,
        Action.RECORD_COMMITMENT: Reach.ASSIGNED,
        Action.VIEW_DIRECTORY: Reach.EVERY,
        Action.VIEW_DOCUMENT: Reach.ASSIGNED,
        Action.REQUEST_DOCUMENT: Reach.ASSIGNED,
    },
    Role.COMMITTEE_MEMBER: {
        **dict.fromkeys(_PIPELINE_READ, Reach.ASSIGNED),
        Action.RECORD_COMMITMENT: Reach.ASSIGNED,
        # The agendas and minutes of their dispositif (reporting.selectors narrows the kinds).
        Action.VIEW_DOCUMENT: Reach.ASSIGNED,
    },
    Role.FIRM_CORRESPONDENT: {
        Action.VIEW_DISPOSITIF: Reach.SEATED,
        Action.VIEW_DOCUMENT: Reach.FIRM_DOCUMENTS,
        Action.REQUEST_DOCUMENT: Reach.FIRM_DOCUMENTS,
    },
    Role.EXPERT: {Action.VIEW_DISPOSITIF: Reach.SEATED},
    Role.API_CLIENT: {
        **dict.fromkeys(_PIPELINE_READ, Reach.REGION),
        Action.VIEW_COMPANY: Reach.REGION,
        Action.VIEW_DIRECTORY: Reach.EVERY,
    },
}


def _memo(user) -> dict:
    memo = getattr(user, "_alize_access", None)
    if memo is None:
        memo = {}
        user._alize_access = memo
    return memo


def _seated_dispositifs(user, organisation_ids: set[int]) -> set[int]:
    key = ("seated", frozenset(organisation_ids))
    memo = _memo(user)
    if key not in memo:
        memo[key] = set(
            Membership.unscoped_objects.filter(organisation__in=organisation_ids).values_list(
                "dispositif_id", flat=True
            )
        )
    return memo[key]


def _region_dispositifs(user, regions: set[str]) -> set[int]:
    key = ("region", frozenset(regions))
    memo = _memo(user)
    if key not in memo:
        memo[key] = set(
            Dispositif.unscoped_objects.filter(region__in=regions).values_list("pk", flat=True)
        )
    return memo[key]


def dispositif_ids(user, action: str) -> set[int] | None:
    """Dispositifs where ``user`` may do ``action``; ``None`` means every one.

    Anonymous users, users without roles, and actions no role grants answer an empty set.
    """
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    memo = _memo(user)
    if action in memo:
        return memo[action]
    result: set[int] | None = set()
    organisations: set[int] = set()
    regions: set[str] = set()
    for assignment in assignments(user):
        reach = GRANTS.get(assignment.role, {}).get(action)
        if reach is None:
            continue
        if reach == Reach.EVERY:
            result = None
            break
        if reach == Reach.ASSIGNED and assignment.dispositif_id:
            result.add(assignment.dispositif_id)
        elif reach == Reach.SEATED and assignment.organisation_id:
            organisations.add(assignment.organisation_id)
        elif reach == Reach.REGION and assignment.region:
            regions.add(assignment.region)
    if result is not None:
        if organisations:
            result |= _seated_dispositifs(user, organisations)
        if regions:
            result |= _region_dispositifs(user, regions)
    memo[action] = result
    return result


# Actions on global data (the directory): "every" there says nothing about dispositifs.
GLOBAL_ACTIONS = frozenset({Action.VIEW_DIRECTORY, Action.MANAGE_DIRECTORY})


def scope_ids(user) -> set[int] | None:
    """The tenancy scope of ``user``: every dispositif where an action on tenant data is
    granted (actions on the directory, which is global, do not widen it)."""
    union: set[int] = set()
    for action in Action:
        if action in GLOBAL_ACTIONS:
            continue
        ids = dispositif_ids(user, action)
        if ids is None:
            return None
        union |= ids
    return union


def organisation_ids(user, action: str, dispositif_id: int) -> set[int] | None:
    """Organisations for which ``user`` may do ``action`` in a dispositif: ``None`` (any)
    for those who manage it, else the organisations they sit for (committee members)."""
    if may(user, Action.MANAGE, dispositif_id):
        return None
    if not may(user, action, dispositif_id):
        return set()
    return {
        a.organisation_id
        for a in assignments(user)
        if a.dispositif_id == dispositif_id
        and a.organisation_id
        and GRANTS.get(a.role, {}).get(action) == Reach.ASSIGNED
    }


def document_firm_ids(user, action: str) -> set[int] | None:
    """Organisations whose firm-wide documents ``user`` may ``action``
    (``Reach.FIRM_DOCUMENTS``: a correspondent and their firm's contribution statement);
    ``None`` means every firm (a role that reaches every dispositif). Anonymous users and
    other roles: none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    key = ("firms", action)
    memo = _memo(user)
    if key not in memo:
        found: set[int] | None = set()
        for assignment in assignments(user):
            reach = GRANTS.get(assignment.role, {}).get(action)
            if reach == Reach.EVERY:
                found = None
                break
            if reach == Reach.FIRM_DOCUMENTS and assignment.organisation_id:
                found.add(assignment.organisation_id)
        memo[key] = found
    return memo[key]
