"""Recompute every dispositif's indicators from scratch and compare them with the kept facts;
exits with status 1 and lists the differences when any."""

from django.core.management.base import BaseCommand, CommandError

from alize.indicators import facts


class Command(BaseCommand):
    help = "Check that the kept indicators equal a recomputation from scratch."

    def add_arguments(self, parser):
        parser.add_argument("--dispositif", type=int, action="append", help="only this id")
        parser.add_argument(
            "--refresh-stale",
            action="store_true",
            help="refresh the dispositifs with a refresh pending first",
        )

    def handle(self, *args, dispositif=None, refresh_stale=False, **options):
        if refresh_stale:
            facts.refresh_stale()
        result = facts.check(dispositif)
        for difference in result.differences[:50]:
            self.stdout.write(
                f"  dispositif {difference.dispositif_id} {difference.key}: kept "
                f"{difference.kept}, recomputed {difference.computed}"
            )
        if result.stale:
            self.stdout.write(f"  refresh pending for dispositifs {result.stale}")
        if not result.ok:
            raise CommandError(
                f"{len(result.differences)} difference(s) over {result.checked} dispositif(s)."
            )
        self.stdout.write(self.style.SUCCESS(f"{result.checked} dispositif(s): indicators agree."))
