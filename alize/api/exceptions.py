"""One error shape for the whole API: ``{"errors": {field: [messages]}, "detail": …}``."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from alize.errors import ApplicationError


def exception_handler(exc, context):
    """Turn Django and application errors into DRF errors with field names."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(_django_errors(exc))
    elif isinstance(exc, ApplicationError):
        return Response(
            {"detail": exc.message, "errors": exc.field_errors()},
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.ValidationError):
        data = response.data
        if isinstance(data, list):
            data = {"non_field_errors": data}
        response.data = {"detail": "Invalid input.", "errors": data}
    return response


def _django_errors(exc: DjangoValidationError):
    if hasattr(exc, "error_dict"):
        return {
            field: [str(m) for e in errors for m in e.messages]
            for field, errors in exc.error_dict.items()
        }
    return {"non_field_errors": [str(m) for m in exc.messages]}
