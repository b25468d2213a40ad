"""WSGI entry point (gunicorn ``alize.wsgi:application``)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alize.settings.production")

application = get_wsgi_application()
