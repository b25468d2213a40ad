"""The benchmark run: prepare the bench database, serve the API and the floor with the same
gunicorn, check the floor's output equals the API's, measure, and print and save one table.

Everything listens on 127.0.0.1 only; the concurrent run is bounded in requests and seconds.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib import parse

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
HOST = "127.0.0.1"
DEFAULT_OUTPUT = ROOT / ".local" / "bench" / "results.json"
PAGE = 100


@dataclass
class Case:
    """One measured URL as one identity; ``floor`` when the floor answers it too."""

    name: str
    kind: str  # "api" or "html"
    path: str
    who: str
    floor: bool = False


@dataclass
class Sample:
    ms: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    errors: int = 0


def bench_database_url(url: str, name: str) -> str:
    """``url`` with its database replaced by ``name`` (the bench never uses the demo's)."""
    parts = parse.urlsplit(url)
    return parse.urlunsplit(parts._replace(path="/" + name))


def cursor_for(position: int) -> str:
    return base64.b64encode(parse.urlencode({"p": str(position)}).encode()).decode()


def build_cases(info: dict) -> list[Case]:
    """API lists (first page, a deep cursor page, each main filter) and HTML list pages, for
    the coordinator and for an animateur."""
    slug = info["animateur_dispositif"]
    deep_company = cursor_for(info["companies_max_id"] // 3)
    deep_project = cursor_for(info["projects_max_id"] // 3)
    deep_mission = cursor_for(info["missions_max_id"] // 3)
    deep_log = cursor_for(info["hour_logs_max_id"] // 3)
    deep_advance = cursor_for(info["advances_max_id"] // 3)
    api = [
        ("companies first page", f"/api/v1/companies/?page_size={PAGE}"),
        ("companies deep cursor", f"/api/v1/companies/?page_size={PAGE}&cursor={deep_company}"),
        ("companies ?dispositif", f"/api/v1/companies/?page_size={PAGE}&dispositif={slug}"),
        ("companies ?naf_code", f"/api/v1/companies/?page_size={PAGE}&naf_code=25"),
        ("companies ?q", f"/api/v1/companies/?page_size={PAGE}&q=entreprise%20b"),
        ("projects first page", f"/api/v1/projects/?page_size={PAGE}"),
        ("projects deep cursor", f"/api/v1/projects/?page_size={PAGE}&cursor={deep_project}"),
        ("projects ?dispositif", f"/api/v1/projects/?page_size={PAGE}&dispositif={slug}"),
        ("projects ?stage", f"/api/v1/projects/?page_size={PAGE}&stage=approved"),
        ("projects ?project_type", f"/api/v1/projects/?page_size={PAGE}&project_type=export"),
        ("missions first page", f"/api/v1/missions/?page_size={PAGE}"),
        ("missions deep cursor", f"/api/v1/missions/?page_size={PAGE}&cursor={deep_mission}"),
        ("missions ?dispositif", f"/api/v1/missions/?page_size={PAGE}&dispositif={slug}"),
        ("missions ?status", f"/api/v1/missions/?page_size={PAGE}&status=in_progress"),
        ("hour logs first page", f"/api/v1/hour-logs/?page_size={PAGE}"),
        ("hour logs deep cursor", f"/api/v1/hour-logs/?page_size={PAGE}&cursor={deep_log}"),
        ("hour logs ?dispositif", f"/api/v1/hour-logs/?page_size={PAGE}&dispositif={slug}"),
        ("hour logs ?date_after", f"/api/v1/hour-logs/?page_size={PAGE}&date_after=2026-06-01"),
        ("advances first page", f"/api/v1/advances/?page_size={PAGE}"),
        ("advances deep cursor", f"/api/v1/advances/?page_size={PAGE}&cursor={deep_advance}"),
        ("advances ?dispositif", f"/api/v1/advances/?page_size={PAGE}&dispositif={slug}"),
        ("advances ?status", f"/api/v1/advances/?page_size={PAGE}&status=in_arrears"),
        ("fund balance", f"/api/v1/funds/{info['fund_id']}/"),
    ]
    html = [
        ("companies page", "/pme/entreprises/"),
        ("projects page", "/pme/projets/"),
        ("committees page", "/comites/"),
        ("funnel page", "/pme/entonnoir/"),
        ("advances page", "/advances/"),
        ("fund page", f"/funds/{info['fund_id']}/"),
        ("arrears page", "/advances/arrears/"),
        # The indicators dashboard: every dispositif for the coordinator, one with the
        # network median for the animateur; the home page opens with it.
        ("dashboard page", f"/indicateurs/?year={info['reference_year']}"),
        ("home page", "/"),
    ]
    # The missions pages, measured once the web side serves them (``prepare`` says which).
    pages = info.get("missions_pages", {})
    if pages.get("fatigue"):
        html.append(("fatigue page", f"/missions/fatigue/?year={info['reference_year']}"))
    cases = []
    for who in ("coordinator", "animateur"):
        cases += [Case(name, "api", path, who, floor=True) for name, path in api]
        cases += [Case(name, "html", path, who) for name, path in html]
    if pages.get("hours"):
        cases.append(
            Case("week grid page", "html", f"/missions/hours/?week={info['week']}", "expert")
        )
    # The indicators of a full year: every dispositif and the totals for the coordination,
    # a region's with statistical secrecy for its API client (no floor: nothing to list).
    indicators = f"/api/v1/indicators/?year={info['reference_year'] - 1}"
    cases += [Case("indicators", "api", indicators, who) for who in ("coordinator", "api_client")]
    return cases


def headers_for(case: Case, info: dict) -> dict[str, str]:
    if case.kind == "api":
        return {"Authorization": f"Token {info['tokens'][case.who]}"}
    return {"Cookie": f"sessionid={info['sessions'][case.who]}"}


def fetch(port: int, path: str, headers: dict[str, str], timeout: float = 60):
    """One GET on a new connection: (status, body, milliseconds, query count or None)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    t0 = time.perf_counter()
    try:
        conn.request("GET", path, headers={"Host": f"{HOST}:{port}", **headers})
        response = conn.getresponse()
        body = response.read()
        ms = (time.perf_counter() - t0) * 1000
        queries = response.getheader("X-Bench-Queries")
        return response.status, body, ms, int(queries) if queries else None
    finally:
        conn.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Server:
    """A gunicorn started by the bench with the project's config file, in its own group."""

    def __init__(self, app: str, env: dict[str, str], workers: int, threads: int, log: Path):
        self.port = free_port()
        self.log = log.open("ab")
        command = [PYTHON, "-m", "gunicorn", app, "-c", str(ROOT / "alize/gunicorn.conf.py")]
        command += ["--bind", f"{HOST}:{self.port}", "--workers", str(workers)]
        command += ["--threads", str(threads)]
        env = {**env, "GUNICORN_ACCESS_LOG": ""}
        self.proc = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=self.log, stderr=self.log, start_new_session=True
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{app} did not start; see {log}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{app} did not listen within 60 s; see {log}")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def normalised(body: bytes) -> dict:
    """The JSON with pagination links reduced to path and query (the ports differ)."""
    data = json.loads(body)
    for key in ("next", "previous"):
        if data.get(key):
            parts = parse.urlsplit(data[key])
            data[key] = parse.urlunsplit(("", "", parts.path, parts.query, ""))
    return data


def check_floor(cases: list[Case], info: dict, api_port: int, floor_port: int) -> list[dict]:
    """Compare, for every API case, the API's answer with the floor's (after json.loads)."""
    report = []
    for case in cases:
        if not case.floor:
            continue
        headers = headers_for(case, info)
        api_status, api_body, *_ = fetch(api_port, case.path, headers)
        floor_status, floor_body, *_ = fetch(floor_port, case.path, headers)
        equal = api_status == floor_status == 200 and normalised(api_body) == normalised(floor_body)
        entry = {"case": f"{case.who} {case.name}", "equal": equal, "bytes_equal": False}
        entry["bytes_equal"] = equal and api_body == floor_body.replace(
            f":{floor_port}/".encode(), f":{api_port}/".encode()
        )
        entry["rows"] = len(json.loads(api_body).get("results", [])) if api_status == 200 else 0
        if not equal:
            entry["detail"] = first_difference(api_status, api_body, floor_status, floor_body)
        report.append(entry)
    return report


def first_difference(api_status, api_body, floor_status, floor_body) -> str:
    if api_status != floor_status:
        return f"status {api_status} (API) vs {floor_status} (floor)"
    api, floor = normalised(api_body), normalised(floor_body)
    for key in ("next", "previous"):
        if api.get(key) != floor.get(key):
            return f"{key}: {api.get(key)} vs {floor.get(key)}"
    if "results" not in api or "results" not in floor:
        return "the bodies differ"
    if len(api["results"]) != len(floor["results"]):
        return f"{len(api['results'])} rows vs {len(floor['results'])}"
    for a, b in zip(api["results"], floor["results"], strict=True):
        for name in a.keys() | b.keys():
            if a.get(name) != b.get(name):
                return f"row {a.get('id')} field {name}: {a.get(name)!r} vs {b.get(name)!r}"
    return "differs"


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def measure(cases, info, ports, requests: int, rng: random.Random) -> dict:
    """Interleaved, shuffled requests: ``requests`` per case and target (API and floor)."""
    plan = []
    for index, case in enumerate(cases):
        targets = ["app", "floor"] if case.floor else ["app"]
        plan += [(index, target) for target in targets for _ in range(requests)]
    for case in cases:  # warm-up, not recorded
        for target in ["app", "floor"] if case.floor else ["app"]:
            for _ in range(3):
                fetch(ports[target], case.path, headers_for(case, info))
    rng.shuffle(plan)
    samples = {(i, t): Sample() for i, t in set(plan)}
    for index, target in plan:
        case = cases[index]
        status, _body, ms, queries = fetch(ports[target], case.path, headers_for(case, info))
        sample = samples[(index, target)]
        if status != 200:
            sample.errors += 1
            continue
        sample.ms.append(ms)
        if queries is not None:
            sample.queries.append(queries)
    return samples


def concurrent_run(cases, info, port: int, users: int, seconds: float, limit: int) -> dict:
    """``users`` threads on 127.0.0.1 for at most ``seconds`` and ``limit`` requests in all."""
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]
    issued = [0]
    deadline = time.monotonic() + seconds

    def user(seed: int) -> None:
        rng = random.Random(seed)  # noqa: S311
        while time.monotonic() < deadline:
            with lock:
                if issued[0] >= limit:
                    return
                issued[0] += 1
            case = rng.choice(cases)
            try:
                status, _body, ms, _queries = fetch(port, case.path, headers_for(case, info), 30)
            except OSError:
                status, ms = 0, 0.0
            with lock:
                if status == 200:
                    latencies.append(ms)
                else:
                    errors[0] += 1

    t0 = time.monotonic()
    threads = [threading.Thread(target=user, args=(n,)) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - t0
    return {
        "users": users,
        "seconds": round(elapsed, 1),
        "requests": len(latencies) + errors[0],
        "errors": errors[0],
        "rps": round((len(latencies) + errors[0]) / elapsed, 1) if elapsed else 0.0,
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
    }


def prepare(env: dict[str, str], scale: str, reseed: bool) -> dict:
    command = [PYTHON, "-m", "bench.prepare", "--scale", scale] + (["--reseed"] if reseed else [])
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError("bench.prepare failed:\n" + result.stderr[-4000:])
    return json.loads(result.stdout)


def documents(env: dict[str, str]) -> list[dict]:
    """The PDF rows (``bench.documents``): one process per case, for its own peak memory."""
    rows = []
    for case in ("agenda", "national"):
        command = [PYTHON, "-m", "bench.documents", case]
        result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"bench.documents {case} failed:\n" + result.stderr[-4000:])
        rows.append(json.loads(result.stdout.strip().splitlines()[-1]))
    return rows


def rows_of(cases, samples) -> list[dict]:
    rows = []
    for index, case in enumerate(cases):
        app = samples[(index, "app")]
        row = {
            "who": case.who,
            "kind": case.kind,
            "case": case.name,
            "path": case.path,
            "n": len(app.ms),
            "errors": app.errors,
            "p50_ms": round(percentile(app.ms, 0.5), 1),
            "p95_ms": round(percentile(app.ms, 0.95), 1),
            "queries": round(statistics.median(app.queries)) if app.queries else None,
        }
        if case.floor:
            floor = samples[(index, "floor")]
            row["floor_p50_ms"] = round(percentile(floor.ms, 0.5), 1)
            row["floor_p95_ms"] = round(percentile(floor.ms, 0.95), 1)
            row["ratio_p50"] = round(row["p50_ms"] / row["floor_p50_ms"], 1)
            row["ratio_p95"] = round(row["p95_ms"] / row["floor_p95_ms"], 1)
        rows.append(row)
    return rows


def format_table(result: dict) -> str:
    """The one table: per URL and identity, p50/p95, the floor and the ratio, queries."""
    lines = []
    meta = result["meta"]
    lines.append(
        f"Alizé bench — scale {meta['scale']} ({meta['rows_summary']}), "
        f"gunicorn {meta['workers']} workers × {meta['threads']} threads"
        f"{'' if meta['gc_freeze'] else ', no gc.freeze'}"
        f"{'' if meta['atomic_requests'] else ', no ATOMIC_REQUESTS'}, "
        f"{meta['requests']} requests per row, interleaved"
    )
    header = (
        f"{'who':<12} {'list':<24} {'p50':>7} {'p95':>7} {'floor p50':>9} "
        f"{'floor p95':>9} {'×p50':>5} {'×p95':>5} {'queries':>7} {'err':>4}"
    )
    lines += [header, "-" * len(header)]
    for row in result["rows"]:
        lines.append(
            f"{row['who']:<12} {(row['kind'] + ' ' + row['case'])[:24]:<24} "
            f"{row['p50_ms']:>7.1f} {row['p95_ms']:>7.1f} "
            f"{_num(row.get('floor_p50_ms')):>9} {_num(row.get('floor_p95_ms')):>9} "
            f"{_num(row.get('ratio_p50')):>5} {_num(row.get('ratio_p95')):>5} "
            f"{_num(row['queries'], 0):>7} {row['errors']:>4}"
        )
    checks = result["floor_check"]
    equal = sum(1 for c in checks if c["equal"])
    identical = sum(1 for c in checks if c["bytes_equal"])
    lines.append(
        f"floor check: {equal}/{len(checks)} lists equal after json.loads "
        f"({identical} byte-identical)"
    )
    for check in checks:
        if not check["equal"]:
            lines.append(f"  DIFFERS {check['case']}: {check.get('detail')}")
    for run in result["concurrent"]:
        lines.append(
            f"concurrent ({run['label']}): {run['users']} users, {run['requests']} requests in "
            f"{run['seconds']} s: {run['rps']} req/s, p50 {run['p50_ms']} ms, "
            f"p95 {run['p95_ms']} ms, {run['errors']} errors"
        )
    for row in result.get("documents", []):
        what = (
            f"agenda of {row['dossiers']} dossiers"
            if row["case"] == "agenda"
            else f"national annual report {row['year']}"
        )
        lines.append(
            f"PDF {what}: {row['seconds']} s, peak memory {row['peak_rss_mb']} MB "
            f"(process, {row['rss_before_mb']} MB before), {row['pages']} pages"
        )
    lines.append(f"times: {meta['timings']}")
    return "\n".join(lines)


def _num(value, digits: int = 1) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--scale", default="national", help="national (default) or tiny")
    parser.add_argument("--requests", type=int, default=150, help="per list and target")
    # The production layout (alize/gunicorn.conf.py); tests/test_bench.py keeps them equal.
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--users", type=int, default=20, help="concurrent run: users")
    parser.add_argument("--seconds", type=float, default=20, help="concurrent run: time bound")
    parser.add_argument("--limit", type=int, default=2000, help="concurrent run: request bound")
    parser.add_argument(
        "--sweep",
        default="",
        help="workers×threads to try in the concurrent run, e.g. 2x1,3x1,2x2,4x1",
    )
    parser.add_argument("--no-gc-freeze", action="store_true", help="serve without gc.freeze()")
    parser.add_argument(
        "--no-atomic", action="store_true", help="serve without ATOMIC_REQUESTS (read-only lists)"
    )
    parser.add_argument("--only", choices=["api", "html"], help="measure only these lists")
    parser.add_argument("--database", default="", help="bench database name (alize_bench*)")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--output", default=str(DEFAULT_OUTPUT))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    base_url = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alize")
    name = args.database or ("alize_bench" if args.scale == "national" else "alize_bench_tiny")
    env = dict(os.environ)
    env.update(
        DATABASE_URL=bench_database_url(base_url, name),
        DJANGO_SETTINGS_MODULE="bench.settings",
        PYTHONUNBUFFERED="1",
        GUNICORN_GC_FREEZE="0" if args.no_gc_freeze else "1",
        BENCH_ATOMIC_REQUESTS="0" if args.no_atomic else "1",
    )
    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    log = output.parent / "servers.log"
    timings = {}

    print(f"==> Preparing {name} (scale {args.scale})", flush=True)
    info = prepare(env, args.scale, args.reseed)
    timings["prepare_s"] = info["prepare_s"]
    print(
        "    reused (fingerprint matches)"
        if info["reused"]
        else f"    migrated in {info['migrate_s']} s, seeded in {info['seed_s']} s: {info['rows']}",
        flush=True,
    )
    print("==> Building the PDFs (agenda, national annual report)", flush=True)
    t0 = time.monotonic()
    pdf_rows = documents(env)
    timings["documents_s"] = round(time.monotonic() - t0, 1)
    cases = [c for c in build_cases(info) if args.only in (None, c.kind)]
    rng = random.Random(20260101)  # noqa: S311
    servers = []
    try:
        app = Server("alize.wsgi:application", env, args.workers, args.threads, log)
        servers.append(app)
        floor = Server("bench.floor:application", env, args.workers, args.threads, log)
        servers.append(floor)
        ports = {"app": app.port, "floor": floor.port}
        print("==> Checking the floor's output against the API's", flush=True)
        checks = check_floor(cases, info, app.port, floor.port)
        t0 = time.monotonic()
        print(f"==> Measuring {len(cases)} lists, {args.requests} requests each", flush=True)
        samples = measure(cases, info, ports, args.requests, rng)
        timings["measure_s"] = round(time.monotonic() - t0, 1)
        print(f"==> Concurrent run: {args.users} users, ≤ {args.seconds} s", flush=True)
        concurrent = [
            {
                "label": f"{args.workers}x{args.threads}",
                **concurrent_run(cases, info, app.port, args.users, args.seconds, args.limit),
            }
        ]
        floor.stop()
        app.stop()
        servers.clear()
        for config in [c for c in args.sweep.split(",") if c]:
            workers, threads = (int(n) for n in config.split("x"))
            server = Server("alize.wsgi:application", env, workers, threads, log)
            servers.append(server)
            for case in cases:
                fetch(server.port, case.path, headers_for(case, info))
            run = concurrent_run(cases, info, server.port, args.users, args.seconds, args.limit)
            concurrent.append({"label": config, **run})
            server.stop()
            servers.clear()
    finally:
        for server in servers:
            server.stop()
    timings["total_s"] = round(time.monotonic() - started, 1)
    result = {
        "meta": {
            "scale": args.scale,
            "database": name,
            "fingerprint": info["fingerprint"],
            "reused": info["reused"],
            "rows_summary": info["size"],
            "workers": args.workers,
            "threads": args.threads,
            "gc_freeze": not args.no_gc_freeze,
            "atomic_requests": not args.no_atomic,
            "requests": args.requests,
            "timings": timings,
            "cpu_count": os.cpu_count(),
        },
        "rows": rows_of(cases, samples),
        "floor_check": checks,
        "concurrent": concurrent,
        "documents": pdf_rows,
        "cases": [asdict(case) for case in cases],
    }
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False))
    print()
    print(format_table(result))
    print(f"\nSaved to {output}")
    return 0 if all(check["equal"] for check in checks) else 1
