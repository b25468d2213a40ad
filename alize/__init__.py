"""The Alizé platform project package: settings, tenancy core, accounts and Celery app."""

from .celery import app as celery_app

__all__ = ("celery_app",)
