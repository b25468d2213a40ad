"""Create a read-only API client for the dispositifs of one region and print its token."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from rest_framework.authtoken.models import Token

from alize.accounts.models import Role, RoleAssignment, User
from alize.geo import REGION_NAMES, region_code


class Command(BaseCommand):
    help = (
        "Create (or find) the read-only API client of a region and print its token: "
        '--region "Hauts-de-France".'
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", required=True, help="region name or INSEE code")
        parser.add_argument("--email", help="login of the client (default api.region-<code>@…)")

    @transaction.atomic
    def handle(self, *args, region, email=None, **options):
        code = region_code(region)
        if code is None:
            raise CommandError(
                f"Unknown region « {region} ». Known: {', '.join(sorted(REGION_NAMES.values()))}"
            )
        email = (email or f"api.region-{code}@clients.alize.fr").lower()
        user, created = User.objects.get_or_create(
            email=email, defaults={"full_name": f"Client API {REGION_NAMES[code]}"}
        )
        if created:
            user.set_unusable_password()
            user.save()
        RoleAssignment.objects.get_or_create(user=user, role=Role.API_CLIENT, region=code)
        token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
