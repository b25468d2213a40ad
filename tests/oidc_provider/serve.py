"""Runs the local provider: migrates its SQLite database, creates the people and the
clients of the setup, and serves on 127.0.0.1 at the port given."""

import sys

import django
from django.core.management import call_command


def main(port: int) -> None:
    django.setup()
    from django.conf import settings
    from django.contrib.auth.models import User
    from oauth2_provider.models import Application

    call_command("migrate", verbosity=0, interactive=False)
    for person in settings.SETUP["people"]:
        User.objects.create_user(person["username"], person["email"], person["password"])
    for client in settings.SETUP["clients"]:
        Application.objects.create(
            name=client["client_id"],
            client_id=client["client_id"],
            client_secret=client["client_secret"],
            client_type=Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            redirect_uris=client["redirect_uri"],
            algorithm=Application.RS256_ALGORITHM,
            skip_authorization=True,
        )
    call_command(
        "runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True, skip_checks=True
    )


if __name__ == "__main__":
    main(int(sys.argv[1]))
