"""Shared fixtures: two dispositifs (A and B) and the people of each role around them."""

from dataclasses import dataclass

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alize.accounts.models import Role
from tests.factories import DispositifFactory, OrganisationFactory, user_with_role


@pytest.fixture(autouse=True)
def reference_data(request, django_db_blocker):
    """The communes and NAF codes are loaded by a data migration, but a transactional test
    flushes every table when it ends: put them back before the next database test."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if uses_db:
        from django.db import connection

        from partners.models import Commune, NafCode
        from partners.reference import loader

        with django_db_blocker.unblock():
            if not NafCode.objects.exists():
                loader.load_naf(connection, "partners_nafcode", loader.read_naf_file())
            if not Commune.objects.exists():
                loader.load_communes(connection, "partners_commune", loader.read_communes_file())
    yield


@dataclass
class World:
    a: object
    b: object
    animateur_a: object
    animateur_b: object
    member_a: object
    member_organisation_a: object
    coordinator: object
    api_client_user: object


@pytest.fixture
def world(db):
    """Dispositif A (Hauts-de-France) and B (Auvergne-Rhône-Alpes), with their people."""
    a = DispositifFactory(name="Alizé Valenciennes test", slug="valenciennes-test", region="32")
    b = DispositifFactory(
        name="Alizé Chambéry test",
        slug="chambery-test",
        region="84",
        departements=["73"],
        perimeter=["73065"],
    )
    member_organisation = OrganisationFactory(
        name="Région test", kind="public_body", public_level="region"
    )
    return World(
        a=a,
        b=b,
        animateur_a=user_with_role(Role.ANIMATEUR, dispositif=a),
        animateur_b=user_with_role(Role.ANIMATEUR, dispositif=b),
        member_a=user_with_role(
            Role.COMMITTEE_MEMBER, dispositif=a, organisation=member_organisation
        ),
        member_organisation_a=member_organisation,
        coordinator=user_with_role(Role.NATIONAL_COORDINATOR),
        api_client_user=user_with_role(Role.API_CLIENT, region="32"),
    )


def api_client_for(user):
    """A DRF client authenticated with the user's token, as an external caller would be."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api_a(world):
    return api_client_for(world.animateur_a)


@pytest.fixture
def web_a(world, client):
    client.force_login(world.animateur_a)
    return client
