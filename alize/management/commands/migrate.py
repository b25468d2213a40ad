"""Django's ``migrate``, run as the owner of the tables.

The application's role owns nothing (docs/decisions/0007-row-level-security.md): schema
changes, data migrations and the grants and row-level security policies applied after them
(``alize.row_security.secure_tenant_tables``) need the owner, whose session declares every
dispositif.
"""

from django.core.management.commands.migrate import Command as DjangoMigrateCommand
from django.db import DEFAULT_DB_ALIAS

from alize.row_security import as_owner


class Command(DjangoMigrateCommand):
    """``migrate`` on a connection opened as the owner (``DATABASE_URL``'s role)."""

    def execute(self, *args, **options):
        with as_owner(options.get("database") or DEFAULT_DB_ALIAS):
            return super().execute(*args, **options)
