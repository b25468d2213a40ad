"""Test settings: a fast password hasher and no outgoing e-mail; the real PostgreSQL and Redis."""

import os
from urllib.parse import urlsplit

from .base import *  # noqa: F403
from .base import BASE_DIR, CELERY_TASK_ROUTES, PASSWORD_HASHERS, REDIS_URL, REST_FRAMEWORK
from .storage import file_storages

# `make test` runs the suite in several processes (pytest-xdist: gw0, gw1…). Each has its own
# test database (pytest-django adds the suffix), its own Redis databases (the broker, and
# the one of the Celery workers its tests start: ``TEST_REDIS_DBS``) and its own documents
# folder. The first process keeps the Redis database it was given; what a test process
# starts (a Celery worker, gunicorn) inherits ALIZE_TEST_WORKER and the URL already chosen.
TEST_REDIS_DBS = ((None, 9), (11, 14), (12, 15))
if os.environ.get("PYTEST_XDIST_WORKER") and "ALIZE_TEST_WORKER" not in os.environ:
    os.environ["ALIZE_TEST_WORKER"] = os.environ["PYTEST_XDIST_WORKER"].removeprefix("gw")
    _broker_db = TEST_REDIS_DBS[int(os.environ["ALIZE_TEST_WORKER"])][0]
    if _broker_db is not None:
        os.environ["REDIS_URL"] = urlsplit(REDIS_URL)._replace(path=f"/{_broker_db}").geturl()
TEST_WORKER = int(os.environ.get("ALIZE_TEST_WORKER", "0"))
if len(TEST_REDIS_DBS) <= TEST_WORKER:
    raise RuntimeError(f"The suite runs in {len(TEST_REDIS_DBS)} processes at most (pytest -n).")
REDIS_URL = os.environ.get("REDIS_URL", REDIS_URL)
CELERY_BROKER_URL = CELERY_RESULT_BACKEND = REDIS_URL
TEST_CELERY_REDIS_DB = TEST_REDIS_DBS[TEST_WORKER][1]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    # Test documents apart from the local stack's (test workers share this folder); a worker
    # started with STORAGE_S3_BUCKET writes to that bucket instead (tests/storage_server.py).
    **file_storages(
        str(BASE_DIR / ".local" / ("test-documents" + (f"-{TEST_WORKER}" if TEST_WORKER else "")))
    ),
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Rate limits far above what one test sends; tests of the throttles set their own rates.
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        "anon": "100000/min",
        "user": "100000/min",
        "token_failure": "100000/min",
    },
}
TOKEN_FAILURE_IP_LIMIT = 100000
# Pages are tested signed in without a second factor; its own tests require it
# (tests/test_sign_in_second_factor.py).
SECOND_FACTOR_ROLES = []

# Jobs tests: seconds each document build step waits (so a test can kill a worker in the
# middle of a build), and how soon Redis gives a killed worker's unacknowledged job to
# another (the default, an hour, suits production).
REPORTING_STEP_PAUSE = float(os.environ.get("REPORTING_STEP_PAUSE", "0"))
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
# A test's real SMTP server, for a Celery worker process started by that test.
if os.environ.get("TEST_SMTP_PORT"):
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = "127.0.0.1"
    EMAIL_PORT = int(os.environ["TEST_SMTP_PORT"])


def routes_under(prefix: str) -> dict:
    """The routes with each queue renamed ``<prefix>-<queue>``: a test's own queue of each
    kind of work, that no other worker on the same Redis serves."""
    return {
        name: {**route, "queue": f"{prefix}-{route['queue']}"}
        for name, route in CELERY_TASK_ROUTES.items()
    }


# A worker process started by a test (tests/celery_worker.py) sends what it queues where the
# test's workers listen: with ALIZE_TEST_QUEUE every task to that one queue, with
# ALIZE_TEST_QUEUE_PREFIX each kind of work to its own queue under that prefix.
if os.environ.get("ALIZE_TEST_QUEUE"):
    CELERY_TASK_DEFAULT_QUEUE = os.environ["ALIZE_TEST_QUEUE"]
    CELERY_TASK_ROUTES = {}
elif os.environ.get("ALIZE_TEST_QUEUE_PREFIX"):
    CELERY_TASK_DEFAULT_QUEUE = f"{os.environ['ALIZE_TEST_QUEUE_PREFIX']}-default"
    CELERY_TASK_ROUTES = routes_under(os.environ["ALIZE_TEST_QUEUE_PREFIX"])
