"""French order for names: accents and case do not count (« Électricité » sorts with E,
« Œuvres » with O, « zinc » with Z), in the database and in Python alike.

The database key is ``lower(unaccent(name))``: the embedded PostgreSQL of ``make run`` is
built without ICU (no ``CREATE COLLATION … provider = icu``) and databases are often created
with the ``C`` collation, where « É » sorts after « z ». The ``unaccent`` extension ships
with every PostgreSQL build; migration ``alize.0009_unaccent`` creates it. Lists sort text
columns with it (``alize.web.FilteredListView``), so their exports do too.
"""

from __future__ import annotations

import unicodedata

from django.db.models import CharField, Expression, F, Func, TextField
from django.db.models.functions import Lower

LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss"})


class Unaccent(Func):
    """PostgreSQL's ``unaccent(text)``: the text without its accents (``Œ`` → ``OE``)."""

    function = "unaccent"
    output_field = TextField()


def french_key(path: str | Expression) -> Expression:
    """The sort key of a text column in French order: ``lower(unaccent(path))``."""
    expression = F(path) if isinstance(path, str) else path
    return Lower(Unaccent(expression))


def french_order(path: str, *, descending: bool = False):
    """An ``order_by`` term sorting ``path`` in French order (nulls last either way)."""
    key = french_key(path)
    return key.desc(nulls_last=True) if descending else key.asc(nulls_last=True)


def is_text_path(model, path: str) -> bool:
    """Does ``path`` (``"project__company__name"``) end on a text column without choices
    (a name, a title), whose order a reader expects in French?"""
    field = None
    for part in path.split("__"):
        try:
            field = model._meta.get_field(part)
        except Exception:  # an annotation, or a transform
            return False
        model = field.related_model or model
    return isinstance(field, CharField | TextField) and not field.choices


def french_sort_key(text: str | None) -> str:
    """The same order in Python: ``sorted(names, key=french_sort_key)``."""
    folded = (text or "").casefold().translate(LIGATURES)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))
