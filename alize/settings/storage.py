"""Where files live: the ``default`` storage (uploads) and ``documents`` (generated
documents), chosen by the environment alone.

Without ``STORAGE_S3_BUCKET`` both are folders on the local disk (``make run``, the tests):
documents under ``DOCUMENTS_ROOT``, outside any served URL. With it, both go to that bucket
of an S3-compatible object store (AWS S3, Scaleway, OVHcloud, MinIO…), each under its own
prefix. The bucket stays private: objects are written without an ACL, and documents are read
only through the scoped download view, which streams them (docs/architecture.md §6.3).

Environment (README, "Production"):

- ``STORAGE_S3_BUCKET``: the bucket's name (turns object storage on);
- ``STORAGE_S3_ENDPOINT_URL``: the store's address, for a store other than AWS;
- ``STORAGE_S3_REGION``: its region;
- ``STORAGE_S3_ACCESS_KEY_ID`` / ``STORAGE_S3_SECRET_ACCESS_KEY``: the credentials (unset:
  boto3's own chain, e.g. an instance role);
- ``STORAGE_S3_ADDRESSING_STYLE``: ``path`` for stores that want the bucket in the path;
- ``STORAGE_S3_DOCUMENTS_PREFIX`` / ``STORAGE_S3_UPLOADS_PREFIX``: the prefixes
  (``documents`` and ``uploads``).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

S3_BACKEND = "storages.backends.s3.S3Storage"


def s3_storage(environ: Mapping[str, str], prefix: str) -> dict[str, Any]:
    """A private S3 storage of the bucket the environment names, under ``prefix``."""
    options: dict[str, Any] = {
        "bucket_name": environ["STORAGE_S3_BUCKET"],
        "location": prefix,
        # Private objects: no ACL of their own (the bucket's policy applies), no public URL.
        "default_acl": None,
        "querystring_auth": True,
        "querystring_expire": 60,
        # A document built twice replaces its one object (a name fixed by its id).
        "file_overwrite": True,
    }
    for option, variable in (
        ("endpoint_url", "STORAGE_S3_ENDPOINT_URL"),
        ("region_name", "STORAGE_S3_REGION"),
        ("access_key", "STORAGE_S3_ACCESS_KEY_ID"),
        ("secret_key", "STORAGE_S3_SECRET_ACCESS_KEY"),
        ("addressing_style", "STORAGE_S3_ADDRESSING_STYLE"),
    ):
        if environ.get(variable):
            options[option] = environ[variable]
    return {"BACKEND": S3_BACKEND, "OPTIONS": options}


def file_storages(documents_root: str, environ: Mapping[str, str] = os.environ) -> dict:
    """The ``default`` and ``documents`` entries of ``STORAGES``."""
    if environ.get("STORAGE_S3_BUCKET"):
        return {
            "default": s3_storage(environ, environ.get("STORAGE_S3_UPLOADS_PREFIX") or "uploads"),
            "documents": s3_storage(
                environ, environ.get("STORAGE_S3_DOCUMENTS_PREFIX") or "documents"
            ),
        }
    return {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "documents": {
            "BACKEND": "reporting.storage.AtomicFileSystemStorage",
            "OPTIONS": {"location": documents_root, "file_permissions_mode": 0o640},
        },
    }
