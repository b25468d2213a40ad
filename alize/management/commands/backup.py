"""``manage.py backup``: the database and the documents in a new dated folder with its
manifest, then only the newest kept (alize.backup; README "Production")."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from alize import backup


class Command(BaseCommand):
    help = (
        "Back the database (pg_dump, custom format) and the stored documents up into a new "
        "dated folder with a manifest (row counts, ledger balances, checksums), then delete "
        "all but the newest backups."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            default=None,
            help=f"the folder of the backups (default BACKUP_ROOT: {settings.BACKUP_ROOT})",
        )
        parser.add_argument(
            "--keep",
            type=int,
            default=None,
            help=f"how many backups to keep (default BACKUP_KEEP: {settings.BACKUP_KEEP})",
        )

    def handle(self, *args, output_dir=None, keep=None, **options):
        try:
            made = backup.create(output_dir, keep=keep)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        manifest = made.manifest
        files = sum(len(names) for names in manifest["storages"].values())
        self.stdout.write(
            self.style.SUCCESS(f"Backup written: {made.path}")
            + f"\n  database: {manifest['database']['size']} bytes, "
            f"{len(manifest['tables'])} tables, {sum(manifest['tables'].values())} rows"
            f"\n  files: {files}"
        )
        for path in made.removed:
            self.stdout.write(f"  removed (older than the newest kept): {path.name}")
