"""Production: secrets and hosts only from the environment, secure cookies and headers."""

import os

from alize.error_reporting import init_error_reporting
from alize.logs import logging_config

from .base import *  # noqa: F403

DEBUG = False
SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
ALLOWED_HOSTS = [h.strip() for h in os.environ.get("ALLOWED_HOSTS", "").split(",") if h.strip()]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

# The scheme header is trusted only behind the reverse proxy (compose sets BEHIND_PROXY=1 and
# publishes no port of the application server), never when clients reach gunicorn directly.
if os.environ.get("BEHIND_PROXY") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = os.environ.get("SECURE_SSL_REDIRECT", "1") == "1"
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 365
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_SECURE = True
X_FRAME_OPTIONS = "DENY"

# Outgoing e-mail through the SMTP relay named by the environment.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
# Unset and empty values (compose passes every variable) fall back to a local relay.
EMAIL_HOST = os.environ.get("EMAIL_HOST") or "localhost"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT") or "25")
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS") == "1"
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL") == "1"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL") or DEFAULT_FROM_EMAIL  # noqa: F405
SITE_URL = os.environ.get("SITE_URL") or SITE_URL  # noqa: F405
DEMO_MAILBOX_DIR = None

# Beat's heartbeat, which its container's health check reads (docker-compose.yml).
BEAT_HEARTBEAT_FILE = os.environ.get("ALIZE_BEAT_HEARTBEAT_FILE") or "/tmp/alize-beat.heartbeat"  # noqa: S108

# Logs: one JSON object a line (alize/logs.py); Celery keeps them instead of its own format.
LOG_FORMAT = os.environ.get("LOG_FORMAT") or "json"
LOGGING = logging_config(LOG_FORMAT)
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"

# Errors go to a Sentry-compatible service only when SENTRY_DSN is set, without personal data
# (alize/error_reporting.py).
if os.environ.get("SENTRY_DSN"):
    init_error_reporting(
        os.environ["SENTRY_DSN"],
        environment=os.environ.get("SENTRY_ENVIRONMENT", ""),
        release=os.environ.get("SENTRY_RELEASE", ""),
    )
