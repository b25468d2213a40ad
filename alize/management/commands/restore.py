"""``manage.py restore FOLDER``: a backup made by ``manage.py backup`` into the configured,
empty database and storages, checked against its manifest (alize.backup)."""

from django.core.management.base import BaseCommand, CommandError

from alize import backup


class Command(BaseCommand):
    help = (
        "Restore a backup folder into the empty database DATABASE_URL names and into the "
        "document storage, then check the row counts, ledger balances and file checksums "
        "against its manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("folder", help="a backup folder (alize-YYYYMMDDTHHMMSSZ)")

    def handle(self, *args, folder, **options):
        log = lambda line: self.stdout.write(f"  {line}")  # noqa: E731
        try:
            manifest = backup.restore(folder, log=log)
        except backup.BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(self.style.SUCCESS(f"Restored {manifest['name']} and checked it."))
