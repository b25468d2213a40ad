"""A real Celery worker for the tests about jobs: its own Redis database and queue, the
test database, and optional extra task modules (``-I``)."""

import contextlib
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import redis
from django.conf import settings

from alize import celery_app
from alize.settings.test import routes_under

WORKER_TIMEOUT = 60
TEST_REDIS_DB = settings.TEST_CELERY_REDIS_DB


def redis_url_with_db(url: str, db: int) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def _forget_connections(app):
    """Drop the app's cached broker pool, routing and result backend (built from conf)."""
    app.close()
    app._pool = None
    app.__dict__.pop("amqp", None)
    app._backend_cache = None
    app._local.__dict__.pop("backend", None)


@contextlib.contextmanager
def celery_app_on(url: str, queue: str, routes: dict | None = None):
    """Point the project's Celery app at ``url`` (broker and results) and send to a queue of
    its own, so that no other worker on the same Redis takes the test's tasks: every task
    goes to ``queue`` unless ``routes`` (e.g. ``alize.settings.test.routes_under``) says
    otherwise."""
    names = ("broker_url", "result_backend", "task_default_queue", "task_routes")
    saved = {name: celery_app.conf[name] for name in names}
    _forget_connections(celery_app)
    celery_app.conf.update(
        broker_url=url, result_backend=url, task_default_queue=queue, task_routes=routes or {}
    )
    try:
        yield celery_app
    finally:
        _forget_connections(celery_app)
        celery_app.conf.update(saved)


def database_url_for_test_database() -> str:
    """The suite's DATABASE_URL (TCP or unix socket alike) naming the test database."""
    base = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alize")
    parts = urlsplit(base)
    return urlunsplit(parts._replace(path="/" + settings.DATABASES["default"]["NAME"]))


@contextlib.contextmanager
def worker_process(
    log: Path,
    include: tuple[str, ...] = (),
    *,
    queue: str,
    env=None,
    prefix: str = "",
    concurrency: int = 1,
):
    """A ``celery worker`` process (solo pool, or prefork with ``concurrency`` > 1) on
    ``queue`` (comma-separated names) of the test Redis database, with ``env`` added to its
    environment; yields the process (a test may kill it) and stops it at the end if it still
    runs. What the worker queues goes to ``queue``, or with ``prefix`` to that prefix's queue
    of each kind (``alize.settings.test.routes_under``)."""
    broker = redis_url_with_db(settings.REDIS_URL, TEST_REDIS_DB)
    environment = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alize.settings.test",
        "DATABASE_URL": database_url_for_test_database(),
        "REDIS_URL": broker,
        **({"ALIZE_TEST_QUEUE_PREFIX": prefix} if prefix else {"ALIZE_TEST_QUEUE": queue}),
        **(env or {}),
    }
    celery = Path(sys.executable).parent / "celery"
    command = [
        str(celery),
        "-A",
        "alize",
        "worker",
        f"--concurrency={concurrency}",
        "--pool=solo" if concurrency == 1 else "--pool=prefork",
        "--without-gossip",
        "--without-mingle",
        "--loglevel=INFO",
        "--queues",
        queue,
        "-n",
        f"tests-{uuid.uuid4().hex[:8]}@%h",
    ]
    if include:
        command += ["--include", ",".join(include)]
    with log.open("a") as output:
        worker = subprocess.Popen(
            command, cwd=settings.BASE_DIR, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            yield worker
        finally:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait(timeout=5)


@contextlib.contextmanager
def fresh_queue(*, routed: bool = False):
    """A fresh queue of the test Redis database, the project's Celery app sending to it;
    yields (broker URL, queue name) and deletes the queue at the end. ``routed``: each kind
    of work goes to its own queue ``<queue name>-<kind>`` instead (``routes_under``)."""
    broker = redis_url_with_db(settings.REDIS_URL, TEST_REDIS_DB)
    queue = f"alize-tests-{uuid.uuid4().hex}"
    names = [queue, *(f"{queue}-{kind}" for kind in settings.ALIZE_QUEUES)]
    with celery_app_on(broker, queue, routes=routes_under(queue) if routed else None):
        try:
            yield broker, queue
        finally:
            redis.Redis.from_url(broker).delete(
                *names,
                *(f"_kombu.binding.{name}" for name in names),
                *(f"_kombu.binding_permanent.{name}" for name in names),
            )


@contextlib.contextmanager
def real_worker(log: Path, include: tuple[str, ...] = ()):
    """Start ``celery worker`` (solo pool) on a fresh queue of the test Redis database; yields
    that database's URL and stops the worker (and deletes its queue) at the end."""
    log.write_text("")
    with fresh_queue() as (broker, queue), worker_process(log, include, queue=queue):
        yield broker
