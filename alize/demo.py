"""Demo data registry (docs/architecture.md §9): each app contributes its seeding function,
with an order that follows the layers, from its own ``demo`` module; ``seed_demo`` runs them
all.

The core names no app: ``discover()`` imports every installed app's ``demo`` module, which
registers itself with ``register_seeder`` and ``register_logins``.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from contextvars import ContextVar
from importlib import import_module
from typing import TypeVar

from django.apps import apps
from django.contrib.auth.hashers import make_password
from django.db import connection, connections, transaction
from rest_framework.authtoken.models import Token

from alize.accounts.models import Role, RoleAssignment, User
from alize.indicators import facts as indicator_facts
from alize.tenancy import scope

DEMO_PASSWORD = "alize-demo"
DEMO_DOMAIN = "demo.alize.fr"
API_CLIENT_REGION = "32"  # Hauts-de-France

Log = Callable[[str], None]
Seeder = Callable[[Log], None]
T = TypeVar("T")
_SEEDERS: list[tuple[int, str, Seeder]] = []
# The seeders registered with ``each_dispositif=True`` (by name).
_EACH_DISPOSITIF: set[str] = set()
_LOGINS: list[tuple[int, Callable[[], list[tuple[str, str]]]]] = []
# Set by ``seed(later=True)``: seeders queue their slow work (the documents' PDFs) for the
# worker instead of doing it before the platform starts.
_LATER: ContextVar[bool] = ContextVar("demo_later", default=False)
# In a process seeding a share of the dispositifs (``seed(processes=n)``): (index, count).
_SHARE: tuple[int, int] | None = None


class DemoSeedError(RuntimeError):
    """A share of a parallel seed failed: what the others committed stays (see ``seed``)."""


def register_seeder(order: int, *, each_dispositif: bool = False):
    """Decorator: ``seeder(log)`` runs at ``order`` (lower layers first) in ``seed()``.

    ``each_dispositif``: the seeder seeds every demo dispositif on its own, from the layers
    below and the dispositif's own rows, going through ``share(DISPOSITIFS)`` and skipping
    those it already seeded; ``seed(processes=n)`` then runs it in ``n`` processes at once,
    each on its share of the dispositifs."""

    def register(seeder):
        name = f"{seeder.__module__}.{seeder.__qualname__}"
        if all(known != name for _order, known, _seeder in _SEEDERS):
            _SEEDERS.append((order, name, seeder))
        if each_dispositif:
            _EACH_DISPOSITIF.add(name)
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


def seeders() -> list[Seeder]:
    discover()
    return [seeder for _order, _name, seeder in sorted(_SEEDERS, key=lambda row: row[:2])]


def steps() -> list[tuple[bool, list[Seeder]]]:
    """The seeders in order, grouped: (each_dispositif, seeders) for each run of seeders
    that do or do not seed the dispositifs one by one."""
    grouped: list[tuple[bool, list[Seeder]]] = []
    for seeder in seeders():
        each = f"{seeder.__module__}.{seeder.__qualname__}" in _EACH_DISPOSITIF
        if grouped and grouped[-1][0] == each:
            grouped[-1][1].append(seeder)
        else:
            grouped.append((each, [seeder]))
    return grouped


def share(items: Sequence[T]) -> list[T]:
    """The items this process seeds: all of them, or its share in a parallel seed (one in
    ``count``, from ``index``)."""
    if _SHARE is None:
        return list(items)
    index, count = _SHARE
    return list(items[index::count])


def later() -> bool:
    """True while ``seed(later=True)`` runs: slow work goes to the worker's queues (sent
    when the seed commits) rather than being done now."""
    return _LATER.get()


def seed(log: Log = print, later: bool = False, processes: int = 1) -> None:
    """Create or refresh all demo data, in layer order; running it twice changes nothing.
    The indicators are computed once at the end, not after each write. With ``later``,
    the seeders queue their slow work for the worker (``later()``).

    In one transaction, unless ``processes`` > 1 outside a transaction: then each group of
    ``steps()`` commits on its own, and the seeders of each dispositif run in ``processes``
    processes at once (forked), each on its share of the dispositifs in a transaction of
    its own. A failure then leaves what was committed; seeding again (``--force``)
    completes it, since every seeder skips what it already seeded."""
    token = _LATER.set(later)
    try:
        if processes > 1 and not connection.in_atomic_block:
            for each_dispositif, group in steps():
                if each_dispositif:
                    _seed_shares(group, processes, log)
                else:
                    _seed_here(group, log)
            with transaction.atomic(), scope(every_dispositif=True, reason="demo data"):
                facts = indicator_facts.refresh_all()
        else:
            with transaction.atomic(), scope(every_dispositif=True, reason="demo data"):
                with indicator_facts.paused():
                    for seeder in seeders():
                        seeder(log)
                facts = indicator_facts.refresh_all()
        log(f"{facts} indicator facts computed")
    finally:
        _LATER.reset(token)


def default_processes() -> int:
    """The processes of a parallel seed: the cores this process may run on, at most 4, where
    processes are forked safely (Linux; on macOS a forked process may crash in the system's
    libraries)."""
    if not sys.platform.startswith("linux"):
        return 1
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return min(4, cores or 1)


def _stop_with_parent() -> None:
    """On Linux, have the kernel send SIGTERM to this process when its parent dies, however
    it died (a parent killed outright runs no clean-up)."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it died before the call
        os._exit(1)


def _seed_here(group: list[Seeder], log: Log) -> None:
    with (
        transaction.atomic(),
        scope(every_dispositif=True, reason="demo data"),
        indicator_facts.paused(),
    ):
        for seeder in group:
            seeder(log)


def _seed_shares(group: list[Seeder], processes: int, log: Log) -> None:
    """``group`` in ``processes`` forked processes, each on its share of the dispositifs;
    their lines come back through a pipe to ``log``. The database connections are closed
    first (a child opens its own), and the output flushed (a child would write again what
    was buffered)."""
    connections.close_all()
    sys.stdout.flush()
    sys.stderr.flush()
    context = multiprocessing.get_context("fork")
    children = []
    for index in range(processes):
        reader, writer = context.Pipe(duplex=False)
        child = context.Process(
            target=_seed_share,
            args=(group, index, processes, writer),
            name=f"demo-seed-{index + 1}-of-{processes}",
        )
        children.append((child, reader, writer))
    try:
        for child, _reader, writer in children:
            child.start()
            writer.close()  # the child's end: the pipe ends when the child closes its copy
        for child, reader, _writer in children:
            try:
                while True:
                    log(reader.recv())
            except EOFError:
                reader.close()
            child.join()
    except BaseException:
        # Stopped (a signal, Ctrl-C) or failed while they seed: they stop too, rolled back.
        for child, _reader, _writer in children:
            if child.is_alive():
                child.terminate()
        for child, _reader, _writer in children:
            if child.pid is not None:
                child.join()
        raise
    failed = [child.name for child, _reader, _writer in children if child.exitcode != 0]
    if failed:
        raise DemoSeedError(
            f"{', '.join(failed)} failed (see above); what the others seeded is kept: "
            "`seed_demo --force` completes the demo."
        )


def _seed_share(group: list[Seeder], index: int, count: int, lines) -> None:
    """In a forked process: ``group`` on this process's share of the dispositifs, its log
    lines sent to the parent."""
    global _SHARE
    _SHARE = (index, count)
    _stop_with_parent()
    try:
        _seed_here(group, lambda line: lines.send(f"({index + 1}/{count}) {line}"))
    finally:
        lines.close()
        connections.close_all()
        sys.stdout.flush()


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
