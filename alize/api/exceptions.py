"""One error shape for the whole API.

Every error answers ``{"message": str, "code": str, "fields": {field: [messages]},
"extra": {...}}``: 400, 401, 403, 404, 405, 409, 415, 429 alike. ``fields`` names the
fields at fault (``non_field_errors`` for the rest) and ``extra`` carries an
``ApplicationError``'s structured details."""

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from alize.errors import (
    ApplicationError,
    ConflictError,
    TooManyRequests,
    service_error_messages,
)

NON_FIELD_KEY = api_settings.NON_FIELD_ERRORS_KEY
UNIQUE_VIOLATION = "23505"


def error_body(*, message: str, code: str, fields: dict | None = None, extra: dict | None = None):
    """The body of every API error."""
    return {
        "message": str(message),
        "code": str(code),
        "fields": fields or {},
        "extra": extra or {},
    }


def exception_handler(exc, context):
    """Render application, Django and DRF errors in the one error shape. Every error
    response rolls the request's transaction back (``ATOMIC_REQUESTS``)."""
    if isinstance(exc, IntegrityError) and _is_unique_violation(exc):
        # A write that lost a race past the services' checks: the caller may retry.
        exc = ConflictError(_("Cette donnée vient d'être enregistrée par une autre requête."))
    if isinstance(exc, ApplicationError):
        set_rollback()
        return Response(
            error_body(
                message=exc.message,
                code=exc.code,
                fields=_keyed(service_error_messages(exc)),
                extra=exc.extra,
            ),
            status=exc.status_code,
            headers=(
                {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooManyRequests) else None
            ),
        )
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_keyed(service_error_messages(exc)))
    elif isinstance(exc, DjangoPermissionDenied | Http404):
        # Out of scope and missing look the same, without naming the model.
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        every = [message for messages in fields.values() for message in messages]
        message = every[0] if len(every) == 1 else _("Données invalides.")
        response.data = error_body(message=message, code="invalid", fields=fields)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        code = str(getattr(detail, "code", None) or getattr(exc, "default_code", "error"))
        response.data = error_body(message=str(detail), code=code)
    return response


def _is_unique_violation(exc: IntegrityError) -> bool:
    return getattr(exc.__cause__, "sqlstate", None) == UNIQUE_VIOLATION


def _keyed(messages: dict) -> dict:
    return {(name or NON_FIELD_KEY): list(values) for name, values in messages.items()}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as ``{"field": [...], "items.0.amount": [...]}``."""
    key = prefix or NON_FIELD_KEY
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for name, value in detail.items():
            name = NON_FIELD_KEY if name == NON_FIELD_ERRORS else str(name)
            child = name if not prefix or name == NON_FIELD_KEY else f"{prefix}.{name}"
            for field, messages in _flatten(value, child).items():
                out.setdefault(field, []).extend(messages)
        return out
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {key: [str(item) for item in detail]}
        out = {}
        for index, value in enumerate(detail):
            child = f"{prefix}.{index}" if prefix else str(index)
            for field, messages in _flatten(value, child).items():
                out.setdefault(field, []).extend(messages)
        return out
    return {key: [str(detail)]}
