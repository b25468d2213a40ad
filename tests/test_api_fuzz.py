"""OpenAPI fuzzing with schemathesis: every operation, every check, several identities.

Requests are generated from the schema and sent through the WSGI application with every
schemathesis check (server errors, status codes, content types, headers and response
bodies conforming to the schema, invalid data rejected). Path ids are drawn from real rows
of demo-like data, so requests reach the views instead of stopping at 404, and three
callers are tried:

- dispositif A's animateur, on A's ids: the full checks;
- the regional API client of A's region, on A's ids: the full checks (it receives no
  personal data, so the schema must not promise it), and no write is ever accepted;
- dispositif B's animateur, on A's ids: 404 on every operation that names an object.

``make test`` runs a bounded, derandomised budget; ``make fuzz`` raises it and draws new
examples (``FUZZ_EXAMPLES``, ``FUZZ_RANDOM``).
"""

import os
import re

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis.config import SchemathesisConfig

from alize.accounts.models import Role
from alize.tenancy import scope
from alize.wsgi import application
from committees.models import AgendaItem, Committee, Decision, PartnerCommitment
from dispositifs.models import Membership
from loans.models import (
    Advance,
    BankStatement,
    BankStatementLine,
    Cofinancing,
    DirectDebitMandate,
    Fund,
    Repayment,
    StatementColumnMapping,
)
from missions.models import HourLog, SkillMission
from partners.models import Expert, Organisation
from pme.models import Company, JobsFollowUp, Project, StageTransition
from reporting.models import Document
from tests.api_seed import seed
from tests.factories import user_with_role

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "6"))
RANDOM = os.environ.get("FUZZ_RANDOM", "") == "1"
WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}

# Which model each path prefix names, to draw its ids from real rows.
PATH_MODELS = {
    "dispositifs": "dispositifs",
    "memberships": Membership,
    "committees": Committee,
    "agenda-items": AgendaItem,
    "commitments": PartnerCommitment,
    "decisions": Decision,
    "organisations": Organisation,
    "companies": Company,
    "projects": Project,
    "follow-ups": JobsFollowUp,
    "stage-transitions": StageTransition,
    "experts": Expert,
    "missions": SkillMission,
    "hour-logs": HourLog,
    "funds": Fund,
    "advances": Advance,
    "repayments": Repayment,
    "cofinancing": Cofinancing,
    "mandates": DirectDebitMandate,
    "bank-statements": BankStatement,
    "bank-statement-lines": BankStatementLine,
    "bank-statement-columns": StatementColumnMapping,
    "documents": Document,
}


# Every check runs. A schema-valid request may still name a row that does not exist (a
# filter on an unknown committee id, an unknown dispositif slug): that answers 400 naming
# the field, which the positive-data check must accept along with its defaults.
CONFIG = SchemathesisConfig.from_dict(
    {
        "checks": {
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "400", "401", "403", "404", "409", "429"]
            }
        }
    }
)


def fuzz_settings(examples=EXAMPLES):
    return settings(
        max_examples=examples,
        deadline=None,
        derandomize=not RANDOM,
        database=None,
    )


@pytest.fixture
def api_schema(db):
    reader = user_with_role(Role.NATIONAL_COORDINATOR)
    token = Token.objects.get_or_create(user=reader)[0].key
    # Like Django's test client: the WSGI handler must not close the test's connection
    # (and with it the transaction that holds the test data) at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        # The schema is served to signed-in users and token holders only.
        yield schemathesis.openapi.from_wsgi(
            "/api/schema/",
            application,
            config=CONFIG,
            headers={"Authorization": f"Token {token}"},
        )
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def fuzz_world(world):
    seed(world.a)
    seed(world.b)
    with scope([world.a]):
        ids = {
            prefix: [world.a.pk]
            if model == "dispositifs"
            else list(model.objects.values_list("pk", flat=True))
            for prefix, model in PATH_MODELS.items()
            if model not in (Organisation, Expert, Document)
        }
        ids["documents"] = list(
            Document.objects.filter(dispositif=world.a).values_list("pk", flat=True)
        )
        ids["organisations"] = list(
            Membership.objects.filter(dispositif=world.a).values_list("organisation_id", flat=True)
        )
        ids["experts"] = list(
            Expert.objects.filter(organisation__in=ids["organisations"]).values_list(
                "pk", flat=True
            )
        )
    assert all(ids.values()), ids
    return world, ids


def headers_for(user):
    return {"Authorization": f"Token {Token.objects.get_or_create(user=user)[0].key}"}


def operations(api_schema):
    found = [result.ok() for result in api_schema.get_all_operations()]
    assert len(found) >= 40
    return found


def with_real_ids(operation, ids):
    """The operation's strategy, with its ``{id}`` replaced by a real id of dispositif A
    (routes without an id, such as the indicators, have no model of rows)."""
    prefix = re.match(r"/api/v1/([^/]+)/", operation.path).group(1)
    real = ids.get(prefix, [])

    @st.composite
    def strategy(draw):
        case = draw(operation.as_strategy())
        if "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = draw(st.sampled_from(real))
        return case

    return strategy()


def fuzz_every_check(api_schema, ids, user, *, refuses_writes=False) -> int:
    """Every operation with every check, as ``user`` on dispositif A's ids; with
    ``refuses_writes``, a write must also be refused. Returns the number of cases run."""
    headers = headers_for(user)
    cases = 0
    for operation in operations(api_schema):

        @given(case=with_real_ids(operation, ids))
        @fuzz_settings()
        def fuzz(case):
            nonlocal cases
            cases += 1
            response = case.call_and_validate(headers=headers)
            if refuses_writes and case.method in WRITE_METHODS:
                assert response.status_code in (400, 403, 404, 405), (case.method, case.path)

        fuzz()
    print(f"{cases} cases, every check held")
    return cases


def test_every_check_holds_for_the_animateur(api_schema, fuzz_world):
    world, ids = fuzz_world
    assert fuzz_every_check(api_schema, ids, world.animateur_a) >= len(operations(api_schema))


def test_every_check_holds_for_the_regional_client_which_never_writes(api_schema, fuzz_world):
    world, ids = fuzz_world
    cases = fuzz_every_check(api_schema, ids, world.api_client_user, refuses_writes=True)
    assert cases >= len(operations(api_schema))


def test_another_dispositif_gets_404_on_every_object(api_schema, fuzz_world):
    world, ids = fuzz_world
    headers = headers_for(world.animateur_b)
    # Organisations are a global directory: every caller reads them.
    named = [
        op
        for op in operations(api_schema)
        if "{id}" in op.path and not op.path.startswith("/api/v1/organisations/")
    ]
    assert named
    for operation in named:

        @given(case=with_real_ids(operation, ids))
        @fuzz_settings(max(2, EXAMPLES // 3))
        def fuzz(case):
            response = case.call(headers=headers)
            assert response.status_code in (400, 403, 404), (case.method, case.formatted_path)
            if response.status_code != 404:
                # A write refused before any lookup (malformed body, or a role that never
                # writes this resource): the same answer for every id, so nothing leaks.
                assert case.method in WRITE_METHODS, (case.method, case.formatted_path)

        fuzz()


def test_nul_characters_are_refused_before_any_view(world, client):
    from django.urls import reverse

    from tests.conftest import api_client_for

    api = api_client_for(world.animateur_a)
    payload = {"dispositif": world.a.slug, "siren": "552081317", "name": "Nul\u0000SA"}
    response = api.post(reverse("api:company-list"), payload, format="json")
    assert response.status_code == 400
    assert api.get(reverse("api:company-list"), {"q": "a\x00b"}).status_code == 400
    client.force_login(world.animateur_a)
    response = client.post(reverse("pme:company-create"), {"name": "Nul\x00SA"})
    assert response.status_code == 400
    assert Company.unscoped_objects.count() == 0
