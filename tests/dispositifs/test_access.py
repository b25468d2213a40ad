"""The access policy, table-driven: every role × every action × dispositifs A and B.

The expected table is written out here by hand (it is the product's access rule), never
derived from ``dispositifs.access.GRANTS``.
"""

import pytest

from alize.accounts.models import Role
from alize.actions import Action
from alize.tenancy import dispositif_ids, scope_for_user
from dispositifs.access import document_firm_ids, organisation_ids, scope_ids
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, user_with_role

A, B, EVERY, NONE = "A", "B", "every", "none"

# role -> action -> where it is allowed: EVERY dispositif, A only, or NONE.
EXPECTED = {
    "coordinator": dict.fromkeys(Action, EVERY),
    "animateur_a": {
        Action.VIEW_DISPOSITIF: A,
        Action.VIEW_COMPANY: A,
        Action.VIEW_PROJECT: A,
        Action.VIEW_COMMITTEE: A,
        Action.MANAGE: A,
        Action.RECORD_COMMITMENT: A,
        Action.DECLARE_INTEREST: A,
        Action.REPLY_INVITATION: NONE,
        Action.SCORE_DOSSIER: NONE,
        Action.MANAGE_NETWORK: NONE,
        Action.VIEW_DIRECTORY: EVERY,
        Action.MANAGE_DIRECTORY: NONE,
        Action.VIEW_MISSION: A,
        Action.RESPOND_MISSION: NONE,
        Action.LOG_HOURS: NONE,
        Action.VIEW_ADVANCE: A,
        Action.MANAGE_ADVANCE: A,
        Action.RECORD_REPAYMENT: A,
        Action.APPROVE_WRITE_OFF: A,
        Action.VIEW_DOCUMENT: A,
        Action.REQUEST_DOCUMENT: A,
        Action.VIEW_INDICATORS: A,
        Action.MANAGE_PERSONAL_DATA: NONE,
    },
    "member_a": {
        Action.VIEW_DISPOSITIF: A,
        Action.VIEW_COMPANY: NONE,
        Action.VIEW_PROJECT: A,
        Action.VIEW_COMMITTEE: A,
        Action.MANAGE: NONE,
        Action.RECORD_COMMITMENT: A,
        Action.DECLARE_INTEREST: A,
        Action.REPLY_INVITATION: A,
        Action.SCORE_DOSSIER: A,
        Action.MANAGE_NETWORK: NONE,
        Action.VIEW_DIRECTORY: NONE,
        Action.MANAGE_DIRECTORY: NONE,
        Action.VIEW_MISSION: NONE,
        Action.RESPOND_MISSION: NONE,
        Action.LOG_HOURS: NONE,
        Action.VIEW_ADVANCE: NONE,
        Action.MANAGE_ADVANCE: NONE,
        Action.RECORD_REPAYMENT: NONE,
        Action.APPROVE_WRITE_OFF: NONE,
        Action.VIEW_DOCUMENT: A,
        Action.REQUEST_DOCUMENT: NONE,
        Action.VIEW_INDICATORS: A,
        Action.MANAGE_PERSONAL_DATA: NONE,
    },
    "correspondent_a": {
        **dict.fromkeys(Action, NONE),
        Action.VIEW_DISPOSITIF: A,
        Action.VIEW_MISSION: A,
        Action.RESPOND_MISSION: A,
        Action.VIEW_INDICATORS: A,
    },
    "expert_a": {
        **dict.fromkeys(Action, NONE),
        Action.VIEW_DISPOSITIF: A,
        Action.VIEW_MISSION: A,
        Action.LOG_HOURS: A,
    },
    "api_client_a": {
        Action.VIEW_DISPOSITIF: A,
        Action.VIEW_COMPANY: A,
        Action.VIEW_PROJECT: A,
        Action.VIEW_COMMITTEE: A,
        Action.MANAGE: NONE,
        Action.RECORD_COMMITMENT: NONE,
        Action.DECLARE_INTEREST: NONE,
        Action.REPLY_INVITATION: NONE,
        Action.SCORE_DOSSIER: NONE,
        Action.MANAGE_NETWORK: NONE,
        Action.VIEW_DIRECTORY: EVERY,
        Action.MANAGE_DIRECTORY: NONE,
        Action.VIEW_MISSION: NONE,
        Action.RESPOND_MISSION: NONE,
        Action.LOG_HOURS: NONE,
        Action.VIEW_ADVANCE: A,
        Action.MANAGE_ADVANCE: NONE,
        Action.RECORD_REPAYMENT: NONE,
        Action.APPROVE_WRITE_OFF: NONE,
        Action.VIEW_DOCUMENT: NONE,
        Action.REQUEST_DOCUMENT: NONE,
        Action.VIEW_INDICATORS: NONE,
        Action.MANAGE_PERSONAL_DATA: NONE,
    },
    "no_role": dict.fromkeys(Action, NONE),
}
SCOPE = {
    "coordinator": EVERY,
    "animateur_a": A,
    "member_a": A,
    "correspondent_a": A,
    "expert_a": A,
    "api_client_a": A,
    "no_role": NONE,
}


@pytest.fixture
def people(world):
    firm = OrganisationFactory(name="Grande entreprise test", kind="large_firm")
    MembershipFactory(dispositif=world.a, organisation=firm)
    return {
        "coordinator": world.coordinator,
        "animateur_a": world.animateur_a,
        "member_a": world.member_a,
        "correspondent_a": user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm),
        "expert_a": user_with_role(Role.EXPERT, organisation=firm),
        "api_client_a": world.api_client_user,
        "no_role": UserFactory(),
    }


def where(ids, world) -> str:
    if ids is None:
        return EVERY
    if ids == {world.a.pk}:
        return A
    if ids == {world.b.pk}:
        return B
    assert ids == set(), ids
    return NONE


@pytest.mark.parametrize("person", sorted(EXPECTED))
@pytest.mark.parametrize("action", sorted(Action))
def test_role_action_dispositif(world, people, person, action):
    assert where(dispositif_ids(people[person], action), world) == EXPECTED[person][action]


@pytest.mark.parametrize("person", sorted(SCOPE))
def test_scope_is_the_union_of_tenant_actions(world, people, person):
    assert where(scope_ids(people[person]), world) == SCOPE[person]
    scope = scope_for_user(people[person])
    assert (EVERY if scope.everything else where(set(scope.dispositif_ids), world)) == (
        SCOPE[person]
    )


@pytest.mark.parametrize("action", ["delete_everything", "", "VIEW_PROJECT", None])
def test_unknown_actions_answer_nothing(world, people, action):
    for person in ("animateur_a", "member_a", "api_client_a"):
        assert dispositif_ids(people[person], action) == set()


def test_anonymous_and_missing_users_answer_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    for user in (AnonymousUser(), None):
        for action in Action:
            assert dispositif_ids(user, action) == set()


def test_two_roles_add_up_and_stay_apart(world):
    """An animateur of B who sits on A's committee runs B and reads A's dossiers only."""
    user = user_with_role(Role.ANIMATEUR, dispositif=world.b)
    from tests.factories import RoleAssignmentFactory

    RoleAssignmentFactory(
        user=user,
        role=Role.COMMITTEE_MEMBER,
        dispositif=world.a,
        organisation=world.member_organisation_a,
    )
    assert dispositif_ids(user, Action.MANAGE) == {world.b.pk}
    assert dispositif_ids(user, Action.VIEW_PROJECT) == {world.a.pk, world.b.pk}
    assert dispositif_ids(user, Action.VIEW_COMPANY) == {world.b.pk}


def test_commitments_are_recorded_for_ones_own_organisation(world, people):
    assert organisation_ids(people["animateur_a"], Action.RECORD_COMMITMENT, world.a.pk) is None
    assert organisation_ids(people["member_a"], Action.RECORD_COMMITMENT, world.a.pk) == {
        world.member_organisation_a.pk
    }
    assert organisation_ids(people["member_a"], Action.RECORD_COMMITMENT, world.b.pk) == set()
    assert organisation_ids(people["api_client_a"], Action.RECORD_COMMITMENT, world.a.pk) == set()
    assert organisation_ids(people["animateur_a"], Action.DECLARE_INTEREST, world.a.pk) is None
    assert organisation_ids(people["member_a"], Action.DECLARE_INTEREST, world.a.pk) == {
        world.member_organisation_a.pk
    }
    assert organisation_ids(people["member_a"], Action.REPLY_INVITATION, world.b.pk) == set()


# person -> organisations whose firm documents they may read / ask for ("firm": the firm of
# the fixture, EVERY: every firm, NONE: no firm).
FIRM_DOCUMENTS = {
    "coordinator": (EVERY, EVERY),
    "animateur_a": (NONE, NONE),
    "member_a": (NONE, NONE),
    "correspondent_a": ("firm", "firm"),
    "expert_a": (NONE, NONE),
    "api_client_a": (NONE, NONE),
    "no_role": (NONE, NONE),
}


@pytest.mark.parametrize("person", sorted(FIRM_DOCUMENTS))
def test_firm_documents_reach_the_firms_correspondent(world, people, person):
    firm = people["correspondent_a"].role_assignments.get().organisation_id

    def named(ids):
        return EVERY if ids is None else "firm" if ids == {firm} else ids or NONE

    found = (
        named(document_firm_ids(people[person], Action.VIEW_DOCUMENT)),
        named(document_firm_ids(people[person], Action.REQUEST_DOCUMENT)),
    )
    assert found == FIRM_DOCUMENTS[person]


def test_answers_are_read_once_per_user_object(world, people, django_assert_max_num_queries):
    user = people["correspondent_a"]
    with django_assert_max_num_queries(2):
        for _ in range(3):
            for action in Action:
                dispositif_ids(user, action)
            scope_ids(user)
