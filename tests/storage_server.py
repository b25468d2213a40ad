"""A real S3-speaking server for the object storage tests (``moto`` in server mode), started
as a process of its own on a free local port, like the stack's PostgreSQL and Redis, and
stopped at the end of the session. Exposed as the ``s3_server`` and ``s3_documents``
fixtures (tests/conftest.py).

The platform reaches it through its ordinary settings (alize/settings/storage.py): the
same environment variables production sets, pointing at this server.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from pathlib import Path

import boto3
import requests

from tests.smtp import free_port

ACCESS_KEY = "alize-tests"
SECRET_KEY = "alize-tests-secret"  # noqa: S105 - the local test server's, accepts any
REGION = "eu-west-3"


class S3Server:
    """``python -m moto.server`` on 127.0.0.1; ``environ(bucket)`` is what the platform needs
    to store its files in one of its buckets."""

    def __init__(self, log: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("w") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the S3 server exited:\n{self.log.read_text()}")
            try:
                requests.get(self.url, timeout=5)
                return
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the S3 server did not answer within {timeout} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def client(self):
        return boto3.client(
            "s3",
            endpoint_url=self.url,
            region_name=REGION,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
        )

    def new_bucket(self) -> str:
        """A new private bucket (one per test: nothing leaks from one to the next)."""
        name = f"alize-tests-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION}
        )
        return name

    def environ(self, bucket: str) -> dict[str, str]:
        """The platform's environment for object storage in ``bucket`` of this server."""
        return {
            "STORAGE_S3_BUCKET": bucket,
            "STORAGE_S3_ENDPOINT_URL": self.url,
            "STORAGE_S3_REGION": REGION,
            "STORAGE_S3_ACCESS_KEY_ID": ACCESS_KEY,
            "STORAGE_S3_SECRET_ACCESS_KEY": SECRET_KEY,
            "STORAGE_S3_ADDRESSING_STYLE": "path",
        }
