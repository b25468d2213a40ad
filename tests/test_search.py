"""The lists' search (``?q``, alize.search): accents and case do not count, the web list and
the API find the same rows, the stored search columns follow their row's writes (an erasure
included), and PostgreSQL serves the search from the trigram indexes, on the tenant tables
too under row-level security when the operator class exists."""

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from alize.personal_data.database import text_columns
from alize.search import OPERATOR_CLASS, search_condition
from alize.tenancy import scope
from pme.api.filtersets import ProjectAPIFilterSet
from pme.models import Company, Project
from tests.conftest import api_client_for
from tests.factories import CompanyFactory, ProjectFactory

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


def api_titles(user, query: str) -> set[str]:
    response = api_client_for(user).get(reverse("api:project-list"), {"q": query})
    assert response.status_code == 200
    return {row["title"] for row in response.json()["results"]}


def web_titles(client, user, query: str) -> set[str]:
    client.force_login(user)
    response = client.get(reverse("pme:project-list"), {"q": query})
    assert response.status_code == 200
    return {project.title for project in response.context["object_list"]}


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


def test_web_and_api_search_the_same_columns(world, companies, client):
    """A company by its commune or its contact, a project by its description or its
    company's name: the web list and the API read the same stored columns."""
    with scope([world.a]):
        company = CompanyFactory(
            dispositif=world.a, name="Fonderie", commune_name="Besançon", contact_name="Zoé Lefèvre"
        )
        ProjectFactory(company=company, title="Four neuf", description="Ligne d'émaillage")
        ProjectFactory(company=Company.objects.get(name=NAMES[0]), title="Atelier")
    for query, expected in (("besancon", {"Fonderie"}), ("LEFEVRE", {"Fonderie"})):
        assert api_names(world.animateur_a, query) == expected
        assert web_names(client, world.animateur_a, query) == expected
    for query, expected in (("emaillage", {"Four neuf"}), ("générale", {"Atelier"})):
        assert api_titles(world.animateur_a, query) == expected
        assert web_titles(client, world.animateur_a, query) == expected


def test_the_stored_column_follows_updates_and_erasures(world):
    with scope([world.a]):
        company = CompanyFactory(dispositif=world.a, name="Scierie", contact_name="Hélène Dupré")
        project = ProjectFactory(company=company, title="Séchoir")
        Company.objects.filter(pk=company.pk).update(name="Menuiserie Étienne")
        project.title = "Raboteuse"
        project.save()
    company = Company.unscoped_objects.get(pk=company.pk)
    assert "menuiserie etienne" in company.search_text
    assert "scierie" not in company.search_text
    assert Project.unscoped_objects.get(pk=project.pk).search_text.startswith("raboteuse")
    assert "helene dupre" in company.search_text

    # An erasure rewrites the person's own fields, then every text column that names them,
    # the generated ones aside: PostgreSQL recomputes those.
    assert "search_text" not in {c.name for c in text_columns()["pme_company"]}
    Company.unscoped_objects.filter(pk=company.pk).update(contact_name="Personne effacée")
    company = Company.unscoped_objects.get(pk=company.pk)
    assert "dupre" not in company.search_text
    assert company.search_text.endswith("personne effacee")


def has_operator_class() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_opclass WHERE opcname = %s", [OPERATOR_CLASS])
        return cursor.fetchone() is not None


@pytest.mark.parametrize(
    ("model", "index"), [(Company, "company_search_text"), (Project, "project_search_text")]
)
def test_the_tenant_tables_search_uses_their_trigram_index(world, model, index):
    """As the application's role, under the tables' forced row-level security: the LEAKPROOF
    operator ``~~~`` may be an index condition (docs/decisions/0020)."""
    if not has_operator_class():
        pytest.skip("the migrating role could not create alize_trgm_ops")
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        role, superuser = cursor.fetchone()
    assert not superuser, role
    # The test's own statements read every dispositif: the policy is the only scope's filter.
    queryset = model.unscoped_objects.filter(search_text__contains_text="société")
    explained = plan(queryset.order_by().values("pk"))
    assert f"Bitmap Index Scan on {index}" in explained, explained
    assert "~~~" in explained, explained


def test_a_projects_search_reads_both_trigram_indexes(world):
    """The project list's search (its own column, or its company's): a BitmapOr of the
    project's trigram index and of its company key, the companies found once, by ``~~~`` (on
    the bench's 20 000 companies, by their trigram index; a test table is answered from the
    dispositif's index)."""
    if not has_operator_class():
        pytest.skip("the migrating role could not create alize_trgm_ops")
    condition = Q()
    with scope([world.a]):
        for path in ProjectAPIFilterSet.search_fields:
            condition |= search_condition(Project, path, "société")
        queryset = Project.unscoped_objects.filter(condition)
        explained = plan(queryset.order_by().values("pk"))
    assert "BitmapOr" in explained, explained
    assert "Bitmap Index Scan on project_search_text" in explained, explained
    assert "on pme_company" in explained and "(search_text ~~~ '%societe%'" in explained
