"""Gunicorn settings of the web service (``gunicorn -c alize/gunicorn.conf.py alize.wsgi``).

Workers and threads were chosen with ``make bench ARGS="--sweep 3x1,4x1,2x2,2x4"`` on a
2-core machine: 2 sync workers of 1 thread served the most requests per second with the lowest
p95 (20 concurrent users, national data set); more workers or threads only added contention.
A second sweep (``--sweep 3x1,2x2,4x1,2x4,4x2``, the browse mix of every list and page) kept
it: 2×1 had the lowest p95 of the six layouts, threads bought a little throughput for a
longer tail, and no layout answered an error. The bench serves this same default
(``bench/run.py``, held equal by ``tests/test_bench.py``). Give a bigger machine about one
worker per core and measure again; override with ``GUNICORN_WORKERS`` / ``GUNICORN_THREADS``.
"""

import gc
import os
import shutil
import tempfile

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "2"))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
preload_app = True
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-") or None
errorlog = "-"
# GUNICORN_GC_FREEZE=0 turns the freeze off, to measure what it brings.
GC_FREEZE = os.environ.get("GUNICORN_GC_FREEZE", "1") == "1"
# Each worker process writes its metrics here and /metrics/ adds them up (alize/metrics.py);
# set before the application (and prometheus_client) is loaded.
METRICS_DIR_OWNED = not os.environ.get("PROMETHEUS_MULTIPROC_DIR")
if METRICS_DIR_OWNED:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="alize-metrics-")


def when_ready(server):
    """Freeze what the preloaded app allocated, so forked workers share it copy-on-write and
    the collector never walks it again."""
    if GC_FREEZE:
        gc.freeze()


def post_worker_init(worker):
    """Freeze again once the worker is ready: long-lived objects leave the collector's
    generations, which removes the full-collection pauses behind the p95 tail."""
    if GC_FREEZE:
        gc.freeze()


def child_exit(server, worker):
    """A worker process gone: its live gauges no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    """The metrics folder made at start goes with the server."""
    if METRICS_DIR_OWNED:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
