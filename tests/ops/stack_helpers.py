"""Driving the local stack (`make run`) from tests, on its own port and state.

The stack runs on its own port with its state in `.local/stack-tests` (``ALIZE_LOCAL_DIR``)
and its own embedded PostgreSQL and Redis, whatever DATABASE_URL / REDIS_URL say, so a
developer's `make run` is never touched.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / ".local" / "stack-tests"
PYTHON = str(ROOT / ".venv" / "bin" / "python")
if not Path(PYTHON).exists():
    PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# The job outbox's timings on every test stack (seconds): a sweep every 3 s, a queued job
# sent again after 8 s, a running one after 6 s without a heartbeat (one each second). The
# sweeper's schedule is a row of the stack's database, made once: every stack uses the same.
JOBS_ENV = {
    "ALIZE_JOBS_SWEEP_SECONDS": 3,
    "ALIZE_JOBS_QUEUED_GRACE": 8,
    "ALIZE_JOBS_HEARTBEAT_SECONDS": 1,
    "ALIZE_JOBS_HEARTBEAT_TIMEOUT": 6,
}


# The demo dispositifs the test stacks seed: what their tests read (a Hauts-de-France one for
# the region's API client, Chambéry's committee for the mailings); seeding all ten would
# take minutes.
DEMO_DISPOSITIFS = "valenciennes,chambery"


def stack_env(port: int) -> dict[str, str]:
    skip = {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "MAKEFLAGS"}
    env = {key: value for key, value in os.environ.items() if key not in skip}
    env.update(ALIZE_LOCAL_DIR=str(LOCAL), PORT=str(port), ALIZE_DEMO_DISPOSITIFS=DEMO_DISPOSITIFS)
    env.update({key: str(value) for key, value in JOBS_ENV.items()})
    return env


class Stack:
    """`make run` in its own process group, its output in a file; ``env`` is added to the
    environment of the stack (and so of its web, worker and beat)."""

    def __init__(self, *run_args: str, env: dict[str, str] | None = None):
        LOCAL.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.output = LOCAL / f"make-run-{self.port}.out"
        command = ["make", "--no-print-directory", "-o", ".venv/.installed", "run"]
        if run_args:
            command.append("RUN_ARGS=" + " ".join(run_args))
        with open(self.output, "w") as out:
            self.proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env={**stack_env(self.port), **(env or {})},
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def text(self) -> str:
        return self.output.read_text(errors="replace")

    def wait_for(self, needle: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text():
            assert self.proc.poll() is None, f"make run exited:\n{self.text()[-3000:]}"
            assert time.monotonic() < deadline, f"no {needle!r} in:\n{self.text()[-3000:]}"
            time.sleep(0.1)

    def sigterm_group(self, times: int = 1) -> None:
        for _ in range(times):
            os.killpg(self.proc.pid, signal.SIGTERM)

    def wait_exit(self, timeout: float = 40) -> None:
        self.proc.wait(timeout)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def leftovers() -> list[str]:
    """Processes of the test stack still running: anything with its ALIZE_LOCAL_DIR."""
    found = []
    for proc in psutil.process_iter(["pid", "name", "cmdline"]):
        if proc.pid == os.getpid():
            continue
        try:
            if proc.status() == psutil.STATUS_ZOMBIE:
                continue
            mine = proc.environ().get("ALIZE_LOCAL_DIR") == str(LOCAL)
            cwd = proc.cwd()
        except psutil.Error:
            continue
        if mine or cwd.startswith(str(LOCAL)):
            found.append(f"{proc.pid} {' '.join(proc.info['cmdline'] or [proc.info['name']])}")
    return found


def stale_state() -> dict:
    """What .local/stack-tests/stack.json still claims: live users and servers."""
    try:
        state = json.loads((LOCAL / "stack.json").read_text())
    except (OSError, ValueError):
        return {}
    return {key: state[key] for key in ("users", "postgres", "redis", "mail") if state.get(key)}


def wait_until(predicate, timeout: float, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    return predicate()


def get(url: str, headers: dict | None = None, timeout: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except OSError:
        return 0, ""


def children() -> dict[str, int]:
    record = json.loads((LOCAL / "run.json").read_text())
    return {child["name"]: child["pid"] for child in record["children"]}
