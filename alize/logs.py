"""Structured logs: every line knows the request (or job) it belongs to.

A request gets an id (``X-Request-ID`` from the proxy when it sends a sane one, else a new
one), answered in its ``X-Request-ID`` header. The id, the signed-in user's id and the
dispositif of the active tenancy scope go into every log record (``LogContextFilter``);
the job outbox records the id with each job the request queues and sends it with the
message (``alize.jobs``), so the job's own log lines carry it too (``alize.tasks``).
Production writes one JSON object a line (``JsonFormatter``, ``LOG_FORMAT=json``).
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from datetime import UTC, datetime

_request_id: ContextVar[str] = ContextVar("alize_request_id", default="")
_user_id: ContextVar[int | None] = ContextVar("alize_user_id", default=None)
_job_id: ContextVar[str] = ContextVar("alize_log_job_id", default="")

SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")
HEADER = "X-Request-ID"


def current_request_id() -> str:
    """The id of the request (or of the request behind the job) being served, or ""."""
    return _request_id.get()


def new_request_id() -> str:
    return uuid.uuid4().hex


@contextlib.contextmanager
def log_context(
    *, request_id: str = "", user_id: int | None = None, job_id: str = ""
) -> Iterator[None]:
    """Inside, log records carry these ids."""
    tokens = (_request_id.set(request_id), _user_id.set(user_id), _job_id.set(job_id))
    try:
        yield
    finally:
        _job_id.reset(tokens[2])
        _user_id.reset(tokens[1])
        _request_id.reset(tokens[0])


class RequestContextMiddleware:
    """Gives the request its id (kept from a sane ``X-Request-ID``), puts it and the user's
    id in the log context for the request, and answers the id in ``X-Request-ID``."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        given = request.headers.get(HEADER, "")
        request_id = given if SANE_REQUEST_ID.match(given) else new_request_id()
        request.request_id = request_id
        user = getattr(request, "user", None)
        user_id = user.pk if user is not None and user.is_authenticated else None
        with log_context(request_id=request_id, user_id=user_id):
            response = self.get_response(request)
        response[HEADER] = request_id
        return response


def scope_label() -> str | None:
    """The dispositif of the active scope: its id, "*" for every one, ids joined by commas
    for a few, None outside any scope."""
    from alize.tenancy import active_scope  # noqa: PLC0415 - logging is set up before the apps

    scope = active_scope()
    if scope is None:
        return None
    if scope.everything:
        return "*"
    return ",".join(str(pk) for pk in sorted(scope.dispositif_ids)) or None


class LogContextFilter(logging.Filter):
    """Adds ``request_id``, ``user_id``, ``dispositif`` and ``job_id`` to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or None
        record.user_id = _user_id.get()
        record.dispositif = scope_label()
        record.job_id = _job_id.get() or None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, the context's ids and,
    with an exception, its traceback."""

    FIELDS = ("request_id", "user_id", "dispositif", "job_id")

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in self.FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def logging_config(log_format: str, level: str = "INFO") -> dict:
    """The ``LOGGING`` setting: JSON lines with the context (``json``), or the bare
    messages (``text``, `make run` and the tests)."""
    formatter = (
        {"()": "alize.logs.JsonFormatter"} if log_format == "json" else {"format": "%(message)s"}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "alize.logs.LogContextFilter"}},
        "formatters": {"platform": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "filters": ["context"],
                "formatter": "platform",
            }
        },
        "root": {"handlers": ["console"], "level": level},
        "loggers": {
            "django.db.backends": {"level": "WARNING"},
            # WeasyPrint reports every step of every PDF at INFO.
            "weasyprint": {"level": "WARNING"},
            "fontTools": {"level": "WARNING"},
        },
    }
