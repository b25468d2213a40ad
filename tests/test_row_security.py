"""The second wall: PostgreSQL's row-level security shows a statement only the dispositifs
its transaction declared, whatever the SQL says (docs/decisions/0007-row-level-security.md).

These tests use ``strict_row_security``: the test's own statements get no help either, so
a raw query run without a scope sees exactly what PostgreSQL shows the application's role.
"""

import pytest
from django.apps import apps
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from alize import row_security
from alize.tenancy import TenantModel, scope, scope_for_user
from pme.models import Project
from tests.conftest import api_client_for
from tests.factories import ProjectFactory


def project_ids(sql="SELECT id FROM pme_project ORDER BY id"):
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return [row[0] for row in cursor.fetchall()]


@pytest.fixture
def projects(world):
    """Two projects in A and one in B, created by the factories' national scope."""
    in_a = [ProjectFactory(company__dispositif=world.a).pk for _ in range(2)]
    in_b = [ProjectFactory(company__dispositif=world.b).pk]
    return in_a, in_b


def test_the_application_role_owns_nothing_and_bypasses_nothing(db):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, rolsuper, rolbypassrls,"
            " (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid AND c.relkind = 'r')"
            " FROM pg_roles r WHERE r.rolname = current_user"
        )
        user, superuser, bypass, owned = cursor.fetchone()
    assert user == row_security.application_role() == connection.settings_dict["USER"]
    assert user != row_security.settings.DATABASE_OWNER["USER"]
    assert (superuser, bypass, owned) == (False, False, 0)
    assert row_security.check_application_role(databases=["default"]) == []


def test_every_tenant_table_has_forced_row_security_and_the_current_policy(db):
    tenant_models = {
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, TenantModel) and not model._meta.proxy
    }
    tables = row_security.tenant_tables()
    assert tenant_models <= set(tables)
    assert {"pme_project", "pme_historicalproject", "loans_ledgerline"} <= set(tables)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid"
            " WHERE c.relrowsecurity AND c.relforcerowsecurity AND p.polname = %s"
            " AND obj_description(p.oid, 'pg_policy') = %s",
            [row_security.POLICY, row_security.POLICY_VERSION],
        )
        secured = {row[0] for row in cursor.fetchall()}
    assert secured == set(tables)


def test_a_planted_query_without_scope_returns_no_row(projects, world, strict_row_security):
    in_a, in_b = projects
    assert project_ids() == []
    assert project_ids("SELECT count(*) FROM pme_project") == [0]
    with scope([]):
        assert project_ids() == []
    with scope([world.a]):
        assert project_ids() == in_a
    with scope([world.b]):
        assert project_ids() == in_b
    with scope(every_dispositif=True, reason="test: the national scope"):
        assert project_ids() == sorted(in_a + in_b)
    assert project_ids() == []


def test_the_orm_escape_hatch_stops_at_the_database_too(projects, world, strict_row_security):
    in_a, in_b = projects
    assert list(Project.unscoped_objects.values_list("pk", flat=True)) == []
    with scope([world.a]):
        assert sorted(Project.unscoped_objects.values_list("pk", flat=True)) == in_a
        # Written around the Python checks, a row of B is not even found.
        assert Project.unscoped_objects.filter(pk=in_b[0]).update(title="Hors champ") == 0
        assert Project.unscoped_objects.filter(pk__in=in_b).delete()[0] == 0
    with scope([world.b]):
        assert Project.unscoped_objects.get(pk=in_b[0]).title != "Hors champ"


def test_a_write_into_another_dispositif_is_refused_by_postgresql(projects, world):
    in_a, in_b = projects
    with scope([world.a]):
        with (
            pytest.raises(DatabaseError, match="row-level security"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "UPDATE pme_project SET dispositif_id = %s WHERE id = %s",
                [world.b.pk, in_a[0]],
            )
        with (
            pytest.raises(DatabaseError, match="row-level security"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(
                "INSERT INTO dispositifs_membership (dispositif_id, organisation_id, kind,"
                " pledged_hours_per_year) VALUES (%s, %s, 'partner_firm', 0)",
                [world.b.pk, world.firm_a.pk],
            )
    with scope([world.a]):
        assert project_ids() == in_a


def test_the_declaration_follows_scope_changes_and_savepoints(projects, world, strict_row_security):
    in_a, in_b = projects
    with transaction.atomic():
        with scope([world.a]):
            assert project_ids() == in_a
            with scope([world.b]):
                assert project_ids() == in_b
                try:
                    with transaction.atomic():
                        with scope([world.a, world.b]):
                            assert project_ids() == sorted(in_a + in_b)
                        assert project_ids() == in_b
                        raise RuntimeError("roll the savepoint back")
                except RuntimeError:
                    pass
                # The savepoint took its declaration with it; B's is declared again.
                assert project_ids() == in_b
            assert project_ids() == in_a
        assert project_ids() == []


def test_the_access_policy_reads_every_seat_for_a_firm(world, strict_row_security):
    """The correspondent's scope comes from the firm's seats, which are tenant rows."""
    assert scope_for_user(world.correspondent_a).dispositif_ids == {world.a.pk}


def test_pages_and_the_api_show_their_scope_under_strict_row_security(
    projects, world, client, strict_row_security
):
    in_a, in_b = projects
    with scope(every_dispositif=True, reason="test: the titles to look for"):
        titles = dict(Project.objects.values_list("pk", "title"))
    client.force_login(world.animateur_a)
    page = client.get(reverse("pme:project-list")).content.decode()
    assert all(titles[pk] in page for pk in in_a)
    assert titles[in_b[0]] not in page
    body = api_client_for(world.animateur_a).get("/api/v1/projects/").json()
    assert sorted(row["id"] for row in body["results"]) == in_a


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_a_scope_still_reaches_only_its_rows(strict_row_security):
    """Autocommit: a statement with no scope sees nothing; one inside a scope runs in a
    transaction of its own that declares it (a document's build, an on-commit callback)."""
    from tests.factories import DispositifFactory

    a, b = DispositifFactory(), DispositifFactory()
    in_a = ProjectFactory(company__dispositif=a).pk
    ProjectFactory(company__dispositif=b)
    assert connection.get_autocommit()
    assert project_ids() == []
    with scope([a]):
        assert project_ids() == [in_a]
        assert Project.objects.count() == 1
    assert project_ids() == []


@pytest.mark.django_db(transaction=True)
def test_a_transaction_a_savepoint_opens_declares_its_scope_again(strict_row_security):
    """A connection kept between requests: the declaration of a finished transaction is
    gone, also when the next one starts with a SAVEPOINT (an ``atomic`` block inside the
    request's). The same scope and the same savepoint level as before once read as
    « already declared », and the second request of a kept-alive HTTP connection saw no row
    (a confirmation link of the SMEs' door answered « expired »)."""
    from tests.factories import DispositifFactory

    a = DispositifFactory()
    in_a = ProjectFactory(company__dispositif=a).pk
    with scope([a]):
        with transaction.atomic():
            assert project_ids() == [in_a]
        # The outer block sends nothing: the inner one's SAVEPOINT opens the transaction.
        with transaction.atomic(), transaction.atomic():
            assert project_ids() == [in_a]
            assert Project.objects.filter(pk=in_a).exists()


@pytest.mark.django_db(transaction=True)
def test_migrate_puts_back_a_missing_policy():
    """The owner's post-migrate step is idempotent and repairs a table left unprotected."""
    try:
        with row_security.as_owner(), connection.cursor() as cursor:
            cursor.execute("ALTER TABLE pme_project NO FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY {row_security.POLICY} ON pme_project")
    finally:
        with row_security.as_owner():
            row_security.secure_tenant_tables()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relforcerowsecurity, (SELECT count(*) FROM pg_policy WHERE polrelid = c.oid)"
            " FROM pg_class c WHERE relname = 'pme_project'"
        )
        assert cursor.fetchone() == (True, 1)


def test_declaration_of_a_scope():
    from alize.tenancy import Scope

    assert row_security.declaration(None) == ("", "off")
    assert row_security.declaration(Scope(frozenset())) == ("", "off")
    assert row_security.declaration(Scope(frozenset({12, 3}))) == ("3,12", "off")
    assert row_security.declaration(Scope(frozenset(), everything=True, reason="x")) == (
        "",
        "on",
    )


@pytest.mark.django_db(transaction=True)
def test_a_page_rendered_after_its_view_still_reads_its_scope(client, strict_row_security):
    """A class-based list is rendered after the view's transaction ended; it is rendered
    in a transaction of its own, under the request's scope."""
    from alize.accounts.models import Role
    from tests.factories import DispositifFactory, user_with_role

    a, b = DispositifFactory(), DispositifFactory()
    mine = ProjectFactory(company__dispositif=a, title="Atelier de Valenciennes")
    ProjectFactory(company__dispositif=b, title="Scierie de Chambéry")
    client.force_login(user_with_role(Role.ANIMATEUR, dispositif=a))
    page = client.get(reverse("pme:project-list")).content.decode()
    assert mine.title in page
    assert "Scierie de Chambéry" not in page
