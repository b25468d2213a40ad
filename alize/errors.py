"""The one application error raised by services, and its rendering on browser forms.

The API renders the same errors through ``alize.api.exceptions``."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.core.exceptions import ValidationError as DjangoValidationError


class ApplicationError(Exception):
    """A refused business operation, with an optional field it concerns.

    ``code`` names the refusal for API clients; ``extra`` carries structured details that
    reach them unchanged."""

    status_code = 400
    default_code = "invalid"

    def __init__(
        self,
        message,
        *,
        field: str | None = None,
        code: str | None = None,
        extra: dict | None = None,
    ):
        super().__init__(message)
        self.message = str(message)
        self.field = field
        self.code = code or self.default_code
        self.extra = extra or {}

    def field_errors(self) -> dict:
        return {self.field or NON_FIELD_ERRORS: [self.message]}


class ConflictError(ApplicationError):
    """A write that lost a race with another one on the same rows (HTTP 409)."""

    status_code = 409
    default_code = "conflict"


class TooManyRequests(ApplicationError):
    """A refusal until something in progress is over (HTTP 429); ``retry_after`` says in
    how many seconds to try again (the ``Retry-After`` header)."""

    status_code = 429
    default_code = "throttled"

    def __init__(self, message, *, retry_after: int, **kwargs):
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


# What a service raises to refuse an operation; views catch it only through
# ``alize.web.ServiceCall``.
SERVICE_ERRORS = (DjangoValidationError, ApplicationError)


def service_error_messages(error: Exception) -> dict[str | None, list[str]]:
    """The messages of a service refusal by field name (``None`` for the whole form)."""
    if isinstance(error, ApplicationError):
        return {error.field or None: [error.message]}
    if isinstance(error, DjangoValidationError) and hasattr(error, "error_dict"):
        return {
            (None if name == NON_FIELD_ERRORS else name): [str(m) for m in messages]
            for name, messages in error.message_dict.items()
        }
    if isinstance(error, DjangoValidationError):
        return {None: [str(m) for m in error.messages]}
    raise TypeError(f"not a service error: {error!r}")


def service_error_text(error: Exception) -> str:
    """A service refusal as one sentence, for a page message rather than a form."""
    return " ".join(m for messages in service_error_messages(error).values() for m in messages)


def apply_service_error(form, error: Exception) -> None:
    """Copy a service refusal onto a form: on its field when the form has that field,
    otherwise as a non-field error, so no message is lost."""
    for name, messages in service_error_messages(error).items():
        target = name if name in form.fields else None
        for message in messages:
            form.add_error(target, message)
