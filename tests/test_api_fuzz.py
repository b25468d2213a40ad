"""OpenAPI fuzzing with schemathesis: every operation, every check, several identities.

Requests are generated from the schema and sent through the WSGI application with every
schemathesis check (server errors, status codes, content types, headers and response
bodies conforming to the schema, invalid data rejected). Path ids are drawn from real rows
of demo-like data, so requests reach the views instead of stopping at 404, and three
callers are tried:

- dispositif A's animateur, on A's ids: the full checks;
- dispositif B's animateur, on A's ids: 404 on every operation that names an object;
- the regional API client: no write is ever accepted.

``make test`` runs a bounded, derandomised budget; ``make fuzz`` raises it and draws new
examples (``FUZZ_EXAMPLES``, ``FUZZ_RANDOM``).
"""

import datetime as dt
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
from committees import services as committee_services
from committees.models import AgendaItem, Committee, Decision, PartnerCommitment
from dispositifs.models import Membership
from loans import services as loan_services
from loans.models import Advance, Cofinancing, Fund, Repayment
from missions.models import HourLog, SkillMission
from partners.models import Expert, Organisation, OrganisationKind
from pme import services as pme_services
from pme.models import Company, JobsFollowUp, Project, Stage, StageTransition
from reporting.models import Document
from tests.clock import TODAY
from tests.factories import (
    CommitteeFactory,
    MembershipFactory,
    OrganisationFactory,
    project_at,
    user_with_role,
)
from tests.loans.builders import advance_at, make_fund
from tests.reporting.conftest import make_document

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


def seed(dispositif):
    """A small tour de table with projects at every step of the pipeline."""
    firm = OrganisationFactory(kind=OrganisationKind.LARGE_FIRM)
    bank = OrganisationFactory(kind=OrganisationKind.BANK)
    MembershipFactory(dispositif=dispositif, organisation=firm)
    MembershipFactory(dispositif=dispositif, organisation=bank, kind="financial_partner")
    for stage in (Stage.REFERRED, Stage.QUALIFIED, Stage.DEFERRED):
        project_at(stage, dispositif=dispositif)
    approved = project_at(Stage.APPROVED, dispositif=dispositif)
    with scope([dispositif]):
        item = AgendaItem.objects.get(project=approved)
        committee_services.commitment_record(
            item=item, organisation=bank, tool="Prêt d'honneur", amount=5000, by=None
        )
        committee_services.commitment_record(
            item=item, organisation=firm, tool="Mission qualité", amount=None, by=None
        )
        pme_services.follow_up_record(
            project=approved,
            year=1,
            headcount=30,
            jobs_created=3,
            jobs_maintained=27,
            source="declared",
            by=None,
        )
        committee = CommitteeFactory(dispositif=dispositif, start_time=dt.time(14, 0))
        ready = project_at(Stage.IN_INSTRUCTION, dispositif=dispositif)
        committee_services.agenda_add_project(committee=committee, project=ready, by=None)
        project_at(Stage.IN_INSTRUCTION, dispositif=dispositif)
    make_document(dispositif)
    # A fund, an advance at each early status, a repayment and co-financing.
    fund = make_fund(dispositif)
    advance_at("approved", fund)
    advance_at("contracted", fund)
    lent = advance_at("disbursed", fund)
    with scope([dispositif]):
        loan_services.repayment_record(
            advance=lent,
            amount=1000,
            received_on=TODAY,
            idempotency_key=f"fuzz-{dispositif.pk}",
            by=None,
        )
        loan_services.cofinancing_create(
            project=lent.project,
            organisation="Banque test",
            kind="bank_loan",
            amount=20000,
            evidence_on=TODAY,
            by=None,
        )
    seed_missions(dispositif, firm)


def seed_missions(dispositif, firm):
    """A mission in progress lent by the firm, with an expert who logged a day."""
    from tests.factories import SkillFactory
    from tests.missions.conftest import approved_decision, log, make_expert, running_mission

    expert = make_expert(firm, user=user_with_role(Role.EXPERT, organisation=firm))
    correspondent = user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm)
    animateur = user_with_role(Role.ANIMATEUR, dispositif=dispositif)
    mission = running_mission(
        approved_decision(dispositif),
        firm,
        SkillFactory(name="Qualité fuzz", slug="qualite-fuzz"),
        animateur=animateur,
        correspondent=correspondent,
        experts=[expert],
    )
    log(mission, expert, mission.starts_on, "2")


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
    """The operation's strategy, with its ``{id}`` replaced by a real id of dispositif A."""
    prefix = re.match(r"/api/v1/([^/]+)/", operation.path).group(1)
    real = ids[prefix]

    @st.composite
    def strategy(draw):
        case = draw(operation.as_strategy())
        if "id" in (case.path_parameters or {}):
            case.path_parameters["id"] = draw(st.sampled_from(real))
        return case

    return strategy()


def test_every_check_holds_for_the_animateur(api_schema, fuzz_world):
    world, ids = fuzz_world
    headers = headers_for(world.animateur_a)
    for operation in operations(api_schema):

        @given(case=with_real_ids(operation, ids))
        @fuzz_settings()
        def fuzz(case):
            case.call_and_validate(headers=headers)

        fuzz()


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


def test_the_api_client_never_writes(api_schema, fuzz_world):
    world, ids = fuzz_world
    headers = headers_for(world.api_client_user)
    writes = [op for op in operations(api_schema) if op.method.upper() in WRITE_METHODS]
    assert writes
    for operation in writes:

        @given(case=with_real_ids(operation, ids))
        @fuzz_settings(max(2, EXAMPLES // 3))
        def fuzz(case):
            response = case.call(headers=headers)
            assert response.status_code in (400, 403, 404, 405), (case.method, case.path)

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
