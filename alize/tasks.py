"""The one base of background jobs (docs/architecture.md §6).

A job takes ids, never objects; it is queued only once the transaction that asked for it
commits (``task.enqueue(...)``); it re-enters the scope of its dispositif and runs in a
transaction of its own; a national job fans out into one task per dispositif, so that one
failing dispositif never stops the others. Every failure is recorded as a ``JobFailure``.
"""

from __future__ import annotations

import logging
import traceback

from celery import Task
from celery.exceptions import Ignore, Retry
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models, transaction

from alize.models import JobFailure
from alize.tenancy import ScopeError, scope

logger = logging.getLogger(__name__)


def tenant_model():
    """The tenant model (``settings.TENANT_MODEL``), looked up without importing its app."""
    return apps.get_model(settings.TENANT_MODEL)


class ScopedTask(Task):
    """Base of every job. Call it with ``dispositif_id`` (and ``user_id`` when a person asked
    for it); the body receives the loaded ``dispositif`` (and ``user``) instead, inside
    ``scope([dispositif_id])`` and one transaction.

    A job over every dispositif says so with ``national = True``: called without a
    ``dispositif_id`` it queues one task per dispositif and returns ``[[id, task id], ...]``;
    any other job called without ``dispositif_id`` fails.
    """

    abstract = True
    national = False
    # Callers pass ids (dispositif_id, user_id) where the body takes objects.
    typing = False

    def enqueue(self, **kwargs) -> None:
        """Queue the job when the current transaction commits (at once outside of one); a
        rolled-back transaction queues nothing. Arguments are ids and plain values."""
        for name, value in kwargs.items():
            if isinstance(value, models.Model):
                raise TypeError(
                    f"Task {self.name}: pass {name} as an id, not a {type(value).__name__}."
                )
        if not self.national and kwargs.get("dispositif_id") is None:
            raise ScopeError(f"Task {self.name} needs a dispositif_id keyword argument.")
        transaction.on_commit(lambda: self.apply_async(kwargs=kwargs))

    def __call__(self, *args, **kwargs):
        dispositif_id = kwargs.pop("dispositif_id", None)
        if dispositif_id is None:
            if not self.national:
                raise ScopeError(f"Task {self.name} needs a dispositif_id keyword argument.")
            return self.fan_out(kwargs)
        return self.run_in_dispositif(dispositif_id, args, kwargs)

    def fan_out(self, kwargs: dict) -> list[list]:
        """Queue this job once per dispositif, on the queue the national job came from (run
        inline when the national job itself runs eagerly)."""
        with scope(every_dispositif=True, reason=f"fan-out of national task {self.name}"):
            ids = list(tenant_model()._default_manager.order_by("pk").values_list("pk", flat=True))
        queue = (self.request.delivery_info or {}).get("routing_key")
        options = {"queue": queue} if queue else {}
        queued = []
        for dispositif_id in ids:
            child = {**kwargs, "dispositif_id": dispositif_id}
            if self.request.is_eager:
                result = self.apply(kwargs=child)
            else:
                result = self.apply_async(kwargs=child, **options)
            queued.append([dispositif_id, result.id])
        return queued

    def run_in_dispositif(self, dispositif_id: int, args, kwargs: dict):
        dispositif = None
        try:
            with scope([dispositif_id]), transaction.atomic():
                dispositif = tenant_model()._default_manager.get(pk=dispositif_id)
                user_id = kwargs.pop("user_id", None)
                if user_id is not None:
                    kwargs["user"] = get_user_model()._default_manager.get(pk=user_id)
                return self.run(*args, dispositif=dispositif, **kwargs)
        except (Retry, Ignore):
            raise
        except Exception as error:
            self.record_failure(dispositif_id, dispositif, error)
            raise

    def record_failure(self, dispositif_id: int, dispositif, error: Exception) -> None:
        """Keep the failure for the coordination, after the job's transaction rolled back."""
        logger.exception("Task %s failed in dispositif %s", self.name, dispositif_id)
        JobFailure.objects.create(
            task_name=self.name,
            task_id=self.request.id or "",
            dispositif_id=dispositif_id,
            dispositif_name=str(dispositif) if dispositif is not None else "",
            error=f"{type(error).__name__}: {error}"[:2000],
            details=traceback.format_exc(),
        )
