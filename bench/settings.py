"""Settings of the benchmark's Django server: production-like (DEBUG off) on the bench database,
with a query counter that reports the number of SQL statements of each response."""

import os

from alize.settings.base import *  # noqa: F403
from alize.settings.base import DATABASES, MIDDLEWARE

DEBUG = False
SECRET_KEY = "alize-bench-key-not-for-production"  # noqa: S105
# BENCH_ATOMIC_REQUESTS=0 measures the requests without the per-request transaction.
DATABASES["default"]["ATOMIC_REQUESTS"] = os.environ.get("BENCH_ATOMIC_REQUESTS", "1") == "1"
MIDDLEWARE = ["bench.middleware.QueryCountMiddleware", *MIDDLEWARE]
# Plain static storage: the pages' static files are not measured.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("BENCH_LOG_LEVEL", "WARNING")},
}
