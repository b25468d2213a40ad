"""Celery application, configured from Django settings (namespace ``CELERY_``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alize.settings.local")

app = Celery("alize")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
