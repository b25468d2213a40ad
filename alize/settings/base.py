"""Settings shared by every environment; the environment modules override a few of them."""

import json
import os
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE
from django.utils.translation import gettext_lazy as _

from alize.logs import logging_config

from .storage import file_storages

BASE_DIR = Path(__file__).resolve().parent.parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "alize-local-development-key-not-for-production")
DEBUG = False
ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Trigram index expressions (OpClass) for the search (alize.search).
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "csp",
    "simple_history",
    "django_celery_beat",
    # The second factor: TOTP devices (alize.accounts.second_factor).
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_prometheus",
    # The project's apps, in layer order (docs/architecture.md §2): core, directory, tenant,
    # pipeline, committees, then missions and loans, then reporting. Panels and menu entries
    # register in this order.
    "alize",
    "alize.accounts",
    "partners",
    "dispositifs",
    "pme",
    "committees",
    "missions",
    "loans",
    "reporting",
]

MIDDLEWARE = [
    # Token requests under /api/ take API_MIDDLEWARE instead of what follows.
    "alize.api.middleware.ApiBranchMiddleware",
    # Requests and their latencies, for /metrics/ (alize/metrics.py): first and last.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "alize.middleware.RejectNulBytesMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "alize.cache_control.PrivateCacheControlMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "alize.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The request id and the user's id in every log line (alize/logs.py).
    "alize.logs.RequestContextMiddleware",
    "alize.middleware.SessionIdleTimeoutMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "alize.accounts.second_factor.SecondFactorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "alize.tenancy.TenancyMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

# The chain of token requests under /api/ (alize/api/middleware.py, docs/decisions/0018):
# no session, CSRF cookie, messages, second factor, htmx nor static files; DRF
# authenticates the token, and ScopedViewMixin enters the caller's scope.
API_MIDDLEWARE = [
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "alize.middleware.RejectNulBytesMiddleware",
    "alize.cache_control.PrivateCacheControlMiddleware",
    "alize.middleware.FrenchFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "alize.logs.RequestContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # An empty scope until the view enters the caller's (fails closed, as for anonymous).
    "alize.tenancy.TenancyMiddleware",
    # API writes record their author in the audit history, as the web's do.
    "simple_history.middleware.HistoryRequestMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "alize.urls"
WSGI_APPLICATION = "alize.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "alize.accounts.context_processors.navigation",
            ],
            # Money and date filters (|money, |short_date, |long_date, |short_datetime).
            "builtins": ["alize.templatetags.alize_format"],
        },
    },
]
# Inputs, selects and their options written in Python, with the HTML of Django's templates.
FORM_RENDERER = "alize.form_renderer.FormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alize"),
        conn_max_age=600,
        conn_health_checks=True,
    )
}
# A unix-socket URL (``postgres://user@/name?host=/socket/dir``, as the local stack writes)
# names its socket in the query; as HOST it reaches ``dbshell`` (psql) too, not only psycopg.
_socket_dir = DATABASES["default"].get("OPTIONS", {}).pop("host", None)
if _socket_dir and not DATABASES["default"]["HOST"]:
    DATABASES["default"]["HOST"] = _socket_dir
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# PostgreSQL through django-prometheus's wrapper of Django's backend: statements, their
# durations and errors are counted for /metrics/.
DATABASES["default"]["ENGINE"] = "django_prometheus.db.backends.postgresql"
# DATABASE_URL names the database and the role that owns its tables: migrations and the demo
# seeding run as it (alize.row_security.as_owner). The application itself connects as a role
# that owns nothing and bypasses nothing, so PostgreSQL's row-level security applies to every
# query it sends (docs/decisions/0007-row-level-security.md). `migrate` creates that role
# when it is missing and the owner may create roles.
DATABASE_OWNER = {
    "USER": DATABASES["default"]["USER"],
    "PASSWORD": DATABASES["default"]["PASSWORD"],
}
DATABASE_APP_PASSWORD = os.environ.get("DATABASE_APP_PASSWORD", "")
DATABASES["default"]["USER"] = os.environ.get("DATABASE_APP_USER") or "alize_app"
DATABASES["default"]["PASSWORD"] = DATABASE_APP_PASSWORD
# A connection broken by a database restart is replaced at the next request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")

# The demo seeds only these dispositifs (slugs, comma-separated), every one when empty: a
# shorter first start for whoever needs one or two (the local stack's tests use it).
DEMO_DISPOSITIFS = tuple(
    slug.strip() for slug in os.environ.get("ALIZE_DEMO_DISPOSITIFS", "").split(",") if slug.strip()
)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "alize",
    }
}

AUTH_USER_MODEL = "accounts.User"
# The tenant model, named for the core (jobs) without importing its app.
TENANT_MODEL = "dispositifs.Dispositif"
AUTHENTICATION_BACKENDS = [
    "alize.accounts.backends.EmailBackend",
    # Acts only on the callback of the organisation's provider, and only when one is set.
    "alize.accounts.oidc.OrganisationAccountBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Brute-force lockout (alize.accounts.backends): only failures count, and only the failing
# identity is stopped. LOGIN_FAILURE_LIMIT failures of one address from one IP within the
# window lock that pair. Past LOGIN_FAILURE_IP_LIMIT failures from one IP (any address), each
# further failure makes its pair wait FAILURE_DELAY, doubled by each further failure of that
# IP, at most the window; a valid login from that IP is still served. Locks lift as failures age.
LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_IP_LIMIT = 20
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
LOGIN_FAILURE_RETENTION = timedelta(days=7)
FAILURE_DELAY = timedelta(seconds=1)
# Bad API tokens (alize.api.throttling): the "token_failure" rate locks one (token prefix, IP);
# past TOKEN_FAILURE_IP_LIMIT bad tokens from one IP within that rate's period, each further
# one answers 429 with the growing delay above (at most the period). A valid token is served.
TOKEN_FAILURE_IP_LIMIT = 20
# Forgotten-password requests per address and per IP within the window
# (alize.accounts.views.password_reset_allowed); the links last three days.
PASSWORD_RESET_LIMIT = 3
PASSWORD_RESET_IP_LIMIT = 20
PASSWORD_RESET_WINDOW = timedelta(minutes=15)
PASSWORD_RESET_TIMEOUT = 3 * 24 * 60 * 60
# The SMEs' public door, « Déposer un projet » (pme/door, docs/architecture.md §16): accepted
# submissions per IP and per e-mail address within the window (the next answers 429); the
# least time a person takes to fill the form, and the longest it may stay open; how long
# the confirmation link works (an unconfirmed submission is purged after it); the largest
# request body.
SELF_REFERRAL_IP_LIMIT = 5
SELF_REFERRAL_EMAIL_LIMIT = 3
SELF_REFERRAL_WINDOW = timedelta(hours=1)
SELF_REFERRAL_MIN_FILL_SECONDS = 5
SELF_REFERRAL_FORM_MAX_AGE = timedelta(days=1)
SELF_REFERRAL_CONFIRM_WINDOW = timedelta(hours=48)
SELF_REFERRAL_MAX_BODY_BYTES = 64 * 1024
# Reverse proxies in front of the application server that append to X-Forwarded-For (0: none,
# the client is REMOTE_ADDR). Only a proxy that the clients cannot bypass may be counted.
# Who signs the firms' contribution statements (reporting/pdf/contribution_statement.html).
CONTRIBUTION_STATEMENT_SIGNATORY = os.environ.get(
    "ALIZE_STATEMENT_SIGNATORY",
    "La coordination nationale Alizé — Développement et Emploi",
)
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

# Sign-in with the organisation's account (OpenID Connect, alize.accounts.oidc): enabled when
# the client id and the provider's endpoints are all set, by the environment alone. The
# person lands on the existing user whose address the provider vouches for (the claim
# OIDC_EMAIL_VERIFIED_CLAIM must be true); sign-in never creates an account nor a role.
OIDC_RP_CLIENT_ID = os.environ.get("OIDC_CLIENT_ID", "")
OIDC_RP_CLIENT_SECRET = os.environ.get("OIDC_CLIENT_SECRET", "")
OIDC_OP_ISSUER = os.environ.get("OIDC_ISSUER", "")
OIDC_OP_AUTHORIZATION_ENDPOINT = os.environ.get("OIDC_AUTHORIZATION_ENDPOINT", "")
OIDC_OP_TOKEN_ENDPOINT = os.environ.get("OIDC_TOKEN_ENDPOINT", "")
OIDC_OP_USER_ENDPOINT = os.environ.get("OIDC_USERINFO_ENDPOINT", "")
OIDC_OP_JWKS_ENDPOINT = os.environ.get("OIDC_JWKS_ENDPOINT", "")
OIDC_RP_SIGN_ALGO = os.environ.get("OIDC_SIGN_ALGO") or "RS256"
OIDC_RP_SCOPES = os.environ.get("OIDC_SCOPES") or "openid email"
OIDC_EMAIL_VERIFIED_CLAIM = os.environ.get("OIDC_EMAIL_VERIFIED_CLAIM") or "email_verified"
# Extra parameters of the authorization request, as JSON (ProConnect asks for acr_values).
OIDC_AUTH_REQUEST_EXTRA_PARAMS = json.loads(os.environ.get("OIDC_AUTH_REQUEST_PARAMS") or "{}")
OIDC_USE_PKCE = True
OIDC_CREATE_USER = False
OIDC_TIMEOUT = 10
# Seconds of clock difference with the provider tolerated on an ID token's dates.
OIDC_CLOCK_SKEW = 60
OIDC_AUTHENTICATION_CALLBACK_URL = "oidc_callback"
# The roles that must pass a second factor (TOTP) at each sign-in: those that move money or
# read personal data. A deployment setting, not a page: turning it off takes a deployment,
# never one stolen session of the very accounts it protects. Anyone else may enrol. Unset
# or empty: coordinator and animateur; "none": no role (alize.accounts.second_factor checks
# the names).
SECOND_FACTOR_ROLES = [
    role.strip()
    for role in (os.environ.get("SECOND_FACTOR_ROLES") or "coordinator,animateur").split(",")
    if role.strip() and role.strip() != "none"
]
SECOND_FACTOR_RECOVERY_CODES = 10
OTP_TOTP_ISSUER = "Alizé"
# Failed codes go through the login throttle (alize.accounts.second_factor), not django-otp's.
OTP_TOTP_THROTTLE_FACTOR = 0
# The admin may withdraw a device, never read its secret nor its QR code.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Idle timeout: a session lasts a working day after the last request.
SESSION_COOKIE_AGE = 9 * 60 * 60
# The session's expiry moves with activity, but the session row is rewritten at most once
# per interval (alize.middleware.SessionIdleTimeoutMiddleware), not on every request.
SESSION_ACTIVITY_REFRESH = 15 * 60

# Content Security Policy (django-csp): scripts and style sheets only from our own origin,
# never inline. Style attributes stay allowed for computed widths (funnel bars).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
# Dates and times per language where they differ from Django's (English: never month-first,
# 24-hour times); `alize/formats.py` says which style each context uses.
FORMAT_MODULE_PATH = ["alize.format_modules"]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Generated documents (reporting) and uploads: local folders, or an S3-compatible bucket when
# STORAGE_S3_BUCKET is set (alize/settings/storage.py). Documents are read only through the
# scoped download view, never from a public URL.
DOCUMENTS_ROOT = os.environ.get("DOCUMENTS_ROOT", str(BASE_DIR / ".local" / "documents"))
STORAGES = {
    **file_storages(DOCUMENTS_ROOT),
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Documents one person may have queued or running at a time (reporting.services); beyond,
# a request answers 429 with this Retry-After (seconds).
DOCUMENT_QUEUE_LIMIT = 5
DOCUMENT_QUEUE_RETRY_AFTER = 30
MEDIA_URL = "media/"
MEDIA_ROOT = BASE_DIR / "media"
# Backups (alize.backup: `manage.py backup` / `restore`, README "Production"): one dated
# folder per backup under BACKUP_ROOT (git-ignored), the newest BACKUP_KEEP kept; the files
# of the storages named in BACKUP_STORAGES go with the database. pg_dump and pg_restore must
# be of the server's major version; POSTGRES_BIN_DIR names their folder when they are
# elsewhere than PATH, /usr/lib/postgresql/<major>/bin or the embedded PostgreSQL.
BACKUP_ROOT = os.environ.get("BACKUP_ROOT") or str(BASE_DIR / "backups")
BACKUP_KEEP = int(os.environ.get("BACKUP_KEEP") or "14")
BACKUP_STORAGES = ["documents"]
POSTGRES_BIN_DIR = os.environ.get("POSTGRES_BIN_DIR", "")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "alize.api.throttling.ThrottledTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PARSER_CLASSES": [
        "alize.api.parsers.BoundedJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    # The caller's rate and a token's lock, in one round trip (alize/api/throttling.py).
    "DEFAULT_THROTTLE_CLASSES": ["alize.api.throttling.RequestThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": "60/min", "user": "600/min", "token_failure": "20/hour"},
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "DEFAULT_PERMISSION_CLASSES": ["alize.api.permissions.PolicyPermission"],
    "DEFAULT_FILTER_BACKENDS": [
        "alize.api.filters.FilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_PAGINATION_CLASS": "alize.api.pagination.CursorPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "alize.api.schema.AutoSchema",
    "EXCEPTION_HANDLER": "alize.api.exceptions.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Alizé API",
    "DESCRIPTION": "Read access for regional councils and write access for animateurs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "alize.api.schema.document_errors",
    ],
    # One schema name per choice set that several serializers share.
    "ENUM_NAME_OVERRIDES": {
        "DispositifStatusEnum": "dispositifs.models.DispositifStatus",
        "CommitteeStatusEnum": "committees.models.CommitteeStatus",
        "DecisionOutcomeEnum": "committees.models.DecisionOutcome",
        "InterestKindEnum": "committees.models.InterestKind",
        "AttendanceStatusEnum": "committees.models.AttendanceStatus",
        "StageEnum": "pme.models.Stage",
        "AdvanceStatusEnum": "loans.models.AdvanceStatus",
        "WriteOffStatusEnum": "loans.models.WriteOffStatus",
        "ContributionKindEnum": "loans.models.ContributionKind",
    },
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# A message is acknowledged when its task starts, unless the task says it is idempotent
# (``acks_late``: every job of the outbox, alize.tasks.JobTask): those are acknowledged when
# they end, so a worker lost mid-run leaves them to the broker's redelivery.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 30 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 25 * 60
# Queues by kind of work (docs/architecture.md §6), each served by workers of its own in
# production (docker-compose.yml), so that a burst of one kind never delays another: ``mail``
# (fast and many), ``documents`` (slow, memory-bound, their own time limits:
# reporting.runner), ``fanout`` (the national jobs and the per-dispositif jobs they fan out
# into) and ``default`` (the rest). `make run` runs one worker on all of them.
CELERY_TASK_DEFAULT_QUEUE = "default"
ALIZE_QUEUES = ("mail", "documents", "fanout", "default")
CELERY_TASK_ROUTES = {
    "alize.accounts.tasks.send_password_reset": {"queue": "mail"},
    "missions.tasks.send_mission_proposal": {"queue": "mail"},
    "missions.tasks.send_mission_declined": {"queue": "mail"},
    "reporting.runner.build_document": {"queue": "documents"},
    "reporting.tasks.build_annual_reports": {"queue": "fanout"},
    "alize.tasks.apply_retention": {"queue": "fanout"},
    "alize.tasks.apply_retention_in_dispositif": {"queue": "fanout"},
    "reporting.tasks.build_dispositif_annual_report": {"queue": "fanout"},
    "reporting.tasks.send_due_agendas": {"queue": "fanout"},
    "reporting.tasks.send_cancellations": {"queue": "mail"},
    "pme.tasks.refresh_due_follow_ups": {"queue": "fanout"},
    "pme.tasks.purge_self_referrals": {"queue": "fanout"},
    "pme.tasks.send_self_referral_confirmation": {"queue": "mail"},
    "pme.tasks.send_self_referral_received": {"queue": "mail"},
    "pme.tasks.send_follow_up_requests": {"queue": "fanout"},
    "missions.tasks.send_monthly_reminders": {"queue": "fanout"},
    "loans.tasks.refresh_arrears": {"queue": "fanout"},
    "loans.tasks.confirm_statement_lines": {"queue": "default"},
}
# Redis gives an unacknowledged message to another worker after this many seconds: longer
# than the longest job may run (CELERY_TASK_TIME_LIMIT), or a long job would run twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT}
# The outbox of jobs (alize.jobs, docs/architecture.md §6). The sweeper runs every minute
# (every ALIZE_JOBS_SWEEP_SECONDS when set: the stack tests use a few seconds); it sends again
# a job queued but not started after the grace, and a job running without a heartbeat for
# longer than its time limit (or JOBS_HEARTBEAT_TIMEOUT seconds, when set and shorter: every
# running job heartbeats every JOBS_HEARTBEAT_SECONDS), and gives a job up after its
# attempts (JOBS_MAX_ATTEMPTS unless the task says). Done jobs are kept for some days.
JOBS_SWEEP_SECONDS = int(os.environ.get("ALIZE_JOBS_SWEEP_SECONDS", "0"))
JOBS_QUEUED_GRACE = int(os.environ.get("ALIZE_JOBS_QUEUED_GRACE", "120"))
JOBS_HEARTBEAT_SECONDS = float(os.environ.get("ALIZE_JOBS_HEARTBEAT_SECONDS", "30"))
JOBS_HEARTBEAT_TIMEOUT = int(os.environ.get("ALIZE_JOBS_HEARTBEAT_TIMEOUT", "0"))
JOBS_MAX_ATTEMPTS = 5
JOBS_KEEP_DONE_DAYS = 30
# /metrics/ (alize/metrics.py): answered to requests from inside the deployment (not through
# the proxy, from a private address) unless METRICS_FROM_INSIDE=0, and to
# "Authorization: Bearer <METRICS_TOKEN>" when a token is set.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
METRICS_FROM_INSIDE = os.environ.get("METRICS_FROM_INSIDE", "1") == "1"
# Beat touches this file at each tick (alize.beat); its health check reads its age.
BEAT_HEARTBEAT_FILE = os.environ.get("ALIZE_BEAT_HEARTBEAT_FILE", "")
# Beat reads its schedules from the database (editable in the admin); this dict declares the
# jobs, and alize.beat creates the missing rows without overwriting edited ones.
CELERY_BEAT_SCHEDULER = "alize.beat:Scheduler"
CELERY_BEAT_SCHEDULE = {
    # The outbox's sweeper (alize.jobs.sweep); a sweep not run within its period is dropped.
    "alize-jobs-sweep": {
        "task": "alize.tasks.sweep_jobs",
        "schedule": timedelta(seconds=JOBS_SWEEP_SECONDS) if JOBS_SWEEP_SECONDS else crontab(),
        "options": {"expire_seconds": JOBS_SWEEP_SECONDS or 60},
    },
    # Indicators whose refresh was lost (alize.indicators.facts.refresh_stale).
    "alize-indicators-sweep": {
        "task": "alize.tasks.sweep_indicators",
        "schedule": crontab(),
        "options": {"expire_seconds": 60},
    },
    "accounts-purge-login-failures": {
        "task": "alize.accounts.tasks.purge_login_failures",
        "schedule": crontab(hour=3, minute=30),
    },
    "pme-due-follow-ups": {
        "task": "pme.tasks.refresh_due_follow_ups",
        "schedule": crontab(hour=6, minute=0),
    },
    # The public door's submissions whose confirmation link expired unused.
    "pme-purge-self-referrals": {
        "task": "pme.tasks.purge_self_referrals",
        "schedule": crontab(hour=4, minute=15),
    },
    # The SMEs' own follow-up: the request with its signed link, then the reminders.
    "pme-follow-up-requests": {
        "task": "pme.tasks.send_follow_up_requests",
        "schedule": crontab(hour=9, minute=0),
    },
    "missions-monthly-reminder": {
        "task": "missions.tasks.send_monthly_reminders",
        "schedule": crontab(day_of_month=25, hour=9, minute=0),
    },
    "loans-daily-arrears": {
        "task": "loans.tasks.refresh_arrears",
        "schedule": crontab(hour=5, minute=30),
    },
    # Agendas of the committees that sit in Dispositif.agenda_days_before days (or fewer).
    "reporting-agendas": {
        "task": "reporting.tasks.send_due_agendas",
        "schedule": crontab(hour=7, minute=0),
    },
    # Personal data kept past its time is erased (docs/personal-data.md): the directory's
    # experts and users, then each dispositif's SME contacts (fanned out).
    "personal-data-retention": {
        "task": "alize.tasks.apply_retention",
        "schedule": crontab(hour=4, minute=15),
    },
    # In January, last year's annual report of every dispositif, and the national one.
    "reporting-annual-reports": {
        "task": "reporting.tasks.build_annual_reports",
        "schedule": crontab(hour=2, minute=0, day_of_month=2, month_of_year=1),
    },
}

# How long personal data is kept once its purpose is over (docs/personal-data.md): the
# contact of an SME whose last project closed this many years ago, an expert or a user
# inactive for as long, are erased by the nightly retention job (alize.personal_data).
RETENTION_YEARS = int(os.environ.get("ALIZE_RETENTION_YEARS", "5"))

# Statistical secrecy of the figures published outside the network (the regions' API, open
# data): a figure about fewer SMEs than this, or one SME's part above this share of it, is
# suppressed (alize.indicators.secrecy).
INDICATORS_SECRECY_MIN_SMES = 3
INDICATORS_SECRECY_DOMINANCE = Decimal("0.85")

# API request bodies (alize.api.parsers.BoundedJSONParser).
API_JSON_MAX_BYTES = 2_621_440
API_JSON_MAX_DEPTH = 32

# The follow-up an SME declares itself (pme.services, docs/architecture.md §3.6): its signed
# link opens for this many days, and the request is reminded after these many days while
# nothing is declared.
FOLLOW_UP_LINK_DAYS = int(os.environ.get("ALIZE_FOLLOW_UP_LINK_DAYS", "60"))
FOLLOW_UP_REMINDER_DAYS = (15, 30)

# Outgoing e-mail (alize.mail.send_once). Production sends through SMTP from the
# environment, `make run` through its local SMTP server, tests through a test server.
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Alizé <noreply@alize.fr>")
EMAIL_TIMEOUT = 30
# The platform's public address, for the links of e-mails.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")
# Where the accessibility statement (/accessibilite/) tells people to write.
ACCESSIBILITY_CONTACT_EMAIL = (
    os.environ.get("ACCESSIBILITY_CONTACT_EMAIL") or "accessibilite@alize.fr"
)
# The local SMTP server's mailbox, readable on /mailbox/ (local settings only; the page
# answers 404 while this is None).
DEMO_MAILBOX_DIR: Path | None = None

# Logs: one JSON object a line with the request id, the user id and the dispositif
# (LOG_FORMAT=json, production's default), or the bare messages (alize/logs.py).
LOG_FORMAT = os.environ.get("LOG_FORMAT", "text")
LOGGING = logging_config(LOG_FORMAT)
# Celery workers keep these JSON lines instead of setting their own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = LOG_FORMAT != "json"
