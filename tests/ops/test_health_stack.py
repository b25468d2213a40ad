"""/health/ on real processes: a Redis server (the binary the local stack runs), the web
under gunicorn and a Celery worker, on free ports, against the test database. With all of
them up it answers 200; with Redis stopped, 503 naming Redis (and the worker, reached
through it) within seconds; with Redis back, 200 again. A few seconds, not a full
`make run` with its demo data."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from devstack.stack import redis_binary, redis_ping
from tests.celery_worker import database_url_for_test_database
from tests.ops.stack_helpers import PYTHON, ROOT, free_port, get, wait_until

pytestmark = [
    pytest.mark.stack,
    pytest.mark.real_clock(reason="the processes run on the real clock"),
]


def start_redis(port: int, folder: Path) -> subprocess.Popen:
    folder.mkdir(parents=True, exist_ok=True)
    command = [str(redis_binary()), "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(folder)]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert wait_until(lambda: redis_ping(port), 10), "Redis did not start"
    return server


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def health(port: int) -> tuple[int, dict]:
    status, body = get(f"http://127.0.0.1:{port}/health/", timeout=15)
    return status, (json.loads(body) if body.startswith("{") else {})


def test_health_answers_503_naming_redis_while_redis_is_stopped(transactional_db, tmp_path):
    redis_port, web_port = free_port(), free_port()
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_SETTINGS_MODULE", "MAKEFLAGS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="alize.settings.local",
        ALIZE_LOCAL_DIR=str(tmp_path),
        DATABASE_URL=database_url_for_test_database(),
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/0",
        DOCUMENTS_ROOT=str(tmp_path / "documents"),
        GUNICORN_WORKERS="1",
    )
    (tmp_path / "documents").mkdir()
    redis = start_redis(redis_port, tmp_path / "redis")
    logs = tmp_path / "logs.txt"
    with logs.open("w") as output:
        web = subprocess.Popen(
            [PYTHON, "-m", "gunicorn", "-c", "alize/gunicorn.conf.py", "alize.wsgi:application"]
            + ["--bind", f"127.0.0.1:{web_port}"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        worker = subprocess.Popen(
            [PYTHON, "-m", "celery", "-A", "alize", "worker", "--pool", "solo"]
            + ["--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        up = wait_until(lambda: health(web_port)[0] == 200, 90, step=0.5)
        assert up, (health(web_port), logs.read_text()[-3000:])

        stop(redis)
        stopped_at = time.monotonic()
        status, body = health(web_port)
        took = time.monotonic() - stopped_at
        assert status == 503, body
        assert body["failing"] == ["redis", "worker"]
        assert body["checks"]["database"] == "ok" and body["checks"]["storage"] == "ok"
        print(f"Redis stopped: /health/ answered 503 naming it in {took:.2f} s")
        assert took < 10

        redis = start_redis(redis_port, tmp_path / "redis")
        assert wait_until(lambda: health(web_port)[0] == 200, 60, step=0.5), health(web_port)
    finally:
        for process in (worker, web, redis):
            stop(process)
