"""Jobs used by tests/test_jobs.py; a test worker imports them with ``--include``."""

import json

import redis
from celery import shared_task

from alize.tasks import ScopedTask
from alize.tenancy import current_scope
from dispositifs.models import Dispositif


@shared_task(base=ScopedTask, name="tests.jobs_tasks.note_run")
def note_run(*, dispositif, key, redis_url, label, user=None):
    """Append what the job received (dispositif, user, scope) to a Redis list."""
    active = current_scope()
    note = {
        "label": label,
        "dispositif": dispositif.slug,
        "user": user.email if user is not None else None,
        "scope": sorted(active.dispositif_ids),
        "everything": active.everything,
    }
    redis.Redis.from_url(redis_url).rpush(key, json.dumps(note))
    return note


@shared_task(base=ScopedTask, national=True, name="tests.jobs_tasks.rename_or_fail")
def rename_or_fail(*, dispositif, failing_slug):
    """Rename the dispositif, then fail (so the rename rolls back) in ``failing_slug``."""
    Dispositif.objects.filter(pk=dispositif.pk).update(name=f"{dispositif.name} (vu)")
    if dispositif.slug == failing_slug:
        raise RuntimeError(f"Données incohérentes dans {dispositif.slug}")
    return dispositif.slug
