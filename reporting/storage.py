"""Where document files live: a Django storage backend (``STORAGES["documents"]``), a folder
outside any served URL locally, a private bucket of an S3-compatible object store in
production (alize/settings/storage.py)."""

from __future__ import annotations

import os
import tempfile

from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.utils.functional import LazyObject, empty


class AtomicFileSystemStorage(FileSystemStorage):
    """A file system storage that writes each file whole or not at all: the bytes go to a
    temporary file in the same folder, are flushed to disk, then renamed over the final
    name (a killed job never leaves half a document under a real name). The same name
    written again replaces the file, so a job run twice keeps one file."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_overwrite", True)
        super().__init__(**kwargs)

    def _save(self, name, content):
        full_path = self.path(name)
        directory = os.path.dirname(full_path)
        os.makedirs(directory, exist_ok=True)
        handle, partial = tempfile.mkstemp(dir=directory, prefix=".partial-")
        try:
            with os.fdopen(handle, "wb") as output:
                for chunk in content.chunks():
                    output.write(chunk)
                output.flush()
                os.fsync(output.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(partial, self.file_permissions_mode)
            os.replace(partial, full_path)
        except BaseException:
            if os.path.exists(partial):
                os.unlink(partial)
            raise
        return str(name).replace("\\", "/")


class DocumentsStorage(LazyObject):
    """``STORAGES["documents"]``, looked up when first used rather than when the model is
    defined, and again after the setting changes (a test pointing it at an object store)."""

    def _setup(self):
        self._wrapped = storages["documents"]


documents = DocumentsStorage()


@receiver(setting_changed)
def _forget_documents_storage(*, setting, **kwargs):
    if setting == "STORAGES":
        documents._wrapped = empty


def documents_storage():
    """The storage of generated documents (a callable, so settings decide it at run time)."""
    return documents
