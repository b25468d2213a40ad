"""Shared fixtures: two dispositifs (A and B) and a person of every role around them."""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alize.accounts.models import Role
from tests import clock, coverage, parallel, query_counts
from tests.factories import (
    DispositifFactory,
    MembershipFactory,
    OrganisationFactory,
    UserFactory,
    user_with_role,
)

TESTS_DIR = Path(__file__).resolve().parent

# The roles every generic route test tries, by the name a test class declares them with.
# "animateur" is A's animateur; B's animateur is the "other dispositif" of every isolation check.
ROLES = (
    "coordinator",
    "animateur",
    "animateur_b",
    "member",
    "correspondent",
    "expert",
    "api_client",
    "no_role",
)


# The database: created as the owner, used as the application's role ---------------------


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_use_migrations,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's setup of the test database, run as the owner of the tables (who may
    create databases and migrate); the tests then connect as the application's role, under
    row-level security like the running platform (docs/decisions/0007-row-level-security.md)."""
    from django.db import connection
    from django.test.utils import setup_databases, teardown_databases
    from psycopg import sql
    from pytest_django.fixtures import _disable_migrations, _get_databases_for_setup

    from alize.row_security import application_role, as_owner

    if not django_db_use_migrations:
        _disable_migrations()
    aliases, serialized_aliases = _get_databases_for_setup(request.session.items)
    with django_db_blocker.unblock(), as_owner():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            aliases=aliases,
            serialized_aliases=serialized_aliases,
            keepdb=django_db_keepdb and not django_db_createdb,
        )
        # Two privileges the platform's role does not get outside the tests: TRUNCATE, with
        # which transactional tests empty the tables (it ignores row-level security), and
        # the test database itself, whose owner may ANALYZE the rows a plan test just wrote
        # (the tables stay the owner's, and their policies apply to the role all the same).
        grant_truncate()
        role = sql.Identifier(application_role())
        with connection.cursor() as cursor:
            statement = sql.SQL("ALTER DATABASE {} OWNER TO {}").format(
                sql.Identifier(connection.settings_dict["NAME"]), role
            )
            cursor.execute(statement.as_string(cursor.connection))
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock(), as_owner():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


def grant_truncate():
    """Let the application's role TRUNCATE every table, as transactional tests empty them
    that way; run as the owner (after the test database is made, or a test re-migrated)."""
    from django.db import connection
    from psycopg import sql

    from alize.row_security import application_role

    role = sql.Identifier(application_role())
    statement = sql.SQL("GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO {}").format(role)
    with connection.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection))


_PROJECT_PREFIX = str(TESTS_DIR.parent) + os.sep
_TESTS_PREFIX = str(TESTS_DIR) + os.sep
_row_security = {"strict": False}


def _issued_by_test_code() -> bool:
    """Does the statement come from a test's own code rather than from the platform's? The
    nearest caller in this repository decides: under ``tests/`` or not."""
    frame = sys._getframe(2)
    while frame is not None:
        path = frame.f_code.co_filename
        if path.startswith(_PROJECT_PREFIX) and "site-packages" not in path:
            return path.startswith(_TESTS_PREFIX)
        frame = frame.f_back
    return False


def tests_read_every_dispositif(execute, sql, params, many, context):
    """Execute wrapper: a statement a test itself runs with no scope (checking stored rows
    through ``unscoped_objects``, counting, raw SQL) sees every dispositif, as the test
    means. The platform's code gets no such help: its statements, even called from a test,
    see only what its scope declares. ``strict_row_security`` turns this off."""
    from alize.tenancy import active_scope, scope

    if _row_security["strict"] or active_scope() is not None or not _issued_by_test_code():
        return execute(sql, params, many, context)
    with scope(every_dispositif=True, reason="a test's own statement"):
        return execute(sql, params, many, context)


def _install_test_wrapper(sender=None, connection=None, **kwargs):
    if tests_read_every_dispositif not in connection.execute_wrappers:
        # First, so that the tenancy wrapper sees the scope this one enters.
        connection.execute_wrappers.insert(0, tests_read_every_dispositif)


def _connect_test_wrapper():
    from django.db.backends.signals import connection_created

    connection_created.connect(_install_test_wrapper, dispatch_uid="tests.read_every_dispositif")


_connect_test_wrapper()


@pytest.fixture
def strict_row_security():
    """The test's own statements get no scope either: they see what PostgreSQL shows."""
    _row_security["strict"] = True
    try:
        yield
    finally:
        _row_security["strict"] = False


# Tables a transactional test's flush leaves as they are: the reference lists the data
# migrations load (tens of thousands of communes) and what ``post_migrate`` makes (content
# types, permissions). Emptying them meant loading them again before the next test, and
# running every ``post_migrate`` receiver after each flush (about 1.5 s a test).
KEPT_BY_FLUSH = frozenset(
    {"partners_commune", "partners_nafcode", "django_content_type", "auth_permission"}
)
_flushed_tables: dict[str, list[str]] = {}


def _flush_keeping_reference_data(self):
    """``TransactionTestCase._fixture_teardown`` without emptying ``KEPT_BY_FLUSH``: one
    TRUNCATE of every other table of the project, and no ``post_migrate`` (nothing it makes
    was emptied). Test cases with ``available_apps`` or a serialized rollback keep Django's."""
    from django.core.management.color import no_style
    from django.db import connections

    if self.available_apps is not None or self.serialized_rollback:
        return _django_fixture_teardown(self)
    for alias in self._databases_names(include_mirrors=False):
        connection = connections[alias]
        if alias not in _flushed_tables:
            names = connection.introspection.django_table_names(
                only_existing=True, include_views=False
            )
            _flushed_tables[alias] = sorted(set(names) - KEPT_BY_FLUSH)
        statements = connection.ops.sql_flush(no_style(), _flushed_tables[alias])
        connection.ops.execute_sql_flush(statements)


def _keep_reference_data_across_flushes() -> None:
    from django.test import TransactionTestCase

    global _django_fixture_teardown
    _django_fixture_teardown = TransactionTestCase._fixture_teardown
    TransactionTestCase._fixture_teardown = _flush_keeping_reference_data


_keep_reference_data_across_flushes()


def ensure_reference_data() -> None:
    """Load the communes, NAF codes and the national skills when a flush emptied them. They
    come from data migrations, but a transactional test flushes every table when it ends
    (and a reused test database may start that way)."""
    from django.db import connection

    from partners.models import NATIONAL_SKILLS, NATIONAL_SKILLS_EN, Commune, NafCode, Skill
    from partners.reference import loader

    if not NafCode.objects.exists():
        loader.load_naf(connection, "partners_nafcode", loader.read_naf_file())
    if not Commune.objects.exists():
        loader.load_communes(connection, "partners_commune", loader.read_communes_file())
    if not Skill.objects.filter(slug__in=[slug for slug, _name in NATIONAL_SKILLS]).exists():
        Skill.objects.bulk_create(
            [
                Skill(slug=slug, name=name, name_en=NATIONAL_SKILLS_EN.get(slug, ""))
                for slug, name in NATIONAL_SKILLS
            ],
            ignore_conflicts=True,
        )


@pytest.fixture(autouse=True)
def reference_data(request, django_db_blocker):
    """Put the reference lists back before a database test (see ``ensure_reference_data``)."""
    uses_db = request.node.get_closest_marker("django_db") or {
        "db",
        "transactional_db",
        "live_server",
    } & set(request.fixturenames)
    if uses_db:
        with django_db_blocker.unblock():
            ensure_reference_data()
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
    firm_a: object
    correspondent_a: object
    expert_a: object
    no_role: object

    def user(self, role: str):
        """The user standing for ``role`` (one of ``ROLES``), or ``None`` for anonymous."""
        return {
            "coordinator": self.coordinator,
            "animateur": self.animateur_a,
            "animateur_b": self.animateur_b,
            "member": self.member_a,
            "correspondent": self.correspondent_a,
            "expert": self.expert_a,
            "api_client": self.api_client_user,
            "no_role": self.no_role,
            "anonymous": None,
        }[role]


@pytest.fixture
def world(db):
    """Dispositif A (Hauts-de-France) and B (Auvergne-Rhône-Alpes), with a person of every
    role of docs/architecture.md §1: coordinator, animateurs of A and B, a committee member
    of A, the correspondent and an expert of a large firm with a seat in A, the API client of
    A's region, and a signed-in user with no role."""
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
    firm = OrganisationFactory(name="Grande entreprise test", kind="large_firm")
    MembershipFactory(dispositif=a, organisation=firm)
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
        firm_a=firm,
        correspondent_a=user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm),
        expert_a=user_with_role(Role.EXPERT, organisation=firm),
        no_role=UserFactory(),
    )


def api_client_for(user):
    """A DRF client authenticated with the user's token, as an external caller would be;
    anonymous when ``user`` is ``None``."""
    client = APIClient()
    if user is not None:
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


def pytest_generate_tests(metafunc):
    """Parametrize a route test class's role arguments from its declared matrix:
    ``role`` (every role), ``reader_role`` (its readers), ``refused_role`` (non-writers)."""
    cls = metafunc.cls
    if cls is None:
        return
    choices = {
        "role": list(ROLES),
        "reader_role": [r for r in ROLES if r in getattr(cls, "readers", ())],
        "refused_role": [r for r in ROLES if r not in getattr(cls, "writers", ())],
    }
    given = {
        name.strip()
        for marker in metafunc.definition.iter_markers("parametrize")
        for name in (
            marker.args[0].split(",") if isinstance(marker.args[0], str) else marker.args[0]
        )
    }
    for argument, roles in choices.items():
        if argument not in metafunc.fixturenames or argument in given:
            continue
        metafunc.parametrize(argument, [pytest.param(role, id=role) for role in roles])


# Route coverage and query-count baselines ------------------------------------------------


def pytest_addoption(parser):
    parser.addoption(
        "--update-query-counts",
        action="store_true",
        help="rewrite tests/query_counts.json with the query counts measured in this run",
    )


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_clock(reason): run on the real clock instead of tests.clock.NOW"
    )
    query_counts.settings["update"] = bool(
        config.getoption("--update-query-counts") or os.environ.get("UPDATE_QUERY_COUNTS") == "1"
    )
    config.pluginmanager.register(parallel.ParallelRun(), "alize-parallel-run")


def pytest_sessionfinish(session):
    # In a parallel run, the main process writes what every process measured (tests/parallel.py).
    if query_counts.settings["update"] and not hasattr(session.config, "workerinput"):
        query_counts.write_baselines()


@pytest.fixture(scope="session", autouse=True)
def record_requested_routes():
    """Record every route and method the test clients request (read by the meta-test)."""
    with coverage.recording():
        yield


def _all_test_modules() -> set[str]:
    """Every test module of the suite, browser flows excepted (they run only on demand)."""
    return {
        str(path.relative_to(TESTS_DIR.parent))
        for path in TESTS_DIR.rglob("test_*.py")
        if "browser" not in path.relative_to(TESTS_DIR).parts
    }


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(session, config, items):
    """Run the route meta-test last, and tell it whether this run requests every route."""
    last = [item for item in items if item.nodeid.startswith("tests/test_routes_meta.py::")]
    others = [item for item in items if item not in last]
    items[:] = others + last
    collected = {item.nodeid.split("::", 1)[0] for item in items}
    deselected = bool(
        config.getoption("keyword")
        or config.getoption("markexpr")
        or config.getoption("deselect")
        or any("::" in arg for arg in config.args)
    )
    missing = sorted(_all_test_modules() - collected)
    config.alize_full_run = not missing and not deselected
    config.alize_partial_reason = (
        f"partial run ({len(missing)} test modules not collected"
        f"{', with -k/-m selection' if deselected else ''}): route coverage is only "
        "meaningful when the whole suite runs"
    )


# The clock --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def fixed_clock(request, time_machine):
    """Run every test from ``tests.clock.NOW`` (ticking, so rows keep their order) unless
    marked ``real_clock(reason=...)`` or ``time_machine(moment)``. Python's clock only:
    PostgreSQL's ``now()`` and other processes (a Celery worker, Chromium) keep the real one."""
    real = request.node.get_closest_marker("real_clock")
    if real is not None:
        assert real.kwargs.get("reason"), "real_clock needs a reason"
    elif request.node.get_closest_marker("time_machine") is None:
        time_machine.move_to(clock.NOW, tick=True)
    return time_machine


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: cached pages never outlive the rolled-back rows,
    nor do the indicators' facts kept in memory."""
    from django.core.cache import cache

    from alize.indicators.reading import forget

    cache.clear()
    forget()


# E-mail ------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _smtp_server_process():
    import logging

    from tests.smtp import SMTPServer

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command log
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server(_smtp_server_process, settings):
    """A real SMTP server (aiosmtpd) that Django's SMTP backend sends to during the test;
    ``smtp_server.messages`` holds what it received (emptied before each test)."""
    _smtp_server_process.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _smtp_server_process.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    yield _smtp_server_process
    _smtp_server_process.clear()


@pytest.fixture(autouse=True)
def _forget_mail_claims(request, django_db_blocker):
    """Delete the mail claims a test committed. ``alize.mail`` commits its claims on a
    connection of its own when the caller is inside a transaction, as a test's is, so they
    would otherwise outlive the test's rollback (and, with --reuse-db, the run)."""
    from alize import mail

    claimed = []
    real_claim = mail._claim

    def recording_claim(**kwargs):
        claimed.append(kwargs["key"])
        return real_claim(**kwargs)

    mail._claim = recording_claim
    try:
        yield
    finally:
        mail._claim = real_claim
        if claimed:
            with django_db_blocker.unblock():
                from django.db import DEFAULT_DB_ALIAS, connections

                from alize.models import SentMail

                aside = connections.create_connection(DEFAULT_DB_ALIAS)
                try:
                    with aside.cursor() as cursor:
                        cursor.execute(
                            f"DELETE FROM {SentMail._meta.db_table} WHERE key = ANY(%s)",
                            [claimed],
                        )
                finally:
                    aside.close()


# Object storage ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-speaking server (moto's) on a free port for the session (tests/storage_server)."""
    from tests.storage_server import S3Server

    server = S3Server(TESTS_DIR.parent / ".local" / "test-logs" / "s3-server.log")
    try:
        server.start()
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_documents(s3_server, settings):
    """Documents and uploads stored in a fresh bucket of the S3 server, through the
    settings production uses (alize/settings/storage.py); yields the environment that gives
    a worker process the same storage, its ``STORAGE_S3_BUCKET`` naming the bucket."""
    from alize.settings.storage import file_storages

    environ = s3_server.environ(s3_server.new_bucket())
    settings.STORAGES = {**settings.STORAGES, **file_storages("", environ)}
    yield environ
