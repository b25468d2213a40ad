"""Reload the NAF codes from a newer file (columns code, label, section, division)."""

import shutil

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from partners.reference import loader
from partners.reference.selectors import clear_reference_caches


class Command(BaseCommand):
    help = "Replace partners/reference/data/naf_rev2.csv by --file and reload the NAF codes."

    def add_arguments(self, parser):
        parser.add_argument("--file", required=True, help="CSV: code,label,section,division")

    def handle(self, *args, **options):
        try:
            rows = loader.read_naf_file(options["file"])
            missing = set(loader.NAF_COLUMNS) - set(rows[0] if rows else ())
        except (OSError, ValueError) as error:
            raise CommandError(f"Cannot read {options['file']}: {error}") from error
        if missing or len(rows) < 500:
            raise CommandError("Expected at least 500 rows with code,label,section,division.")
        with transaction.atomic():
            count = loader.load_naf(connection, "partners_nafcode", rows)
        clear_reference_caches()
        shutil.copyfile(options["file"], loader.NAF_FILE)
        self.stdout.write(f"{count} NAF codes loaded.")
