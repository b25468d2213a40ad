"""A real OpenID Connect provider for the sign-in tests, run as a separate process.

Built on django-oauth-toolkit (OIDC enabled, an RS256 key generated at each start), with
its own SQLite database, its own people and its own clients, described by a JSON file
(``OIDC_PROVIDER_SETUP``). Two kinds of client misbehave on purpose, as a provider
misconfigured or replayed would: one signs ID tokens for another audience, one signs ID
tokens already expired. ``LocalProvider`` starts it on a free port and stops it.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LocalProvider:
    """The provider process: ``start()`` writes the setup, runs ``serve.py`` and waits for
    its discovery document; ``stop()`` ends that process."""

    def __init__(self, folder: Path, *, people: list[dict], clients: list[dict]):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.url}/o"
        self.people = people
        self.clients = clients
        self.process: subprocess.Popen | None = None

    def endpoints(self) -> dict[str, str]:
        return {
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/authorize/",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token/",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/userinfo/",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.issuer}/.well-known/jwks.json",
        }

    def start(self, timeout: float = 90) -> None:
        setup = self.folder / "setup.json"
        setup.write_text(
            json.dumps(
                {
                    "database": str(self.folder / "provider.sqlite3"),
                    "issuer": self.issuer,
                    "people": self.people,
                    "clients": self.clients,
                }
            )
        )
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.oidc_provider.settings",
            "OIDC_PROVIDER_SETUP": str(setup),
            "PYTHONPATH": str(ROOT),
        }
        env.pop("DATABASE_URL", None)
        self.log = (self.folder / "provider.log").open("wb")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.oidc_provider.serve", str(self.port)],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        discovery = f"{self.issuer}/.well-known/openid-configuration"
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                if requests.get(discovery, timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        self.stop()
        log = (self.folder / "provider.log").read_text(errors="replace")
        raise RuntimeError(f"The local OpenID Connect provider did not start:\n{log[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None
        if getattr(self, "log", None):
            self.log.close()
