"""Query counts that cannot creep: a recorded baseline per route in ``query_counts.json``.

``assert_query_count`` compares one measured request with its baseline; a page going from
7 to 9 queries fails until the new figure is written into the file, which happens with
``pytest --update-query-counts`` (or ``UPDATE_QUERY_COUNTS=1``) and shows in the diff.
``assert_queries_do_not_grow`` also proves that more rows cost no more queries.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.db import connection
from django.test.utils import CaptureQueriesContext

from alize.indicators.reading import forget

BASELINE_FILE = Path(__file__).with_name("query_counts.json")

settings = {"update": False}
_measured: dict[str, int] = {}


def baselines() -> dict[str, int]:
    if not BASELINE_FILE.exists():
        return {}
    return json.loads(BASELINE_FILE.read_text())


def assert_query_count(key: str, queries: CaptureQueriesContext) -> None:
    """The number of queries ``queries`` captured equals the recorded baseline for ``key``."""
    count = len(queries)
    _measured[key] = count
    if settings["update"]:
        return
    expected = baselines().get(key)
    sql = [q["sql"] for q in queries.captured_queries]
    assert expected is not None, (
        f"no baseline for {key!r} ({count} queries): run pytest with --update-query-counts"
    )
    assert count == expected, (
        f"{key}: {count} queries, baseline {expected} (acknowledge a change with "
        f"--update-query-counts)",
        sql,
    )


def _answered(result):
    if hasattr(result, "status_code"):
        assert result.status_code == 200, result.status_code
    return result


def assert_queries_do_not_grow(key: str, fetch, add_rows):
    """``fetch()`` (a request, or any read) runs the baseline's number of queries, and as
    many after ``add_rows()``; the first call warms the caches (content types, token).
    Returns what the last ``fetch()`` returned."""
    _answered(fetch())
    # The reads kept in memory between requests (the indicators' facts) are measured cold.
    forget()
    with CaptureQueriesContext(connection) as few:
        _answered(fetch())
    add_rows()
    forget()
    with CaptureQueriesContext(connection) as many:
        result = _answered(fetch())
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert_query_count(key, few)
    return result


def measured() -> dict[str, int]:
    """The counts measured in this process so far."""
    return dict(_measured)


def record_measured(counts: dict[str, int]) -> None:
    """Counts measured by another process of the run (pytest-xdist), to write with these."""
    _measured.update(counts)


def write_baselines() -> None:
    """Merge the counts measured in this run into the baseline file (sorted, one per line)."""
    if not _measured:
        return
    merged = baselines() | _measured
    BASELINE_FILE.write_text(json.dumps(dict(sorted(merged.items())), indent=2) + "\n")
