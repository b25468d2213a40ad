"""Free text across the whole database: where a person's name, e-mail or phone appears,
and replacing it (docs/personal-data.md, "Erasure").

The tables are read from the database itself (``connection.introspection``), not from the
models, so that the history tables, the outbox's payloads, the sent mails, the admin's log
and the tables of a future app are covered without being listed. Only text columns are
read (character, text and JSON); a character column too short to hold the shortest string
sought is skipped, and so is a generated column (a stored search column, alize.search), which
PostgreSQL recomputes from the columns rewritten. The tables of ``KEPT_TABLES`` are never rewritten.

Each search is one statement per table (a regular expression per column, case-insensitive,
on word boundaries): a full scan of the text columns. An erasure is rare and asked by a
person; the retention job erases its persons in batches so that a run scans each table once
per batch.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection
from psycopg import sql

from .registry import ERASED_TEXT, KEPT_TABLES

# A sought string shorter than this is not looked for in free text (it would match words
# that are not the person): a name that short stays only in the person's own fields, which
# the erasure replaces anyway.
MIN_LENGTH = 4
# PostgreSQL type oids: text, char, varchar; json and jsonb.
_TEXT_TYPES = {25: "", 1042: "", 1043: "", 114: "json", 3802: "jsonb"}


@dataclass(frozen=True)
class TextColumn:
    name: str
    json_type: str  # "json" or "jsonb" for a JSON column, "" for text
    max_length: int | None

    @property
    def is_json(self) -> bool:
        return bool(self.json_type)


def text_columns() -> dict[str, list[TextColumn]]:
    """Every table of the database with its text columns (views and kept tables left out)."""
    found: dict[str, list[TextColumn]] = {}
    introspection = connection.introspection
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, attname FROM pg_attribute"
            " WHERE attgenerated <> '' AND NOT attisdropped"
        )
        generated = set(cursor.fetchall())
        for table in introspection.get_table_list(cursor):
            if table.type != "t" or table.name in KEPT_TABLES:
                continue
            columns = []
            for column in introspection.get_table_description(cursor, table.name):
                if column.type_code not in _TEXT_TYPES or (table.name, column.name) in generated:
                    continue
                length = column.display_size if column.type_code in (1042, 1043) else None
                columns.append(TextColumn(column.name, _TEXT_TYPES[column.type_code], length))
            if columns:
                found[table.name] = columns
    return found


def sought(strings: Iterable[str]) -> list[str]:
    """The strings worth looking for: stripped, long enough, once each."""
    kept = {s.strip() for s in strings if s and len(s.strip()) >= MIN_LENGTH}
    return sorted(kept, key=len, reverse=True)


def pattern(strings: list[str]) -> str:
    """A PostgreSQL regular expression matching any of ``strings`` as a whole word (an
    alternative ends or starts on a word boundary where it ends or starts with a letter or
    digit), every other character taken literally."""
    parts = []
    for text in strings:
        escaped = "".join(ch if ch.isalnum() else "\\" + ch for ch in text)
        start = r"\m" if text[0].isalnum() else ""
        end = r"\M" if text[-1].isalnum() else ""
        parts.append(f"{start}{escaped}{end}")
    return "(" + "|".join(parts) + ")"


def _columns_for(columns: list[TextColumn], shortest: int) -> list[TextColumn]:
    return [c for c in columns if c.max_length is None or c.max_length >= shortest]


def _as_text(column: TextColumn) -> sql.Composable:
    ident = sql.Identifier(column.name)
    return sql.SQL("{}::text").format(ident) if column.is_json else ident


def mentions(strings: Iterable[str]) -> dict[str, list[dict]]:
    """The rows, per table, whose text mentions one of ``strings`` (as JSON objects)."""
    wanted = sought(strings)
    if not wanted:
        return {}
    regex = pattern(wanted)
    shortest = min(len(s) for s in wanted)
    found: dict[str, list[dict]] = {}
    with connection.cursor() as cursor:
        for table, columns in text_columns().items():
            usable = _columns_for(columns, shortest)
            if not usable:
                continue
            condition = sql.SQL(" OR ").join(
                sql.SQL("{} ~* %(regex)s").format(_as_text(column)) for column in usable
            )
            query = sql.SQL("SELECT row_to_json(t)::text FROM {} AS t WHERE {}").format(
                sql.Identifier(table), condition
            )
            cursor.execute(query, {"regex": regex})
            rows = [json.loads(row[0]) for row in cursor.fetchall()]
            if rows:
                found[table] = rows
    return found


def replace_mentions(strings: Iterable[str], replacement: str = ERASED_TEXT) -> dict[str, int]:
    """Replace every mention of ``strings`` in every text column of every table (kept
    tables aside) by ``replacement``; returns the rows rewritten per table."""
    wanted = sought(strings)
    if not wanted:
        return {}
    regex = pattern(wanted)
    shortest = min(len(s) for s in wanted)
    rewritten: dict[str, int] = {}
    with connection.cursor() as cursor:
        for table, columns in text_columns().items():
            usable = _columns_for(columns, shortest)
            if not usable:
                continue
            assignments = []
            for column in usable:
                replaced = sql.SQL("regexp_replace({}, %(regex)s, %(replacement)s, 'gi')").format(
                    _as_text(column)
                )
                if column.is_json:
                    replaced = sql.SQL("({})::{}").format(replaced, sql.SQL(column.json_type))
                assignments.append(
                    sql.SQL("{} = CASE WHEN {} ~* %(regex)s THEN {} ELSE {} END").format(
                        sql.Identifier(column.name),
                        _as_text(column),
                        replaced,
                        sql.Identifier(column.name),
                    )
                )
            condition = sql.SQL(" OR ").join(
                sql.SQL("{} ~* %(regex)s").format(_as_text(column)) for column in usable
            )
            query = sql.SQL("UPDATE {} SET {} WHERE {}").format(
                sql.Identifier(table), sql.SQL(", ").join(assignments), condition
            )
            cursor.execute(query, {"regex": regex, "replacement": _literal(replacement)})
            if cursor.rowcount:
                rewritten[table] = cursor.rowcount
    return rewritten


def _literal(replacement: str) -> str:
    """``regexp_replace`` reads ``\\`` and ``&`` escapes in its replacement: keep it plain."""
    return replacement.replace("\\", "\\\\")
