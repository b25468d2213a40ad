"""The second wall: PostgreSQL row-level security on every tenant table.

The application connects as a role that owns nothing and bypasses nothing; every tenant
table has row-level security enabled and forced, with one policy that lets a row through
when its ``dispositif_id`` is in the scope the transaction declared, or when the transaction
declared every dispositif. The declaration is two transaction-local settings
(``set_config(..., true)``, never a session-wide ``SET`` on a pooled connection), written by
an execute wrapper from the tenancy scope active when a statement runs. A statement that
runs with no scope sees no tenant row, whatever the SQL says.

Migrations and the demo seeding run as the owner of the tables (``as_owner``), which then
declares every dispositif for its whole, dedicated session. After each ``migrate`` the owner
creates the application's role when it is missing, grants it the tables, and (re)applies
the policy to each tenant table, so a new tenant model is covered without a migration of its
own. See docs/decisions/0007-row-level-security.md.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.transaction import TransactionManagementError
from psycopg import ClientCursor, errors, sql
from psycopg.pq import TransactionStatus

from alize.tenancy import Scope, TenantModel, active_scope

IDS_SETTING = "alize.dispositif_ids"
EVERY_SETTING = "alize.every_dispositif"
POLICY = "alize_tenant_scope"
# Stored as the policy's comment: a policy whose comment differs is created again.
POLICY_VERSION = "alize tenancy policy v1"
# The scalar subqueries become init plans: the settings are read once per statement, not
# once per row.
VISIBLE = (
    f"(SELECT coalesce(current_setting('{EVERY_SETTING}', true), '') = 'on') "
    f"OR dispositif_id = ANY ((SELECT string_to_array("
    f"nullif(current_setting('{IDS_SETTING}', true), ''), ','))::bigint[])"
)

# What the database is told: (ids, every); nothing visible is ("", "off").
Declaration = tuple[str, str]
NOTHING: Declaration = ("", "off")
_APPLIED = "_alize_row_scope"
# Django's savepoint statements (``DatabaseOperations.savepoint_*_sql``).
SAVEPOINT_STATEMENTS = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")
_OWNER = "_alize_owner_session"


def declaration(active: Scope | None) -> Declaration:
    """The settings that make the database see what ``active`` lets the code see."""
    if active is None:
        return NOTHING
    if active.everything:
        return ("", "on")
    return (",".join(str(pk) for pk in sorted(active.dispositif_ids)), "off")


def _declare(connection, wanted: Declaration) -> None:
    """Write the transaction-local settings on the raw connection (not a logged query)."""
    with connection.wrap_database_errors:
        connection.connection.execute(
            "SELECT set_config(%s, %s, true), set_config(%s, %s, true)",
            [IDS_SETTING, wanted[0], EVERY_SETTING, wanted[1]],
        )


_DECLARED = re.compile(
    rf"^SELECT set_config\('{re.escape(IDS_SETTING)}', '[0-9,]*', true\), "
    rf"set_config\('{re.escape(EVERY_SETTING)}', '(?:on|off)', true\); "
)


def _declaring(wanted: Declaration) -> str:
    """The declaration as a statement of its own, to send in front of another: its values
    are the scope's ids (digits and commas) and ``on``/``off``, never user input."""
    ids, every = wanted
    if not all(part.isdigit() for part in ids.split(",") if part) or every not in ("on", "off"):
        raise ValueError(f"Not a scope declaration: {wanted!r}")
    return (
        f"SELECT set_config('{IDS_SETTING}', '{ids}', true), "
        f"set_config('{EVERY_SETTING}', '{every}', true); "
    )


def without_declaration(sql_text: str) -> str:
    """A statement of the query log (``connection.queries``, which shows what was sent)
    without the scope's declaration sent in front of it."""
    return _DECLARED.sub("", sql_text, count=1)


def _can_prefix(connection, context, many: bool) -> bool:
    """Can the declaration travel with the statement, in the same query string? Only for a
    single statement on a client-side cursor (the simple query protocol, which takes several
    statements at once), not for a named (server-side) cursor or in pipeline mode."""
    raw = getattr(context.get("cursor"), "cursor", None)
    return (
        not many
        and isinstance(raw, ClientCursor)
        and connection.connection is not None
        and connection.connection._pipeline is None
    )


def _execute_declared(wanted: Declaration, execute, sql_text, params, many, context):
    """Send the declaration and the statement in one round trip: one query string whose
    first statement declares the scope; the cursor then moves on to the statement's result.

    Inside a transaction, both run in it. In autocommit, PostgreSQL runs the statements of
    one query string as one implicit transaction, which the transaction-local settings
    last for: the statement runs in a transaction of its own that declares the scope,
    without a ``BEGIN`` and a ``COMMIT`` of their own."""
    result = execute(_declaring(wanted) + sql_text, params, many, context)
    context["cursor"].cursor.nextset()
    return result


def scope_wrapper(execute, sql_text, params, many, context):
    """Execute wrapper: declare the active tenancy scope to the transaction the statement
    runs in, once per transaction and again whenever the scope changed.

    Outside a transaction (autocommit) a statement with no scope runs as it is and sees no
    tenant row; one inside a scope runs in a transaction of its own that declares it. The
    declaration travels in front of the statement, in the same round trip, when the cursor
    allows it (``_can_prefix``), else on its own just before.
    """
    connection = context["connection"]
    # The owner's session declared every dispositif; a connection outside the configured
    # aliases only creates or drops databases.
    if getattr(connection, _OWNER, False) or connection.alias not in connections.settings:
        return execute(sql_text, params, many, context)
    wanted = declaration(active_scope())
    if connection.get_autocommit():
        if wanted == NOTHING:
            return execute(sql_text, params, many, context)
        if _can_prefix(connection, context, many):
            return _execute_declared(wanted, execute, sql_text, params, many, context)
        return _in_own_transaction(connection, wanted, execute, sql_text, params, many, context)
    status = connection.connection.info.transaction_status
    if status == TransactionStatus.INERROR or connection.needs_rollback:
        return execute(sql_text, params, many, context)
    if status == TransactionStatus.IDLE:
        # The statement opens a new transaction, which starts with nothing declared, even
        # when it is a SAVEPOINT (an atomic block inside one that has sent nothing yet).
        setattr(connection, _APPLIED, (NOTHING, ()))
    if isinstance(sql_text, str) and sql_text.startswith(SAVEPOINT_STATEMENTS):
        # Reads no row; a declaration sent with ROLLBACK TO SAVEPOINT would be undone by it.
        return execute(sql_text, params, many, context)
    levels = tuple(connection.savepoint_ids)
    applied = getattr(connection, _APPLIED, None)
    # A declaration made inside a savepoint that has since ended may have been rolled back
    # with it: it only counts while its savepoint is still open.
    if applied is None or applied[0] != wanted or levels[: len(applied[1])] != applied[1]:
        setattr(connection, _APPLIED, (wanted, levels))
        if _can_prefix(connection, context, many):
            return _execute_declared(wanted, execute, sql_text, params, many, context)
        _declare(connection, wanted)
        applied = (wanted, levels)
    setattr(connection, _APPLIED, applied)
    return execute(sql_text, params, many, context)


def _in_own_transaction(connection, wanted: Declaration, execute, *arguments):
    """Run one statement in a transaction that declares ``wanted`` first, on this very
    connection (which may be one apart from the thread's, like the mail layer's)."""
    connection.set_autocommit(False)
    try:
        _declare(connection, wanted)
        result = execute(*arguments)
    except BaseException:
        connection.rollback()
        raise
    else:
        connection.commit()
    finally:
        connection.set_autocommit(True)
    return result


def install(sender=None, connection=None, **kwargs) -> None:
    """``connection_created`` receiver: the scope wrapper goes first on every connection;
    an owner's session declares every dispositif for as long as it lasts."""
    if connection is None or connection.vendor != "postgresql":
        return
    if scope_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, scope_wrapper)
    if getattr(connection, _OWNER, False):
        with connection.wrap_database_errors:
            connection.connection.execute("SELECT set_config(%s, 'on', false)", [EVERY_SETTING])


@contextmanager
def as_owner(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Run the block on a new connection as the owner of the tables (``DATABASE_URL``'s
    role), which declares every dispositif for its session; back to the application's role
    afterwards. For one-shot work: migrations, the demo seeding, the test database."""
    connection = connections[using]
    if getattr(connection, _OWNER, False):
        yield
        return
    if connection.in_atomic_block:
        raise TransactionManagementError("as_owner() needs a connection outside a transaction.")
    application = connection.settings_dict
    connection.close()
    connection.settings_dict = {**application, **settings.DATABASE_OWNER}
    setattr(connection, _OWNER, True)
    try:
        yield
    finally:
        connection.close()
        # Keep what the block changed about the database itself (the test database's name).
        application["NAME"] = connection.settings_dict["NAME"]
        connection.settings_dict = application
        setattr(connection, _OWNER, False)


def is_owner_session(connection) -> bool:
    return bool(getattr(connection, _OWNER, False))


def application_role() -> str:
    """The role the application connects as (``DATABASE_APP_USER``)."""
    return settings.DATABASES[DEFAULT_DB_ALIAS]["USER"]


def tenant_tables() -> list[str]:
    """Tables that hold tenant rows: every concrete ``TenantModel``, and the history table of
    a tenant model when it copies the ``dispositif_id`` column."""
    tables = []
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        tracked = getattr(model, "instance_type", None)  # a simple_history model
        if issubclass(model, TenantModel) or (
            tracked is not None
            and issubclass(tracked, TenantModel)
            and any(field.column == "dispositif_id" for field in meta.concrete_fields)
        ):
            tables.append(meta.db_table)
    return sorted(set(tables))


def secure_tenant_tables(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """``post_migrate`` receiver, on the owner's session only: the application's role, its
    grants, and row-level security with the current policy on every tenant table. Each step
    is skipped when already in place, so running it after every ``migrate`` is cheap."""
    connection = connections[using]
    if connection.vendor != "postgresql" or not is_owner_session(connection):
        return
    role = application_role()
    with connection.cursor() as cursor:
        if role != settings.DATABASE_OWNER["USER"]:
            _ensure_application_role(cursor, role)
            _grant(cursor, role)
        cursor.execute(
            "SELECT c.relname, c.relrowsecurity, c.relforcerowsecurity,"
            " obj_description(p.oid, 'pg_policy')"
            " FROM pg_class c LEFT JOIN pg_policy p ON p.polrelid = c.oid AND p.polname = %s"
            " WHERE c.relnamespace = current_schema()::regnamespace AND c.relname = ANY(%s)",
            [POLICY, tenant_tables()],
        )
        for table, enabled, forced, version in cursor.fetchall():
            _secure(
                cursor, table, enabled=enabled, forced=forced, current=version == POLICY_VERSION
            )


def _run(cursor, statement: sql.Composable) -> None:
    cursor.execute(statement.as_string(cursor.connection))


def _ensure_application_role(cursor, role: str) -> None:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
    if cursor.fetchone():
        return
    password = settings.DATABASE_APP_PASSWORD
    statement = sql.SQL(
        "CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS{}"
    ).format(
        sql.Identifier(role),
        sql.SQL(" PASSWORD {}").format(sql.Literal(password)) if password else sql.SQL(""),
    )
    try:
        _run(cursor, statement)
    except DatabaseError as error:
        if not isinstance(error.__cause__, errors.InsufficientPrivilege):
            raise
        raise ImproperlyConfigured(
            f"The role {role!r} does not exist and the owner may not create it: create it "
            f"with `CREATE ROLE {role} LOGIN PASSWORD '…'` (neither superuser nor BYPASSRLS)."
        ) from error


def _grant(cursor, role: str) -> None:
    """The application reads and writes every table and sequence; it owns none of them."""
    target = sql.Identifier(role)
    _run(
        cursor,
        sql.SQL(
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {role};"
            " GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA {schema} TO {role}"
        ).format(schema=sql.Identifier(_schema(cursor)), role=target),
    )


def _schema(cursor) -> str:
    cursor.execute("SELECT current_schema()")
    return cursor.fetchone()[0]


def _secure(cursor, table: str, *, enabled: bool, forced: bool, current: bool) -> None:
    name = sql.Identifier(table)
    if not enabled:
        _run(cursor, sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(name))
    if not forced:
        _run(cursor, sql.SQL("ALTER TABLE {} FORCE ROW LEVEL SECURITY").format(name))
    if current:
        return
    policy = sql.Identifier(POLICY)
    _run(cursor, sql.SQL("DROP POLICY IF EXISTS {} ON {}").format(policy, name))
    _run(
        cursor,
        sql.SQL("CREATE POLICY {} ON {} USING ({}) WITH CHECK ({})").format(
            policy, name, sql.SQL(VISIBLE), sql.SQL(VISIBLE)
        ),
    )
    _run(
        cursor,
        sql.SQL("COMMENT ON POLICY {} ON {} IS {}").format(
            policy, name, sql.Literal(POLICY_VERSION)
        ),
    )


@checks.register(checks.Tags.database)
def check_application_role(app_configs=None, databases=None, **kwargs):
    """Check alize.W002 (with ``--database``, and before ``migrate``): the application's role
    is neither superuser nor BYPASSRLS and owns no table, or row-level security would not
    apply to it."""
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "postgresql":
        return []
    role = application_role()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper OR r.rolbypassrls,"
            " EXISTS (SELECT 1 FROM pg_class c WHERE c.relowner = r.oid AND c.relkind = 'r'"
            " AND c.relnamespace = current_schema()::regnamespace)"
            " FROM pg_roles r WHERE r.rolname = %s",
            [role],
        )
        row = cursor.fetchone()
    if row is None or not any(row):
        return []
    return [
        checks.Warning(
            f"The application's database role {role!r} bypasses row-level security "
            "(superuser, BYPASSRLS, or owner of the tables).",
            hint="Connect the application as a role that owns nothing (DATABASE_APP_USER) "
            "and keep DATABASE_URL for the owner.",
            id="alize.W002",
        )
    ]
