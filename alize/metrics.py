"""``/metrics/``: Prometheus metrics of the platform.

- requests, their latencies and responses by view, and database statements and their
  durations: ``django-prometheus`` (its middleware and database backend, alize/settings);
- the length of each Celery queue (``alize_celery_queue_length``), the background jobs by
  status (``alize_jobs``) and the jobs given up (``alize_job_failures``): ``PlatformCollector``,
  read at each scrape.

Reachable from inside the deployment only (a request that did not come through the reverse
proxy, from a private address) or with ``Authorization: Bearer <METRICS_TOKEN>``; anything
else answers 404. Under gunicorn each worker process writes its metrics to
``PROMETHEUS_MULTIPROC_DIR`` (alize/gunicorn.conf.py) and a scrape adds them up.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

import redis
from django.conf import settings
from django.db import transaction
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from alize.models import Job, JobFailure, JobStatus

# Kombu's Redis transport keeps a queue's prioritised messages in lists of their own.
PRIORITY_SUFFIXES = ("", *(f"\x06\x16{step}" for step in (3, 6, 9)))


def queue_lengths(broker_url: str) -> dict[str, int]:
    """Messages waiting in each queue of ``ALIZE_QUEUES`` on the Redis broker."""
    client = redis.Redis.from_url(broker_url, socket_timeout=2, socket_connect_timeout=2)
    try:
        return {
            queue: sum(client.llen(queue + suffix) for suffix in PRIORITY_SUFFIXES)
            for queue in settings.ALIZE_QUEUES
        }
    finally:
        client.close()


class PlatformCollector:
    """Queue lengths and jobs, read when scraped."""

    def collect(self):
        queues = GaugeMetricFamily(
            "alize_celery_queue_length", "Messages waiting in a Celery queue.", labels=["queue"]
        )
        for queue, length in queue_lengths(settings.CELERY_BROKER_URL).items():
            queues.add_metric([queue], length)
        yield queues
        jobs = GaugeMetricFamily(
            "alize_jobs", "Background jobs of the outbox by status.", labels=["status"]
        )
        counts = dict(Job.objects.order_by().values_list("status").annotate(Count("id")))
        for status in JobStatus.values:
            jobs.add_metric([status], counts.get(status, 0))
        yield jobs
        yield GaugeMetricFamily(
            "alize_job_failures",
            "Job failures recorded for the coordination (JobFailure rows).",
            value=JobFailure.objects.count(),
        )


def from_inside(request) -> bool:
    """Sent from inside the deployment: not through the reverse proxy (which adds
    ``X-Forwarded-For``), from a private or loopback address."""
    if "HTTP_X_FORWARDED_FOR" in request.META or not settings.METRICS_FROM_INSIDE:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return address.is_private or address.is_loopback


def has_token(request) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def exposition() -> bytes:
    """This process's metrics (or every gunicorn worker's), then the platform's."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess  # noqa: PLC0415

        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
        base = generate_latest(processes)
    else:
        base = generate_latest(REGISTRY)
    platform = CollectorRegistry()
    platform.register(PlatformCollector())
    return base + generate_latest(platform)


@never_cache
@require_GET
@transaction.non_atomic_requests
def metrics_view(request):
    if not (has_token(request) or from_inside(request)):
        raise Http404
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
