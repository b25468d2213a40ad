"""``pg_trgm`` and ``alize_search_text(text)``, the IMMUTABLE ``lower(unaccent(text))`` that
the search's trigram indexes are built on (``alize.search``).

``unaccent(text)`` itself is only STABLE (it reads its dictionary through the search path):
the function names the dictionary and the function by their schema, found where the
extension was installed, so its result never depends on the caller's search path."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

CREATE = """
DO $$
DECLARE home text := (
    SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'unaccent'
);
BEGIN
    EXECUTE format(
        'CREATE OR REPLACE FUNCTION alize_search_text(value text) RETURNS text '
        'LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE '
        'AS $body$ SELECT lower(%1$I.unaccent(%2$L::regdictionary, value)) $body$',
        home, home || '.unaccent'
    );
END
$$;
"""


class Migration(migrations.Migration):
    dependencies = [("alize", "0009_unaccent")]

    operations = [
        TrigramExtension(),
        migrations.RunSQL(CREATE, "DROP FUNCTION IF EXISTS alize_search_text(text)"),
    ]
