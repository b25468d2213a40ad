"""List the dispositifs with their tour de table size (scoped by --dispositif)."""

from alize.tenancy import ScopedCommand
from dispositifs.selectors import dispositifs_with_member_count


class Command(ScopedCommand):
    help = "List dispositifs (all, or those given with --dispositif SLUG)."

    def handle_scoped(self, *args, **options):
        for dispositif in dispositifs_with_member_count().order_by("name"):
            self.stdout.write(f"{dispositif.slug}\t{dispositif.name}\t{dispositif.member_count}")
