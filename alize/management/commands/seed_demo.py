"""Load the demo data on an empty database (or refresh it with ``--force``), then print the
demo logins. A database that holds data is left as it is: what a user removed or changed
is never recreated unless asked. It runs as the owner of the tables (like migrations), except
inside a caller's transaction (the tests), whose connection it then uses."""

import os
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from alize import demo
from alize.row_security import as_owner
from alize.tenancy import scope


class Command(BaseCommand):
    help = (
        "Load the demo dispositifs, organisations, pipeline and logins into an empty "
        "database; --force refreshes them in a database that already holds data."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force",
            action="store_true",
            help="seed even though the database holds data (recreates missing demo rows)",
        )
        parser.add_argument(
            "--processes",
            type=int,
            default=demo.default_processes(),
            help="seed the dispositifs in this many processes at once (default: the cores, "
            "at most 4, on Linux; 1 elsewhere); 1 seeds everything in one transaction",
        )
        parser.add_argument(
            "--unfinished-mark",
            default="",
            metavar="PATH",
            help="a file left while the demo is seeded: found at the next run, the demo left "
            "unfinished is completed as with --force (make run gives .local/demo-seed-unfinished)",
        )
        parser.add_argument(
            "--later",
            action="store_true",
            help="queue the slow work (the demo documents' PDFs) for the worker",
        )

    def execute(self, *args, **options):
        if connection.in_atomic_block:
            return super().execute(*args, **options)
        with as_owner():
            return super().execute(*args, **options)

    def handle(self, *args, force=False, later=False, processes=1, unfinished_mark="", **options):
        tenant = apps.get_model(settings.TENANT_MODEL)
        with scope(every_dispositif=True, reason="demo seed: is the database empty"):
            empty = not tenant._default_manager.exists()
        log = lambda line: self.stdout.write(f"  demo: {line}")  # noqa: E731
        token: str | None
        mark = Path(unfinished_mark) if unfinished_mark else None
        if mark is not None and mark.exists() and not empty:
            log("the last demo seed did not finish: completing it")
            force = True
        if empty or force:
            # Seeded in parallel, the demo commits in steps: the mark says, until the last
            # one, that it is unfinished.
            if mark is not None:
                mark.parent.mkdir(parents=True, exist_ok=True)
                mark.touch()
            try:
                demo.seed(log=log, later=later, processes=max(1, processes))
            except demo.DemoSeedError as error:
                raise CommandError(str(error)) from error
            if mark is not None:
                mark.unlink(missing_ok=True)
            with transaction.atomic(), scope(every_dispositif=True, reason="demo API token"):
                token = demo.api_client_token()
        else:
            log("the database already holds data: nothing seeded (seed_demo --force to reseed)")
            token = demo.existing_api_client_token()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password « {demo.DEMO_PASSWORD} »):"))
        for login, what in demo.demo_logins():
            self.stdout.write(f"  {login:<52} {what}")
        if token is None:
            return
        self.stdout.write(f"  API token (Hauts-de-France, read-only): {token}")
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            f"    curl -H 'Authorization: Token {token}' http://127.0.0.1:{port}/api/v1/dispositifs/"
        )
