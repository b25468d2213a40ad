"""Idempotent writes: one key makes one result, however often and however concurrently it
is sent. The one implementation, for the API's ``Idempotency-Key`` and the web forms'
hidden keys alike.

``run_once`` claims the caller's key for an operation in a dispositif by inserting an
``IdempotencyRecord`` with the fingerprint of the normalised payload (``fingerprint``), then
runs the write and keeps the id of what it made. Sent again:

- with the same payload, the first result is returned (the same row) and nothing is done;
- with another payload, ``ConflictError`` (409, code ``idempotency_key_reused``) is raised,
  describing the first result, and nothing is done.

Concurrency rests on the record's unique index: ``INSERT … ON CONFLICT DO NOTHING`` makes a
second request with the same key wait until the first one commits (or rolls back), then
replay it (or take the key over). The claim and the write run in one savepoint, so a
refused write gives its key back and a write never exists without its record.

Why one table rather than a fingerprint column on each keyed model: the key belongs to the
request, not to the row it makes. An operation that makes several rows (a bank statement
import), or a row that is not new (a document already built for the same request), is keyed
the same way with no column on its models; the race protocol is written once, before any
work is done, instead of depending on where each model's insert falls in its service.

E-mail is the exception, on purpose: ``alize.mail.send_once`` must keep its claim when the
caller's transaction rolls back (the message has left), so it commits its claim apart.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.errors import ApplicationError, ConflictError
from alize.models import IdempotencyRecord
from alize.tenancy import check_tenant_write

IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
KEY_MAX_LENGTH = 128

M = TypeVar("M", bound=models.Model)


def clean_key(key: str | None, *, field: str = "idempotency_key", message: str = "") -> str:
    """The caller's key without surrounding spaces; refused (naming ``field``) when empty or
    longer than 128 characters."""
    key = (key or "").strip()
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ApplicationError(
            message or _("Une clé d'idempotence (1 à 128 caractères) est requise."), field=field
        )
    return key


def fingerprint(payload: Mapping[str, Any]) -> str:
    """A stable hash of a payload: rows count by their id, numbers by their value (``1000``
    and ``1000.00`` are the same amount), dates in ISO form, text without surrounding spaces,
    keys in any order. Floats are refused: amounts are ``Decimal``."""
    text = json.dumps(
        _normalised(payload), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(text.encode()).hexdigest()


def run_once(
    *,
    operation: str,
    dispositif_id: int,
    key: str,
    payload: Mapping[str, Any],
    model: type[M],
    create: Callable[[], M],
    describe: Callable[[M], tuple[str, dict]] | None = None,
    field: str | None = "idempotency_key",
) -> tuple[M, bool]:
    """Run ``create`` once per ``key`` for ``operation`` in the dispositif (see the module);
    returns the result and whether this call made it.

    ``key`` comes from ``clean_key``; ``model`` is the type ``create`` returns, read back on
    a replay. ``describe(first)`` gives the message and details of the 409 (default: a
    generic message and the first result's id); ``field`` is the field it names, or
    ``None`` for the whole form."""
    if not key or len(key) > KEY_MAX_LENGTH:
        raise ValueError("run_once needs a key cleaned by clean_key().")
    claim = IdempotencyRecord(
        dispositif_id=dispositif_id,
        operation=operation,
        key=key,
        fingerprint=fingerprint(payload),
        created_at=timezone.now(),
    )
    with transaction.atomic():
        claimed = _claim(claim)
        if claimed is None:
            return _replay(claim, model, describe, field), False
        result = create()
        IdempotencyRecord.objects.filter(pk=claimed).update(result_id=result.pk)
        return result, True


def _claim(claim: IdempotencyRecord) -> int | None:
    """Insert the record unless its key is taken (waiting for a concurrent claimer to
    finish); returns its id, or None when the key was already claimed."""
    check_tenant_write(claim)
    table = connection.ops.quote_name(IdempotencyRecord._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} "  # noqa: S608 - the table name is the model's own
            "(dispositif_id, operation, key, fingerprint, created_at) VALUES (%s, %s, %s, %s, %s)"
            " ON CONFLICT (dispositif_id, operation, key) DO NOTHING RETURNING id",
            [claim.dispositif_id, claim.operation, claim.key, claim.fingerprint, claim.created_at],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _replay(claim: IdempotencyRecord, model: type[M], describe, field: str | None) -> M:
    """The first result of a claimed key, or the 409 when the payload differs (or the
    result no longer exists)."""
    record = IdempotencyRecord.objects.get(
        dispositif_id=claim.dispositif_id, operation=claim.operation, key=claim.key
    )
    first = None
    if record.result_id is not None:
        first = model._default_manager.filter(pk=record.result_id).first()
    if first is not None and record.fingerprint == claim.fingerprint:
        return first
    if first is not None and describe is not None:
        message, extra = describe(first)
    else:
        message = _(
            "Cette clé d'idempotence a déjà servi pour une autre demande : "
            "utilisez une nouvelle clé."
        )
        extra = {"id": record.result_id}
    raise ConflictError(message, field=field, code=IDEMPOTENCY_KEY_REUSED, extra=extra)


def _normalised(value):
    if isinstance(value, models.Model):
        return _normalised(value.pk)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | Decimal):
        return _number(Decimal(value))
    if isinstance(value, float):
        raise TypeError("A payload holds Decimal amounts, never floats.")
    if isinstance(value, dt.datetime):
        return (value.astimezone(dt.UTC) if timezone.is_aware(value) else value).isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, str):
        return str(value).strip()
    if isinstance(value, Mapping):
        return {str(name): _normalised(item) for name, item in value.items()}
    if isinstance(value, list | tuple):
        return [_normalised(item) for item in value]
    raise TypeError(f"Cannot fingerprint a {type(value).__name__}.")


def _number(value: Decimal) -> str:
    if not value.is_finite():
        raise ValueError("A payload holds finite numbers only.")
    return "0" if value == 0 else format(value.normalize(), "f")
