"""What the loans models share: the cent and the zero of money columns."""

from __future__ import annotations

from decimal import Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class KeptByDatabase:
    """A model some of whose columns PostgreSQL keeps (triggers, migration loans 0014): a
    save of a row already in the table writes every other column, never those, so an
    instance read before a posting cannot put back the figure it read."""

    kept_by_database: tuple[str, ...] = ()

    def save(self, *args, **kwargs):
        if not self._state.adding and kwargs.get("update_fields") is None and not args:
            kwargs["update_fields"] = [
                field.name
                for field in self._meta.concrete_fields
                if not field.primary_key and field.name not in self.kept_by_database
            ]
        super().save(*args, **kwargs)
