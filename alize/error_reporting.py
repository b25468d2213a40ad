"""Error reporting to a Sentry-compatible service (Sentry, GlitchTip…), only when
``SENTRY_DSN`` is set: none by default.

No personal data leaves: ``send_default_pii=False`` (no user names, e-mails, IPs, cookies
or request bodies from the SDK), no local variables in stack frames, and ``scrub_event``
drops what could still carry some before anything is sent: the request's body, cookies,
query string and headers (but its id), the user but their id, breadcrumbs' data, and any
e-mail address left in a message or an exception's text.
"""

from __future__ import annotations

import re
from typing import Any

from alize.logs import current_request_id

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
KEPT_HEADERS = {"content-type", "content-length", "x-request-id"}


def _redact(text: Any) -> Any:
    return EMAIL.sub("[adresse]", text) if isinstance(text, str) else text


def scrub_event(event: Any, hint: Any = None) -> Any:
    """``before_send``: the event without personal data (see the module's docstring)."""
    user = event.get("user") or {}
    event["user"] = {"id": user["id"]} if user.get("id") is not None else {}
    request = event.get("request")
    if request:
        for key in ("data", "cookies", "query_string", "env"):
            request.pop(key, None)
        headers = request.get("headers") or {}
        request["headers"] = {k: v for k, v in headers.items() if k.lower() in KEPT_HEADERS}
        if "url" in request:
            request["url"] = str(request["url"]).split("?", 1)[0]
    for crumb in (event.get("breadcrumbs") or {}).get("values", []):
        crumb.pop("data", None)
        crumb["message"] = _redact(crumb.get("message"))
    if "message" in event:
        event["message"] = _redact(event["message"])
    logentry = event.get("logentry")
    if logentry:
        logentry["message"] = _redact(logentry.get("message"))
        logentry.pop("params", None)
        logentry["formatted"] = _redact(logentry.get("formatted"))
    for exception in (event.get("exception") or {}).get("values", []):
        exception["value"] = _redact(exception.get("value"))
        for frame in (exception.get("stacktrace") or {}).get("frames", []):
            frame.pop("vars", None)
    event.pop("extra", None)
    return event


def before_send(event: Any, hint: Any = None) -> Any:
    """The event scrubbed (``scrub_event``), tagged with the id of the request (or of the
    request behind the job) it happened in, which its log lines carry too."""
    event = scrub_event(event, hint)
    request_id = current_request_id()
    if request_id:
        event.setdefault("tags", {})["request_id"] = request_id
    return event


def init_error_reporting(dsn: str, *, environment: str = "", release: str = "") -> None:
    """Report errors of the web, the workers and beat to ``dsn``."""
    import sentry_sdk  # noqa: PLC0415 - only where a DSN is set
    from sentry_sdk.integrations.celery import CeleryIntegration  # noqa: PLC0415
    from sentry_sdk.integrations.django import DjangoIntegration  # noqa: PLC0415

    sentry_sdk.init(
        dsn=dsn,
        environment=environment or None,
        release=release or None,
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=before_send,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        traces_sample_rate=0,
    )
