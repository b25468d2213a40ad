"""Local development: debug on, demo-friendly defaults."""

from .base import *  # noqa: F403

DEBUG = True

# Plain static storage: WhiteNoise serves the source folders in development, and the
# compressed manifest (production) takes a minute to build for nothing here.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
