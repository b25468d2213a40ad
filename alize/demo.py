"""Demo data registry (docs/architecture.md §9): each app contributes its seeding function,
with an order that follows the layers, from its own ``demo`` module; ``seed_demo`` runs them
all.

The core names no app: ``discover()`` imports every installed app's ``demo`` module, which
registers itself with ``register_seeder`` and ``register_logins``.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from importlib import import_module

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import transaction
from rest_framework.authtoken.models import Token

from alize.accounts.models import Role, RoleAssignment, User
from alize.indicators import facts as indicator_facts
from alize.tenancy import scope

DEMO_PASSWORD = "alize-demo"
DEMO_DOMAIN = "demo.alize.fr"
API_CLIENT_REGION = "32"  # Hauts-de-France

Log = Callable[[str], None]
_SEEDERS: list[tuple[int, str, Callable[[Log], None]]] = []
_LOGINS: list[tuple[int, Callable[[], list[tuple[str, str]]]]] = []
# Set by ``seed(later=True)``: seeders queue their slow work (the documents' PDFs) for the
# worker instead of doing it before the platform starts.
_LATER: ContextVar[bool] = ContextVar("demo_later", default=False)


def register_seeder(order: int):
    """Decorator: ``seeder(log)`` runs at ``order`` (lower layers first) in ``seed()``."""

    def register(seeder):
        name = f"{seeder.__module__}.{seeder.__qualname__}"
        if all(known != name for _order, known, _seeder in _SEEDERS):
            _SEEDERS.append((order, name, seeder))
        return seeder

    return register


def register_logins(order: int):
    """Decorator: ``logins() -> [(login, what)]`` lists demo logins in the start banner."""

    def register(logins):
        if all(known is not logins for _order, known in _LOGINS):
            _LOGINS.append((order, logins))
        return logins

    return register


def discover() -> None:
    """Import every installed app's ``demo`` module; each registers its seeders."""
    for config in apps.get_app_configs():
        try:
            import_module(f"{config.name}.demo")
        except ModuleNotFoundError as error:
            if error.name != f"{config.name}.demo":
                raise


def seeders() -> list[Callable[[Log], None]]:
    discover()
    return [seeder for _order, _name, seeder in sorted(_SEEDERS, key=lambda row: row[:2])]


def later() -> bool:
    """True while ``seed(later=True)`` runs: slow work goes to the worker's queues (sent
    when the seed commits) rather than being done now."""
    return _LATER.get()


def seed(log: Log = print, later: bool = False) -> None:
    """Create or refresh all demo data, in layer order; running it twice changes nothing.
    The indicators are computed once at the end, not after each write. With ``later``,
    the seeders queue their slow work for the worker (``later()``)."""
    token = _LATER.set(later)
    try:
        with transaction.atomic(), scope(every_dispositif=True, reason="demo data"):
            with indicator_facts.paused():
                for seeder in seeders():
                    seeder(log)
            facts = indicator_facts.refresh_all()
            log(f"{facts} indicator facts computed")
    finally:
        _LATER.reset(token)


def demo_logins() -> list[tuple[str, str]]:
    """(login, what it is) for the start banner."""
    discover()
    rows = [(f"coordination@{DEMO_DOMAIN}", "coordination nationale")]
    for _order, logins in sorted(_LOGINS, key=lambda row: row[0]):
        rows.extend(logins())
    return rows


class DemoPassword:
    """One argon2 hash of the demo password, shared by every demo login.

    Hashing costs about 0.2 s; doing it once (and checking the stored hash once per run)
    instead of for each of the 37 logins keeps ``make run`` quick.
    """

    def __init__(self):
        self._encoded = None

    def encoded(self, sample: User | None) -> str:
        if self._encoded is None:
            if sample is not None and sample.check_password(DEMO_PASSWORD):
                self._encoded = sample.password
            else:
                self._encoded = make_password(DEMO_PASSWORD)
        return self._encoded


_PASSWORD = DemoPassword()


def demo_user(email, full_name, password: DemoPassword | None = None, **flags):
    """A demo login (created once) with the demo password."""
    password = password or _PASSWORD
    user, created = User.objects.get_or_create(
        email=email, defaults={"full_name": full_name, **flags}
    )
    encoded = password.encoded(None if created else user)
    if user.password != encoded:
        user.password = encoded
        user.save(update_fields=["password"])
    return user


def demo_role(user, role, **target):
    """A role assignment of a demo login (created once)."""
    RoleAssignment.objects.get_or_create(user=user, role=role, **target)


@register_seeder(0)
def seed_coordination(log: Log) -> None:
    """The national coordination's login (Django admin included)."""
    coordinator = demo_user(
        f"coordination@{DEMO_DOMAIN}",
        "Coordination nationale Alizé",
        is_staff=True,
        is_superuser=True,
    )
    demo_role(coordinator, Role.NATIONAL_COORDINATOR)


def api_client_token(region_code: str = API_CLIENT_REGION) -> str:
    """The demo API client of a region (created once) and its token."""
    user, _ = User.objects.get_or_create(
        email=f"api.region-{region_code}@{DEMO_DOMAIN}",
        defaults={"full_name": f"Client API région {region_code}"},
    )
    if user.has_usable_password():
        user.set_unusable_password()
        user.save()
    demo_role(user, Role.API_CLIENT, region=region_code)
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def existing_api_client_token(region_code: str = API_CLIENT_REGION) -> str | None:
    """The demo API client's token if it exists; creates nothing."""
    token = Token.objects.filter(user__email=f"api.region-{region_code}@{DEMO_DOMAIN}").first()
    return token.key if token else None
