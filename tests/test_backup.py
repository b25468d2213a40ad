"""Backups that restore (alize.backup): the restore drill seeds both dispositifs of the tests'
world (missions, funds with their ledger, a built agenda PDF and other documents), backs
them up, restores them with ``manage.py restore`` (production settings, as an operator runs
it) into a new database and a new documents folder, and finds there, as the application's
role under row-level security, the same rows, ledger balances and document checksums."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import urllib.parse
from contextlib import contextmanager
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.apps import apps
from django.conf import settings
from django.core.files.storage import FileSystemStorage, storages
from django.core.management import call_command
from django.db import connection, transaction
from psycopg import sql

from alize import backup, row_security
from alize.tenancy import scope
from loans import services as loan_services
from loans.ledger import balances_by
from reporting import runner
from reporting import services as document_services
from reporting.models import Document, DocumentKind
from tests.clock import TODAY
from tests.loans.builders import D, advance_at, make_fund
from tests.reporting.conftest import add_missions_and_loans, make_document, make_sitting

ROOT = Path(settings.BASE_DIR)


def seed(world) -> None:
    """Rows in both dispositifs: in A a mission with its hours, a fund with a disbursed
    advance and a committee whose agenda is built (a real PDF); in B a fund of two
    contributions with an advance partly repaid; documents of B and of the whole network."""
    with transaction.atomic():
        add_missions_and_loans(world)
        advance = advance_at(
            "disbursed", make_fund(world.b, contributions=(D("80000.00"), D("20000.00")))
        )
        with scope(every_dispositif=True, reason="test setup"):
            loan_services.repayment_record(
                advance=advance,
                amount=D("2500.00"),
                received_on=TODAY,
                idempotency_key="drill",
                by=None,
            )
        sitting = make_sitting(world.a)
        with scope([world.a]):
            agenda, _created = document_services.document_find_or_create(
                kind=DocumentKind.AGENDA, committee=sitting.committee, by=None
            )
        with runner.document_scope(agenda):
            runner.build_and_store(agenda.pk)
        make_document(world.b)
        make_document(None)


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._base_manager.count() for model in apps.get_models()}


def ledger_balances() -> dict:
    with scope(every_dispositif=True, reason="test referee: every fund's balances"):
        return balances_by("fund")


def document_checksums(storage) -> dict[str, str]:
    checksums = {}
    for name in Document.objects.exclude(file="").values_list("file", flat=True):
        with storage.open(name, "rb") as handle:
            checksums[name] = hashlib.sha256(handle.read()).hexdigest()
    return checksums


def run_owner_sql(statement: sql.Composable) -> None:
    with row_security.as_owner(), connection.cursor() as cursor:
        cursor.execute(statement.as_string(cursor.connection))


@contextmanager
def connected_to(database: str):
    """The test's connection (the application's role) on another database for the block."""
    original = connection.settings_dict["NAME"]
    connection.close()
    connection.settings_dict["NAME"] = database
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict["NAME"] = original


@pytest.fixture
def fresh_database(transactional_db):
    """An empty database next to the test database, dropped afterwards."""
    name = f"{connection.settings_dict['NAME']}_restored"
    run_owner_sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
    run_owner_sql(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    yield name
    run_owner_sql(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def manage(*args: str, database: str, documents: Path) -> subprocess.CompletedProcess:
    """``manage.py`` in its own process with the production settings, on ``database`` of the
    tests' server (as its owner) and the documents folder ``documents``."""
    url = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "alize.settings.production",
        "DJANGO_SECRET_KEY": "restore-drill-" + "x" * 50,
        "ALLOWED_HOSTS": "alize.example.org",
        "DATABASE_URL": url._replace(path="/" + urllib.parse.quote(database)).geturl(),
        "DATABASE_APP_USER": row_security.application_role(),
        "DOCUMENTS_ROOT": str(documents),
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture
def new_documents():
    """The tests' documents storage; the files a test adds to it are removed afterwards."""
    storage = storages["documents"]
    before = set(backup.stored_names(storage))
    yield storage
    for name in set(backup.stored_names(storage)) - before:
        storage.delete(name)


def test_restore_drill(world, fresh_database, new_documents, tmp_path):
    seed(world)
    counts, balances = row_counts(), ledger_balances()
    checksums = document_checksums(new_documents)
    assert counts["loans.LedgerLine"] and counts["missions.HourLog"] and len(balances) == 2
    assert len(checksums) == 3
    with new_documents.open(Document.objects.get(kind=DocumentKind.AGENDA).file.name) as pdf:
        assert pdf.read(5) == b"%PDF-"

    output = StringIO()
    call_command("backup", output_dir=str(tmp_path / "backups"), keep=2, stdout=output)
    [folder] = backup.backups(tmp_path / "backups")
    assert f"Backup written: {folder}" in output.getvalue()
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["tables"]["loans_ledgerline"] == counts["loans.LedgerLine"]
    assert set(manifest["figures"]["ledger"]["funds"]) == {str(pk) for pk in balances}
    assert {
        name: entry["sha256"]
        for name, entry in manifest["storages"]["documents"].items()
        if name in checksums
    } == checksums

    with connected_to(fresh_database), pytest.raises(backup.BackupError, match="lacks \\d+ migr"):
        backup.create(tmp_path / "refused")  # an empty database: no figures to measure
    assert list((tmp_path / "refused").iterdir()) == []  # its partial folder is gone

    restored_documents = tmp_path / "restored-documents"
    result = manage("restore", str(folder), database=fresh_database, documents=restored_documents)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Restored {folder.name} and checked it." in result.stdout

    with connected_to(fresh_database):
        # The application's role reads the restored rows through row-level security.
        assert row_counts() == counts
        assert ledger_balances() == balances
        assert document_checksums(FileSystemStorage(location=restored_documents)) == checksums
        tables = row_security.tenant_tables()
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid"
                " WHERE c.relrowsecurity AND c.relforcerowsecurity AND p.polname = %s"
                " AND has_table_privilege(current_user, c.oid, 'SELECT')"
                " AND has_table_privilege(current_user, c.oid, 'INSERT')"
                " AND has_table_privilege(current_user, c.oid, 'UPDATE')"
                " AND has_table_privilege(current_user, c.oid, 'DELETE')"
                " AND pg_get_userbyid(c.relowner) <> current_user",
                [row_security.POLICY],
            )
            assert {row[0] for row in cursor.fetchall()} == set(tables)

    # Restoring again is refused: the database holds tables now.
    again = manage("restore", str(folder), database=fresh_database, documents=restored_documents)
    assert again.returncode == 1
    assert f"The database {fresh_database!r} holds tables" in again.stderr


@pytest.mark.parametrize("damaged", ["dump", "document"])
def test_a_damaged_backup_is_refused_before_anything_is_written(damaged, tmp_path, new_documents):
    folder = tmp_path / "alize-20260610T080000Z"
    (folder / "storage" / "documents" / "7").mkdir(parents=True)
    dump = b"the dump"
    (folder / "database.dump").write_bytes(dump)
    (folder / "storage" / "documents" / "7" / "rapport.pdf").write_bytes(b"%PDF-1.7 altered")
    good = {"sha256": hashlib.sha256(dump).hexdigest(), "size": len(dump)}
    bad = {"sha256": hashlib.sha256(b"%PDF-1.7 original").hexdigest(), "size": 17}
    manifest = {
        "format": backup.FORMAT,
        "name": folder.name,
        "database": {"file": "database.dump", **(bad if damaged == "dump" else good)},
        "tables": {},
        "figures": {},
        "storages": {"documents": {"7/rapport.pdf": good if damaged == "dump" else bad}},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    damaged_file = "database.dump" if damaged == "dump" else "rapport.pdf"
    with pytest.raises(backup.BackupError, match=f"{damaged_file} does not match its checksum"):
        backup.restore(folder)
    assert not new_documents.exists("7/rapport.pdf")


def test_retention_keeps_the_newest_complete_backups(tmp_path):
    names = [f"alize-2026060{day}T020000Z" for day in range(1, 6)]
    for name in names:
        (tmp_path / name).mkdir()
        (tmp_path / name / "manifest.json").write_text("{}")
    others = [".partial-alize-20260606T020000Z", "alize-20260607T020000Z", "notes"]
    for name in others:  # one being written, one without its manifest, another folder
        (tmp_path / name).mkdir()
    removed = backup.prune(tmp_path, keep=2)
    assert [path.name for path in removed] == names[:3]
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(names[3:] + others)
    assert [path.name for path in backup.backups(tmp_path)] == names[3:]
    with pytest.raises(backup.BackupError):
        backup.prune(tmp_path, keep=0)


def test_client_programs_must_match_the_servers_major_version(db):
    server = connection.pg_version
    pg_dump = backup.client_program("pg_dump", server)
    version = subprocess.run([pg_dump, "--version"], capture_output=True, text=True).stdout
    assert re.search(rf"\(PostgreSQL\) {server // 10000}\b", version)
    with pytest.raises(backup.BackupError) as refused:
        backup.client_program("pg_restore", 90600)
    message = str(refused.value)
    assert "No pg_restore of PostgreSQL 9" in message
    assert "postgresql-client-9" in message and "POSTGRES_BIN_DIR" in message


def test_the_image_has_the_client_programs_of_the_compose_postgresql():
    """The production image's pg_dump is of the major version of compose's PostgreSQL, and
    compose runs the backup as a one-shot service with the documents and the backups."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    major = re.fullmatch(r"postgres:(\d+)(\D.*)?", services["postgres"]["image"]).group(1)
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert f"ARG PG_MAJOR={major}\n" in dockerfile
    assert "postgresql-client-${PG_MAJOR}" in dockerfile
    service = services["backup"]
    assert service["command"] == ["python", "manage.py", "backup"]
    assert service["restart"] == "no"
    assert "profiles" in service  # run on demand (a schedule), never by `up`
    assert {"documents:/app/documents", "backups:/app/backups"} <= set(service["volumes"])
