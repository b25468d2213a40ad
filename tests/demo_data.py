"""The demo data in tests: seeded once for a module inside a transaction rolled back when the
module ends (``rolled_back_demo``), for every demo dispositif or only some (``demo_of``).

Seeding through the real services is what makes the demo trustworthy, and what makes it
slow (about a minute and a half for the ten dispositifs): a module seeds only the
dispositifs its tests read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from io import StringIO

from django.core.management import call_command
from django.db import connection, transaction

from dispositifs.demo import DISPOSITIFS
from tests.clock import before_the_tests


@contextmanager
def demo_of(slugs) -> Iterator[None]:
    """The demo seeders, which go through ``DISPOSITIFS``, seed only these dispositifs."""
    every = list(DISPOSITIFS)
    DISPOSITIFS[:] = [spec for spec in every if spec.slug in slugs]
    try:
        yield
    finally:
        DISPOSITIFS[:] = every


@contextmanager
def rolled_back_demo(django_db_blocker, slugs=None) -> Iterator[None]:
    """``seed_demo`` on the tests' day (the demo dates itself from today) in a transaction
    rolled back at the end; each test then runs in its own savepoint on top of it.

    The checks PostgreSQL defers to the end of a transaction (each journal transaction
    balances) are run once, right after the seed: left pending in the outer transaction,
    they would run again at the end of every test, whose savepoint rollback puts them back
    (about ten seconds a test for the whole demo)."""
    from tests.conftest import ensure_reference_data

    with django_db_blocker.unblock():
        ensure_reference_data()
        block = transaction.atomic()
        block.__enter__()
        try:
            with before_the_tests(), demo_of(slugs) if slugs else nullcontext():
                call_command("seed_demo", stdout=StringIO())
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            yield
        finally:
            transaction.set_rollback(True)
            block.__exit__(None, None, None)
