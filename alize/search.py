"""Free-text search that accents and case do not change.

One expression, ``alize_search_text(column)`` (``lower(unaccent(column))`` in an IMMUTABLE
SQL function, created by migration ``alize.0010_search_text``, so that an index can be built
on it), and one lookup, ``column__contains_text=value``: the normalised column contains the
normalised value (« Société » is found by ``societe`` and ``SOCIETE``). Every list's ``?q``
(``alize.filters.SearchFilterSet``), on the web and in the API, goes through it.

The searched columns of the global lists (organisations, experts) carry a GIN ``gin_trgm_ops``
index on that expression (``search_index``), which serves ``LIKE '%…%'`` with a bitmap index
scan. The tenant tables (companies, projects) carry none: under their forced row-level
security (docs/decisions/0007) PostgreSQL evaluates the policy before any condition whose
operator is not LEAKPROOF, and no trigram operator is, so the application's role could never
use such an index; only a superuser can declare an operator LEAKPROOF.
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models import CharField, Func, Lookup, TextField

FUNCTION = "alize_search_text"


class SearchText(Func):
    """``alize_search_text(expression)``: the text without accents, in lower case."""

    function = FUNCTION
    output_field = TextField()


@CharField.register_lookup
@TextField.register_lookup
class ContainsText(Lookup):
    """``field__contains_text=value``: the normalised column contains the normalised value.

    The pattern is normalised by the same database function, a constant the planner folds
    before it chooses the trigram index; ``%``, ``_`` and ``\\`` typed by the user are matched
    as themselves."""

    lookup_name = "contains_text"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(SearchText(self.lhs))
        value = connection.ops.prep_for_like_query(str(self.rhs))
        return f"{column} LIKE '%%' || {FUNCTION}(%s) || '%%'", [*column_params, value]


def search_index(column: str, *, name: str) -> GinIndex:
    """The trigram index that serves ``column__contains_text``."""
    return GinIndex(OpClass(SearchText(column), name="gin_trgm_ops"), name=name)
