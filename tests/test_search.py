"""The lists' search (``?q``, alize.search): accents and case do not count, the web list and
the API find the same rows, and PostgreSQL serves the global lists' search from the trigram
indexes."""

import pytest
from django.db import connection
from django.urls import reverse

from alize.tenancy import scope
from tests.conftest import api_client_for
from tests.factories import CompanyFactory

NAMES = ("Société Générale des Pompes", "SOCIÉTÉ NOUVELLE ŒUVRE", "Boulangerie Martin")


@pytest.fixture
def companies(world):
    with scope([world.a]):
        for name in NAMES:
            CompanyFactory(dispositif=world.a, name=name)


def api_names(user, query: str) -> set[str]:
    response = api_client_for(user).get(reverse("api:company-list"), {"q": query})
    assert response.status_code == 200
    return {row["name"] for row in response.json()["results"]}


def web_names(client, user, query: str) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("pme:company-list"), {"q": query})
    assert response.status_code == 200
    return {company.name for company in response.context["object_list"]}


@pytest.mark.parametrize("query", ["societe", "SOCIETE", "Société", "sociÉtÉ", " société "])
def test_accents_and_case_do_not_count(world, companies, client, query):
    expected = {"Société Générale des Pompes", "SOCIÉTÉ NOUVELLE ŒUVRE"}
    assert api_names(world.animateur_a, query) == expected
    assert web_names(client, world.animateur_a, query) == expected


def test_ligatures_and_inner_words_are_found(world, companies, client):
    assert api_names(world.animateur_a, "oeuvre") == {"SOCIÉTÉ NOUVELLE ŒUVRE"}
    assert api_names(world.animateur_a, "generale des") == {"Société Générale des Pompes"}
    assert web_names(client, world.animateur_a, "GÉNÉRALE") == {"Société Générale des Pompes"}


def test_like_characters_are_matched_as_themselves(world, client):
    with scope([world.a]):
        CompanyFactory(dispositif=world.a, name="Atelier 100% bio")
        CompanyFactory(dispositif=world.a, name="Atelier 1000 bio")
        CompanyFactory(dispositif=world.a, name="Atelier_Nord")
    assert api_names(world.animateur_a, "100%") == {"Atelier 100% bio"}
    assert api_names(world.animateur_a, "r_n") == {"Atelier_Nord"}
    assert web_names(client, world.animateur_a, "100%") == {"Atelier 100% bio"}


def test_the_search_stays_in_the_callers_scope(world, companies):
    with scope([world.b]):
        CompanyFactory(dispositif=world.b, name="Société de Savoie")
    assert "Société de Savoie" not in api_names(world.animateur_a, "societe")
    assert api_names(world.animateur_b, "societe") == {"Société de Savoie"}


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize(
    ("model_path", "fields", "index"),
    [
        ("partners.Organisation", ("name", "siren", "city"), "organisation_name_search"),
        ("partners.Expert", ("first_name", "last_name", "job_title"), "expert_last_name_search"),
    ],
)
def test_the_search_uses_the_trigram_indexes(world, model_path, fields, index):
    """With sequential scans priced out (a test table is too small for the planner to want
    an index), the search's condition is answered by a bitmap scan of the trigram index, as
    the application's role (these tables have no row-level security: alize.search)."""
    from django.apps import apps
    from django.db.models import Q

    model = apps.get_model(model_path)
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__contains_text": "société"})
    explained = plan(model.objects.filter(condition).order_by().values("pk"))
    assert f"Bitmap Index Scan on {index}" in explained, explained
