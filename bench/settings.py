"""Settings of the benchmark's Django server: production-like (DEBUG off) on the bench database,
with a query counter that reports the number of SQL statements of each response."""

import os

from alize.settings.base import *  # noqa: F403
from alize.settings.base import DATABASES, MIDDLEWARE, REST_FRAMEWORK, STORAGES

DEBUG = False
SECRET_KEY = "alize-bench-key-not-for-production"  # noqa: S105
# BENCH_ATOMIC_REQUESTS=0 measures the requests without the per-request transaction.
DATABASES["default"]["ATOMIC_REQUESTS"] = os.environ.get("BENCH_ATOMIC_REQUESTS", "1") == "1"
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
# Plain static storage: the pages' static files are not measured.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BENCH_LOG_LEVEL", "WARNING")},
}
# The concurrent run sends far more than one client's quota through three tokens: without
# this, fast answers turn into 429s and the run measures the throttle, not the lists.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {**REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "100000/min"},
}
# The bench measures the pages, not sign-in: its sessions are opened signed in, with no
# second factor due (bench.prepare.open_sessions).
SECOND_FACTOR_ROLES: list[str] = []
