"""Load or refresh the demo data and print the demo logins (idempotent)."""

import os

from django.core.management.base import BaseCommand
from django.db import transaction

from alize import demo
from alize.tenancy import scope


class Command(BaseCommand):
    help = "Create or refresh the demo dispositifs, organisations, pipeline and logins."

    def handle(self, *args, **options):
        demo.seed(log=lambda line: self.stdout.write(f"  demo: {line}"))
        with transaction.atomic(), scope(every_dispositif=True, reason="demo API token"):
            token = demo.api_client_token()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo logins (password « {demo.DEMO_PASSWORD} »):"))
        for login, what in demo.demo_logins():
            self.stdout.write(f"  {login:<52} {what}")
        self.stdout.write(f"  API token (Hauts-de-France, read-only): {token}")
        port = os.environ.get("PORT", "8000")
        self.stdout.write(
            f"    curl -H 'Authorization: Token {token}' http://127.0.0.1:{port}/api/v1/dispositifs/"
        )
