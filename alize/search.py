"""Free-text search that accents and case do not change.

One expression, ``alize_search_text(column)`` (``lower(unaccent(column))`` in an IMMUTABLE
SQL function, created by migration ``alize.0010_search_text``, so that an index can be built
on it), and one lookup, ``column__contains_text=value``: the normalised column contains the
normalised value (« Société » is found by ``societe`` and ``SOCIETE``). Every list's ``?q``
(``alize.filters.SearchFilterSet``), on the web and in the API, goes through it.

Two kinds of searched column:

- **A stored search column** (``search_text_field``): a generated column holding
  ``alize_search_text`` of a row's searched fields, which PostgreSQL recomputes on every
  write (the tenant tables: companies, projects). A search reads it as it is, with the
  operator ``~~~`` (migration ``alize.0011_search_operator``): the LIKE of PostgreSQL
  declared LEAKPROOF and served by the operator class ``alize_trgm_ops``, so that the
  application's role, under forced row-level security (docs/decisions/0007), may answer
  it from the column's trigram index (docs/decisions/0020). Where the migrating role was
  not a superuser, ``~~~`` is the plain LIKE (a SQL function PostgreSQL inlines) and the
  index is a ``gin_trgm_ops`` one that row-level security keeps unused.
- **Any other text column**: the lookup normalises it at query time; the global lists'
  columns (organisations, experts) carry a GIN ``gin_trgm_ops`` index on that expression
  (``search_index``), which serves ``LIKE '%…%'`` (these tables have no row-level security).
"""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db.models import (
    BooleanField,
    CharField,
    Expression,
    F,
    ForeignKey,
    Func,
    GeneratedField,
    Lookup,
    Q,
    Subquery,
    TextField,
    Value,
)
from django.db.models.functions import Concat

FUNCTION = "alize_search_text"
# The LEAKPROOF LIKE of migration alize.0011_search_operator and its GIN operator class.
OPERATOR = "~~~"
OPERATOR_CLASS = "alize_trgm_ops"


class SearchText(Func):
    """``alize_search_text(expression)``: the text without accents, in lower case."""

    function = FUNCTION
    output_field = TextField()


class SearchTextField(TextField):
    """The output field of a stored search column: its values are already normalised."""


def search_text_field(*fields: str) -> GeneratedField:
    """A stored column holding ``alize_search_text`` of ``fields`` (non-null text columns)
    joined by spaces, recomputed by PostgreSQL whenever the row is written."""
    parts: list = []
    for field in fields:
        parts += [Value(" "), F(field)] if parts else [F(field)]
    return GeneratedField(
        expression=SearchText(
            Concat(*parts, output_field=TextField()) if len(parts) > 1 else parts[0]
        ),
        output_field=SearchTextField(),
        db_persist=True,
        editable=False,
    )


@CharField.register_lookup
@TextField.register_lookup
class ContainsText(Lookup):
    """``field__contains_text=value``: the normalised column contains the normalised value.

    The pattern is normalised by the same database function, a constant the planner folds
    before it chooses the trigram index; ``%``, ``_`` and ``\\`` typed by the user are matched
    as themselves. A stored search column is compared as it is, with ``~~~``."""

    lookup_name = "contains_text"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        value = connection.ops.prep_for_like_query(str(self.rhs))
        pattern = f"('%%' || {FUNCTION}(%s) || '%%')"
        if isinstance(self.lhs.output_field, SearchTextField):
            column, column_params = compiler.compile(self.lhs)
            return f"{column} {OPERATOR} {pattern}", [*column_params, value]
        column, column_params = compiler.compile(SearchText(self.lhs))
        return f"{column} LIKE {pattern}", [*column_params, value]


class AnyOf(Expression):
    """``column = ANY(ARRAY(subquery))``: a condition an index of ``column`` may answer, in
    a BitmapOr with the row's own search column (the subquery runs once, as an InitPlan)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, column: str, queryset):
        super().__init__()
        self.column, self.subquery = F(column), Subquery(queryset)

    def get_source_expressions(self):
        return [self.column, self.subquery]

    def set_source_expressions(self, exprs):
        self.column, self.subquery = exprs

    def as_sql(self, compiler, connection):
        column, column_params = compiler.compile(self.column)
        subquery, subquery_params = compiler.compile(self.subquery)
        return f"{column} = ANY(ARRAY{subquery})", (*column_params, *subquery_params)


def search_condition(model, path: str, value: str) -> Q:
    """``path__contains_text=value`` on ``model``; where ``path`` is a foreign key's stored
    search column (``company__search_text``), the keys of the related rows that match
    instead of a join, so that both tables' trigram indexes serve an OR-ed search."""
    relation, _, column = path.rpartition("__")
    if relation and "__" not in relation:
        field = next((f for f in model._meta.concrete_fields if f.name == relation), None)
        if isinstance(field, ForeignKey):
            related = field.related_model
            target = related._meta.get_field(column)
            if isinstance(getattr(target, "output_field", None), SearchTextField):
                matching = (
                    related._default_manager.filter(**{f"{column}__contains_text": value})
                    .order_by()
                    .values("pk")
                )
                return Q(AnyOf(field.attname, matching))
    return Q(**{f"{path}__contains_text": value})


def search_index(column: str, *, name: str) -> GinIndex:
    """The trigram index that serves ``column__contains_text`` on a column normalised at
    query time."""
    return GinIndex(OpClass(SearchText(column), name="gin_trgm_ops"), name=name)


def create_search_text_index(schema_editor, table: str, column: str, name: str) -> None:
    """The trigram index of a stored search column (in a migration): of ``alize_trgm_ops``
    where migration ``alize.0011_search_operator`` could create it, else ``gin_trgm_ops``."""
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_opclass WHERE opcname = %s", [OPERATOR_CLASS])
        operator_class = OPERATOR_CLASS if cursor.fetchone() else "gin_trgm_ops"
    quote = schema_editor.quote_name
    schema_editor.execute(
        f"CREATE INDEX {quote(name)} ON {quote(table)} USING gin ({quote(column)} {operator_class})"
    )
