"""Rebuild the shipped communes file from newer COG and La Poste files, and reload the table."""

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from partners.reference import loader
from partners.reference.selectors import clear_reference_caches


class Command(BaseCommand):
    help = (
        "Rebuild partners/reference/data/communes.csv.gz from the COG communes (Etalab JSON) "
        "and La Poste's base officielle des codes postaux (CSV), then reload the communes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--cog", required=True, help="communes.json (COG, Etalab)")
        parser.add_argument("--postal", required=True, help="base-officielle-codes-postaux.csv")
        parser.add_argument(
            "--output", default=str(loader.COMMUNES_FILE), help="file to write (csv.gz)"
        )

    def handle(self, *args, **options):
        try:
            rows = loader.build_commune_rows(
                loader.read_cog_communes(options["cog"]), loader.read_postal_csv(options["postal"])
            )
        except (OSError, ValueError, KeyError) as error:
            raise CommandError(f"Cannot read the source files: {error}") from error
        if len(rows) < 30000:
            raise CommandError(f"Only {len(rows)} communes found: refusing to replace the list.")
        loader.write_communes_file(rows, options["output"])
        with transaction.atomic():
            count = loader.load_communes(connection, "partners_commune", rows)
        clear_reference_caches()
        self.stdout.write(f"{count} communes written to {options['output']} and loaded.")
