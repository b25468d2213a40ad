"""Local development (`make run`): debug off unless DEBUG=1, demo-friendly defaults.

A `manage.py` command typed by hand reaches the servers that the local stack started: their
URLs are read from `.local/stack.json` when `DATABASE_URL` / `REDIS_URL` are not set (the
environment always wins), and so is the port of its SMTP server, which keeps every mail in
`.local/mail/` (read on /mailbox/).
"""

import json
import os
from pathlib import Path


def stack_state(local_dir: Path) -> dict:
    """What the local stack recorded in ``stack.json`` (empty when it never ran)."""
    try:
        state = json.loads((local_dir / "stack.json").read_text())
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}


def stack_urls(local_dir: Path) -> dict[str, str]:
    """DATABASE_URL and REDIS_URL of the embedded servers recorded by the local stack."""
    state = stack_state(local_dir)
    urls = {}
    postgres_url = (state.get("postgres") or {}).get("url")
    if postgres_url:
        urls["DATABASE_URL"] = postgres_url
    redis_port = (state.get("redis") or {}).get("port")
    if redis_port:
        urls["REDIS_URL"] = f"redis://127.0.0.1:{int(redis_port)}/0"
    return urls


_LOCAL_DIR = os.environ.get("ALIZE_LOCAL_DIR") or Path(__file__).resolve().parents[2] / ".local"
for _key, _value in stack_urls(Path(_LOCAL_DIR)).items():
    os.environ.setdefault(_key, _value)

from .base import *  # noqa: E402, F403
from .storage import file_storages  # noqa: E402

DEBUG = os.environ.get("DEBUG") == "1"

# Plain static storage: the compressed manifest (production) takes a minute to build for
# nothing here. WhiteNoise serves the source folders too, with DEBUG on or off.
STORAGES = {
    # Documents of this local state (a second stack's live in its own ALIZE_LOCAL_DIR).
    **file_storages(os.environ.get("DOCUMENTS_ROOT", str(Path(_LOCAL_DIR) / "documents"))),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# E-mail goes to the local SMTP server of the stack, which keeps every message in
# .local/mail/ (one .eml file each), readable on /mailbox/. Without a running stack, mails
# are printed on the console.
DEMO_MAILBOX_DIR = Path(_LOCAL_DIR) / "mail"
_mail_port = (stack_state(Path(_LOCAL_DIR)).get("mail") or {}).get("port")
if _mail_port:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(_mail_port)

# The demo logins go straight in; `make run` with SECOND_FACTOR_ROLES=coordinator,animateur
# shows the second factor's enrolment and verification.
SECOND_FACTOR_ROLES = [
    role.strip()
    for role in os.environ.get("SECOND_FACTOR_ROLES", "").split(",")
    if role.strip() and role.strip() != "none"
]

# Links in e-mails lead to this stack's own port (`make run PORT=…`), unless SITE_URL says.
SITE_URL = os.environ.get("SITE_URL") or f"http://127.0.0.1:{os.environ.get('PORT') or 8000}"

# The stack tests (tests/ops) slow each step of a document build and of its mailing down
# (seconds), so that they can kill a worker in the middle of one.
REPORTING_STEP_PAUSE = float(os.environ.get("REPORTING_STEP_PAUSE", "0"))
