"""Prepare the bench database: create it, migrate, seed, and open the measured sessions.

Run as ``python -m bench.prepare --scale national`` with ``DJANGO_SETTINGS_MODULE=bench.settings``
and ``DATABASE_URL`` naming the bench database (never the demo one). A database whose stored
fingerprint matches the data set wanted is reused as it is. Prints a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

import psycopg
from psycopg import sql


def admin_url(url: str) -> tuple[str, str]:
    """The maintenance database URL of the same server, and the bench database's name."""
    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info["dbname"]
    info["dbname"] = "postgres"
    return psycopg.conninfo.make_conninfo(**info), name


def stored_fingerprint(url: str) -> str | None:
    try:
        with psycopg.connect(url) as conn:
            row = conn.execute("SELECT value FROM bench_meta WHERE key = 'fingerprint'").fetchone()
            return row[0] if row else None
    except psycopg.Error:
        return None


def recreate_database(url: str) -> None:
    maintenance, name = admin_url(url)
    if not name.startswith("alize_bench"):
        raise SystemExit(f"Refusing to recreate {name!r}: bench databases are named alize_bench*.")
    with psycopg.connect(maintenance, autocommit=True) as conn:
        database = sql.Identifier(name)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(database))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(database))


def open_sessions(roles: list[str]) -> dict[str, str]:
    """A signed-in session per role, as the login view would leave it."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from alize.accounts.models import User

    keys = {}
    for role in roles:
        user = User.objects.get(role_assignments__role=role)
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = "alize.accounts.backends.EmailBackend"
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        keys[role] = session.session_key
    return keys


def missions_pages(seed) -> dict:
    """Which missions pages the platform serves (the web side adds them), and the week and
    year they are measured at (the reference day's)."""
    from django.urls import Resolver404, resolve

    served = {}
    for name, path in (("hours", "/missions/hours/"), ("fatigue", "/missions/fatigue/")):
        try:
            resolve(path)
            served[name] = True
        except Resolver404:
            served[name] = False
    year, week, _ = seed.REFERENCE_DAY.isocalendar()
    return {
        "missions_pages": served,
        "week": f"{year}-W{week:02d}",
        "reference_year": seed.REFERENCE_DAY.year,
    }


def bounds(url: str) -> dict[str, int]:
    """Ids the measured URLs need (deep cursor positions)."""
    with psycopg.connect(url) as conn:
        companies = conn.execute("SELECT MAX(id), COUNT(*) FROM pme_company").fetchone()
        projects = conn.execute("SELECT MAX(id), COUNT(*) FROM pme_project").fetchone()
        missions = conn.execute("SELECT MAX(id), COUNT(*) FROM missions_skillmission").fetchone()
        logs = conn.execute("SELECT MAX(id), COUNT(*) FROM missions_hourlog").fetchone()
        dispositifs = conn.execute("SELECT COUNT(*) FROM dispositifs_dispositif").fetchone()[0]
        advances = conn.execute("SELECT MAX(id), COUNT(*) FROM loans_advance").fetchone()
        lines = conn.execute("SELECT COUNT(*) FROM loans_ledgerline").fetchone()[0]
        fund = conn.execute(
            "SELECT f.id FROM loans_fund f JOIN dispositifs_dispositif d ON d.id = f.dispositif_id "
            "WHERE d.slug = 'bench-01' ORDER BY f.id LIMIT 1"
        ).fetchone()
    return {
        "companies_max_id": companies[0],
        "projects_max_id": projects[0],
        "missions_max_id": missions[0] or 0,
        "hour_logs_max_id": logs[0] or 0,
        "advances_max_id": advances[0] or 0,
        "fund_id": fund[0] if fund else 0,
        "size": f"{dispositifs} dispositifs, {companies[1]} companies, {projects[1]} projects, "
        f"{missions[1]} missions, {logs[1]} hour logs, {advances[1]} advances, "
        f"{lines} ledger lines",
    }


def main(argv: list[str] | None = None) -> int:
    import django

    from bench import seed

    parser = argparse.ArgumentParser(prog="python -m bench.prepare")
    parser.add_argument("--scale", choices=sorted(seed.SCALES), default="national")
    parser.add_argument("--reseed", action="store_true", help="seed again even if it matches")
    args = parser.parse_args(argv)

    url = os.environ["DATABASE_URL"]
    django.setup()
    from django.core.management import call_command

    scale = seed.SCALES[args.scale]
    wanted = seed.fingerprint(scale)
    summary: dict = {"fingerprint": wanted, "scale": scale.name}
    t0 = time.monotonic()
    if not args.reseed and stored_fingerprint(url) == wanted:
        summary["reused"] = True
        # Nothing to apply, but the post-migrate step brings the application role's grants
        # and the row-level security policies up to date (docs/decisions/0007).
        call_command("migrate", verbosity=0, interactive=False)
    else:
        summary["reused"] = False
        recreate_database(url)
        call_command("migrate", verbosity=0, interactive=False)
        summary["migrate_s"] = round(time.monotonic() - t0, 1)
        t1 = time.monotonic()
        summary["rows"] = seed.seed(url, scale)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
            conn.execute("CREATE TABLE bench_meta (key text PRIMARY KEY, value text NOT NULL)")
            conn.execute("INSERT INTO bench_meta VALUES ('fingerprint', %s)", (wanted,))
        summary["seed_s"] = round(time.monotonic() - t1, 1)
    summary.update(indicator_facts())
    summary["prepare_s"] = round(time.monotonic() - t0, 1)
    summary["sessions"] = open_sessions(["coordinator", "animateur", "expert"])
    summary.update(missions_pages(seed))
    summary["tokens"] = {
        role: seed.bench_token(role) for role in ("coordinator", "animateur", "api_client")
    }
    summary["animateur_dispositif"] = "bench-01"
    summary.update(bounds(url))
    json.dump(summary, sys.stdout)
    return 0


def indicator_facts() -> dict:
    """The indicators layer's facts of the seeded rows, computed once per bench database (the
    seeding writes with COPY, past the signals that keep them)."""
    from alize.indicators import facts
    from alize.models import IndicatorFact
    from alize.tenancy import scope

    with scope(every_dispositif=True, reason="bench: are the indicators' facts kept"):
        if IndicatorFact.objects.exists():
            return {"indicators_s": 0.0}
    started = time.monotonic()
    facts.refresh_all()
    return {"indicators_s": round(time.monotonic() - started, 1)}


if __name__ == "__main__":
    sys.exit(main())
