"""Recompute the kept indicators: every dispositif, the stale ones, or some."""

from django.core.management.base import BaseCommand

from alize.indicators import facts


class Command(BaseCommand):
    help = "Recompute the indicators of every dispositif (or --stale, or --dispositif ID)."

    def add_arguments(self, parser):
        parser.add_argument("--dispositif", type=int, action="append", help="only this id")
        parser.add_argument("--stale", action="store_true", help="only those with changes")

    def handle(self, *args, dispositif=None, stale=False, **options):
        if dispositif:
            count = sum(facts.refresh(pk) for pk in dispositif)
            self.stdout.write(f"{count} facts computed for {len(dispositif)} dispositif(s).")
        elif stale:
            ids = facts.refresh_stale()
            self.stdout.write(f"{len(ids)} stale dispositif(s) refreshed: {ids}")
        else:
            self.stdout.write(f"{facts.refresh_all()} facts computed.")
