"""The operator ``~~~`` that a stored search column is compared with (alize.search,
docs/decisions/0020).

Where the migrating role is a superuser (the embedded PostgreSQL of development, the tests
and the CI, the compose stack's owner), ``~~~`` is PostgreSQL's own LIKE (the C function
``textlike``) declared LEAKPROOF, and the GIN operator class ``alize_trgm_ops`` serves it with
pg_trgm's support functions, at pg_trgm's LIKE strategy: a condition the application's role
may have answered from a trigram index under row-level security. Elsewhere (only a superuser
may declare a function LEAKPROOF or create an operator class), ``~~~`` is the plain LIKE, a
SQL function PostgreSQL inlines, and a log line says so: searches give the same rows, the
tenant tables without their index."""

import logging

from django.db import migrations

logger = logging.getLogger("alize.migrations")

LEAKPROOF = """
CREATE FUNCTION alize_like(text, text) RETURNS boolean
    AS 'textlike' LANGUAGE internal IMMUTABLE STRICT LEAKPROOF PARALLEL SAFE;
CREATE OPERATOR ~~~ (
    FUNCTION = alize_like, LEFTARG = text, RIGHTARG = text,
    RESTRICT = likesel, JOIN = likejoinsel
);
CREATE OPERATOR CLASS alize_trgm_ops FOR TYPE text USING gin AS
    OPERATOR 3 ~~~ (text, text),
    FUNCTION 1 btint4cmp(integer, integer),
    FUNCTION 2 gin_extract_value_trgm(text, internal),
    FUNCTION 3 gin_extract_query_trgm(text, internal, smallint, internal, internal, internal,
                                      internal),
    FUNCTION 4 gin_trgm_consistent(internal, smallint, text, integer, internal, internal,
                                   internal, internal),
    FUNCTION 6 gin_trgm_triconsistent(internal, smallint, text, integer, internal, internal,
                                      internal),
    STORAGE integer;
"""

PLAIN = """
CREATE FUNCTION alize_like(text, text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS 'SELECT $1 LIKE $2';
CREATE OPERATOR ~~~ (
    FUNCTION = alize_like, LEFTARG = text, RIGHTARG = text,
    RESTRICT = likesel, JOIN = likejoinsel
);
"""

DROP = """
DROP OPERATOR CLASS IF EXISTS alize_trgm_ops USING gin;
DROP OPERATOR FAMILY IF EXISTS alize_trgm_ops USING gin;
DROP OPERATOR IF EXISTS ~~~ (text, text);
DROP FUNCTION IF EXISTS alize_like(text, text);
"""


def create(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cursor.fetchone()[0]
        # The SQL above holds no parameter: psycopg is given none, so ``%`` is not special.
        cursor.execute(LEAKPROOF if superuser else PLAIN)
    if not superuser:
        logger.warning(
            "alize.0011: the migrating role is not a superuser; the search operator ~~~ is "
            "the plain LIKE and the tenant tables' search indexes stay unused under "
            "row-level security (docs/decisions/0020)."
        )


def drop(apps, schema_editor):
    schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("alize", "0010_search_text")]

    operations = [migrations.RunPython(create, drop)]
