"""``manage.py sweep_jobs``: one pass of the job outbox's sweeper (``alize.jobs.sweep``), as
beat runs it every minute: send again what a crash left queued or running, give up what was
lost too often."""

from django.core.management.base import BaseCommand

from alize.jobs import sweep


class Command(BaseCommand):
    help = (
        "Send again the jobs left queued or running by a crash (Redis or a worker lost them), "
        "and mark failed those lost too often."
    )

    def handle(self, *args, **options):
        report = sweep()
        self.stdout.write(
            f"Requeued (worker lost): {len(report.requeued)}; resent (never started): "
            f"{len(report.resent)}; given up: {len(report.failed)}; done jobs purged: "
            f"{report.purged}."
        )
