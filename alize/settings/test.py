"""Test settings: a fast password hasher and no outgoing e-mail; the real PostgreSQL and Redis."""

from .base import *  # noqa: F403
from .base import BASE_DIR, DOCUMENTS_STORAGE, PASSWORD_HASHERS, REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *PASSWORD_HASHERS]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    # Test documents apart from the local stack's (test workers share this folder).
    "documents": {
        **DOCUMENTS_STORAGE,
        "OPTIONS": {
            **DOCUMENTS_STORAGE["OPTIONS"],
            "location": str(BASE_DIR / ".local" / "test-documents"),
        },
    },
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
