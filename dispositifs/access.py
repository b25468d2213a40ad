"""The access policy: which dispositifs may this person do X in.

One table (``GRANTS``) says, for every role, which actions it grants and over which
dispositifs: every one (national coordination), the dispositif of the assignment, the
dispositifs where the assignment's organisation holds a seat at the tour de table, or those
of the assignment's region (API clients). Firm people (correspondents, experts) reach, for
the missions actions, the dispositifs where their firm holds a seat or has work that a
higher layer registers (``register_firm_presence``: missions lent across territories), and
there only their firm's rows (``Reach.FIRM``) or their own (``Reach.OWN``): ``row_reach``
says which. Web views, API views, filtersets, selectors and
panels all ask ``dispositif_ids(user, action)`` or ``Model.objects.for_user(user, action)``;
an unknown role or action answers nothing. The tenancy scope of a user is the union of what
their roles grant.

Answers are memoised on the user object, so one request reads the role assignments, seats
and regions at most once.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from django.apps import apps
from django.db.models import BooleanField, Value

from alize.accounts.models import Role
from alize.accounts.roles import assignments
from alize.actions import Action
from alize.tenancy import may, scope

from .models import Dispositif, Membership

__all__ = [
    "GRANTS",
    "RowReach",
    "dispositif_ids",
    "document_firm_ids",
    "may",
    "organisation_ids",
    "register_firm_presence",
    "row_reach",
    "scope_ids",
]


class Reach(StrEnum):
    """How a role assignment turns into dispositifs."""

    EVERY = "every"  # every dispositif
    ASSIGNED = "assigned"  # the assignment's dispositif
    SEATED = "seated"  # dispositifs where the assignment's organisation holds a seat
    REGION = "region"  # dispositifs of the assignment's region
    # Dispositifs where the assignment's organisation holds a seat or has registered work
    # (missions); there, the rows of that organisation only.
    FIRM = "firm"
    # The same dispositifs; there, only the rows the user is personally on (an expert).
    OWN = "own"
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
        Action.VIEW_MISSION: Reach.ASSIGNED,
        Action.RECORD_COMMITMENT: Reach.ASSIGNED,
        # On a member's behalf, named as such (committees.services.interest_declare).
        Action.DECLARE_INTEREST: Reach.ASSIGNED,
        Action.VIEW_DIRECTORY: Reach.EVERY,
        Action.VIEW_ADVANCE: Reach.ASSIGNED,
        Action.MANAGE_ADVANCE: Reach.ASSIGNED,
        Action.RECORD_REPAYMENT: Reach.ASSIGNED,
        Action.APPROVE_WRITE_OFF: Reach.ASSIGNED,
        Action.VIEW_DOCUMENT: Reach.ASSIGNED,
        Action.REQUEST_DOCUMENT: Reach.ASSIGNED,
        Action.VIEW_INDICATORS: Reach.ASSIGNED,
    },
    Role.COMMITTEE_MEMBER: {
        **dict.fromkeys(_PIPELINE_READ, Reach.ASSIGNED),
        Action.RECORD_COMMITMENT: Reach.ASSIGNED,
        Action.DECLARE_INTEREST: Reach.ASSIGNED,
        Action.REPLY_INVITATION: Reach.ASSIGNED,
        Action.SCORE_DOSSIER: Reach.ASSIGNED,
        # The agendas and minutes of their dispositif (reporting.selectors narrows the kinds).
        Action.VIEW_DOCUMENT: Reach.ASSIGNED,
        Action.VIEW_INDICATORS: Reach.ASSIGNED,
    },
    Role.FIRM_CORRESPONDENT: {
        Action.VIEW_DISPOSITIF: Reach.SEATED,
        Action.VIEW_MISSION: Reach.FIRM,
        Action.RESPOND_MISSION: Reach.FIRM,
        Action.VIEW_DOCUMENT: Reach.FIRM_DOCUMENTS,
        Action.REQUEST_DOCUMENT: Reach.FIRM_DOCUMENTS,
        # The firm's own figures in the dispositifs where it holds a seat or has work.
        Action.VIEW_INDICATORS: Reach.FIRM,
    },
    Role.EXPERT: {
        Action.VIEW_DISPOSITIF: Reach.SEATED,
        Action.VIEW_MISSION: Reach.OWN,
        Action.LOG_HOURS: Reach.OWN,
    },
    Role.API_CLIENT: {
        **dict.fromkeys(_PIPELINE_READ, Reach.REGION),
        Action.VIEW_COMPANY: Reach.REGION,
        Action.VIEW_DIRECTORY: Reach.EVERY,
        Action.VIEW_ADVANCE: Reach.REGION,
    },
}


def _memo(user) -> dict:
    memo = getattr(user, "_alize_access", None)
    if memo is None:
        memo = {}
        user._alize_access = memo
    return memo


# Work of an organisation in a dispositif, registered by higher layers as (model label,
# organisation field): the tenant layer reads those tables without importing their apps.
_FIRM_PRESENCE: list[tuple[str, str]] = []


def register_firm_presence(model_label: str, organisation_field: str) -> None:
    """Declare that a row of ``model_label`` puts its ``organisation_field`` organisation in
    its dispositif (e.g. a firm's mission where it holds no seat). Called from an
    ``AppConfig.ready()``; registering twice is harmless."""
    entry = (model_label, organisation_field)
    if entry not in _FIRM_PRESENCE:
        _FIRM_PRESENCE.append(entry)


def _organisation_dispositifs(user, organisation_ids: set[int]) -> tuple[set[int], set[int]]:
    """Dispositifs where these organisations hold a seat, and those where they hold a seat
    or have registered work: one query for both (a union), memoised on the user."""
    key = ("organisations", frozenset(organisation_ids))
    memo = _memo(user)
    if key not in memo:
        seats = Membership.unscoped_objects.filter(organisation__in=organisation_ids)
        query = seats.values_list("dispositif_id", Value(True, output_field=BooleanField()))
        for label, field in _FIRM_PRESENCE:
            work = apps.get_model(label).unscoped_objects.filter(
                **{f"{field}__in": organisation_ids}
            )
            query = query.union(
                work.values_list("dispositif_id", Value(False, output_field=BooleanField()))
            )
        # Seats and missions are tenant rows: PostgreSQL shows them only to a declared scope
        # (docs/decisions/0007-row-level-security.md), and the policy must see them all.
        with scope(every_dispositif=True, reason="the access policy reads every seat"):
            rows = list(query)
        seated = {dispositif for dispositif, is_seat in rows if is_seat}
        memo[key] = (seated, {dispositif for dispositif, _is_seat in rows})
    return memo[key]


def _seated_dispositifs(user, organisation_ids: set[int]) -> set[int]:
    return _organisation_dispositifs(user, organisation_ids)[0]


def _firm_dispositifs(user, organisation_ids: set[int]) -> set[int]:
    """Dispositifs where these organisations hold a seat or have registered work."""
    return _organisation_dispositifs(user, organisation_ids)[1]


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
    firms: set[int] = set()
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
        elif reach in (Reach.FIRM, Reach.OWN) and assignment.organisation_id:
            firms.add(assignment.organisation_id)
        elif reach == Reach.REGION and assignment.region:
            regions.add(assignment.region)
    if result is not None:
        if organisations:
            result |= _seated_dispositifs(user, organisations)
        if firms:
            result |= _firm_dispositifs(user, firms)
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


@dataclass(frozen=True)
class RowReach:
    """Which rows of an action's dispositifs a user reaches: every row of
    ``dispositif_ids`` (``None``: of every dispositif), plus the rows of the
    ``organisations`` (firm correspondents), plus, when ``own``, the rows the user is
    personally on (experts). Selectors turn it into a filter on their model."""

    dispositif_ids: frozenset[int] | None
    organisations: frozenset[int]
    own: bool

    @property
    def everything(self) -> bool:
        return self.dispositif_ids is None

    @property
    def is_empty(self) -> bool:
        return self.dispositif_ids == frozenset() and not self.organisations and not self.own


def row_reach(user, action: str) -> RowReach:
    """The rows ``user`` reaches for ``action``: whole dispositifs for the roles that reach
    them (coordination, animateur), the firm's rows for ``Reach.FIRM`` grants, one's own
    rows for ``Reach.OWN`` grants. Unknown users and actions reach nothing."""
    if user is None or not getattr(user, "is_authenticated", False):
        return RowReach(dispositif_ids=frozenset(), organisations=frozenset(), own=False)
    memo = _memo(user)
    key = ("rows", action)
    if key in memo:
        return memo[key]
    whole: set[int] | None = set()
    organisations: set[int] = set()
    own = False
    allowed = dispositif_ids(user, action)
    for assignment in assignments(user):
        reach = GRANTS.get(assignment.role, {}).get(action)
        if reach is None:
            continue
        if reach == Reach.EVERY:
            whole = None
        elif reach == Reach.FIRM and assignment.organisation_id:
            organisations.add(assignment.organisation_id)
        elif reach == Reach.OWN:
            own = True
        elif whole is not None and reach == Reach.ASSIGNED and assignment.dispositif_id:
            whole.add(assignment.dispositif_id)
        elif whole is not None and reach == Reach.SEATED and assignment.organisation_id:
            whole |= _seated_dispositifs(user, {assignment.organisation_id})
        elif whole is not None and reach == Reach.REGION and assignment.region:
            whole |= _region_dispositifs(user, {assignment.region})
    if whole is not None and allowed is not None:
        whole &= allowed
    answer = RowReach(
        dispositif_ids=None if whole is None else frozenset(whole),
        organisations=frozenset(organisations),
        own=own,
    )
    memo[key] = answer
    return answer


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
