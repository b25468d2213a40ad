"""``/health/``: is every part the platform needs up? The database, Redis (cache and
broker), the documents' storage (a folder or a bucket) and a Celery worker answering a ping.

200 with ``{"status": "ok", ...}`` when all are; 503 naming the failing parts otherwise
(``{"status": "failing", "failing": ["redis", "worker"], ...}``). The answer names parts
only: what went wrong is logged, never shown. ``?part=database&part=redis`` checks only
those (web's container health check leaves the workers to their own). Used by the compose
health checks (docker-compose.yml) and the load balancer of a larger deployment.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from typing import Any

import redis
from django.conf import settings
from django.core.files.storage import storages
from django.db import connection, transaction
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from alize.celery import app as celery_app

logger = logging.getLogger(__name__)

TIMEOUT = 2.0  # seconds each network check may take


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")


def check_redis() -> None:
    client = redis.Redis.from_url(
        settings.REDIS_URL, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT
    )
    try:
        client.ping()
    finally:
        client.close()


def check_storage() -> None:
    """The documents' storage is reachable: its bucket answers, or its folder is writable."""
    storage: Any = storages["documents"]
    bucket = getattr(storage, "bucket_name", None)
    if bucket:
        storage.connection.meta.client.head_bucket(Bucket=bucket)
        return
    location = storage.location
    if not os.path.isdir(location) or not os.access(location, os.W_OK):
        raise OSError(f"{location} is not a writable folder")


def check_worker() -> None:
    replies = celery_app.control.ping(timeout=TIMEOUT)
    if not replies:
        raise RuntimeError("no Celery worker answered a ping")


CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "redis": check_redis,
    "storage": check_storage,
    "worker": check_worker,
}


def health(parts: list[str] | None = None) -> dict[str, str]:
    """``{part: "ok" | "failing"}`` for ``parts`` (every part by default). The worker is
    reached through Redis: with Redis down it counts as failing without waiting for it."""
    results: dict[str, str] = {}
    for name in parts or list(CHECKS):
        if name == "worker" and results.get("redis", "ok") != "ok":
            results[name] = "failing"
            continue
        try:
            CHECKS[name]()
        except Exception:
            logger.warning("Health check %s failed", name, exc_info=True)
            results[name] = "failing"
        else:
            results[name] = "ok"
    return results


@never_cache
@require_GET
@transaction.non_atomic_requests
def health_view(request):
    parts = request.GET.getlist("part")
    unknown = sorted(set(parts) - set(CHECKS))
    if unknown:
        return JsonResponse({"unknown": unknown, "parts": list(CHECKS)}, status=400)
    if parts and "worker" in parts and "redis" not in parts:
        parts = ["redis", *parts]
    results = health(parts or None)
    failing = [name for name, state in results.items() if state != "ok"]
    body = {"status": "failing" if failing else "ok", "failing": failing, "checks": results}
    return JsonResponse(body, status=503 if failing else 200)
