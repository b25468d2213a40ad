"""Smoke test of the benchmark harness (``make bench``) on a tiny data set, in its own database."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from bench import seed
from bench.run import PAGE, bench_database_url, first_difference, normalised, parse_args

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "alize_bench_smoke"


def test_bench_url_never_names_the_demo_database():
    url = bench_database_url("postgres://postgres@127.0.0.1:5432/alize", "alize_bench")
    assert url == "postgres://postgres@127.0.0.1:5432/alize_bench"


def test_the_bench_serves_the_production_layout_by_default():
    """The bench measures the workers × threads production runs (alize/gunicorn.conf.py)."""
    conf = (Path(__file__).resolve().parent.parent / "alize" / "gunicorn.conf.py").read_text()
    workers = re.search(r'GUNICORN_WORKERS", "(\d+)"', conf).group(1)
    threads = re.search(r'GUNICORN_THREADS", "(\d+)"', conf).group(1)
    args = parse_args([])
    assert (args.workers, args.threads) == (int(workers), int(threads))


def test_fingerprint_changes_with_the_scale_and_is_stable():
    tiny, national = seed.SCALES["tiny"], seed.SCALES["national"]
    assert seed.fingerprint(tiny) == seed.fingerprint(tiny)
    assert seed.fingerprint(tiny) != seed.fingerprint(national)


def test_national_scale_meets_the_issue_minimums():
    national = seed.SCALES["national"]
    assert national.dispositifs >= 50
    assert national.companies >= 20_000
    assert national.projects >= 30_000


def test_floor_check_reports_a_differing_field_and_ignores_the_port():
    api = b'{"next":"http://127.0.0.1:8001/x/?cursor=a","previous":null,"results":[{"id":1,"a":2}]}'
    same = api.replace(b"8001", b"9002")
    other = same.replace(b'"a":2', b'"a":3')
    assert normalised(api) == normalised(same)
    assert normalised(api) != normalised(other)
    assert first_difference(200, api, 200, other) == "row 1 field a: 2 vs 3"
    assert first_difference(200, api, 401, other) == "status 200 (API) vs 401 (floor)"


def test_make_bench_runs_on_a_tiny_data_set(tmp_path):
    """Seeds (or reuses) a tiny bench database, serves the API and the floor, and measures."""
    output = tmp_path / "results.json"
    env = dict(os.environ)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    command = [sys.executable, "-m", "bench", "--scale", "tiny", "--database", DATABASE]
    command += ["--requests", "3", "--users", "3", "--seconds", "2", "--limit", "60"]
    command += ["--workers", "1", "--output", str(output)]
    result = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]

    data = json.loads(output.read_text())
    checks = data["floor_check"]
    assert len(checks) == 46
    assert all(check["equal"] for check in checks), checks
    first_pages = [c for c in checks if c["case"].endswith("first page")]
    assert first_pages and all(0 < c["rows"] <= PAGE for c in first_pages)
    assert {row["kind"] for row in data["rows"]} == {"api", "html"}
    floored = {check["case"] for check in checks}
    for row in data["rows"]:
        assert row["n"] == 3 and row["errors"] == 0, row
        assert row["queries"] and row["queries"] > 0, row
        assert row["p50_ms"] <= row["p95_ms"]
        if row["kind"] == "api" and row["case"] in floored:
            assert row["ratio_p50"] > 0
    indicators = {row["who"] for row in data["rows"] if row["case"] == "indicators"}
    assert indicators == {"coordinator", "api_client"}
    (run,) = data["concurrent"]
    assert run["errors"] == 0 and 0 < run["requests"] <= 60
    assert "floor check: 46/46" in result.stdout
    agenda, national = data["documents"]
    assert (agenda["case"], agenda["dossiers"]) == ("agenda", 30) and agenda["pages"] == 31
    assert national["case"] == "national" and national["pages"] >= 5
    assert all(row["seconds"] > 0 and row["peak_rss_mb"] > 0 for row in data["documents"])
