"""``manage.py sync_schedules``: create the database schedule of every declared periodic job
that has none, never changing one that exists (see ``alize.beat``)."""

from django.core.management.base import BaseCommand

from alize.beat import sync_schedules


class Command(BaseCommand):
    help = (
        "Create the periodic tasks declared in CELERY_BEAT_SCHEDULE that have no database "
        "schedule yet; existing ones (maybe edited in the admin) are left unchanged."
    )

    def handle(self, *args, **options):
        created = sync_schedules()
        if created:
            self.stdout.write("Created: " + ", ".join(created))
        else:
            self.stdout.write("Every declared periodic task already has its schedule.")
