"""Keeping the facts: which dispositifs changed, their refresh, and the proof that the kept
facts equal a recomputation from scratch."""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.apps import apps
from django.db import connection, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from alize.tenancy import scope

from .registry import INDICATORS, SOURCES, Cell

logger = logging.getLogger(__name__)

_paused: contextvars.ContextVar[bool] = contextvars.ContextVar(
    "alize_indicators_paused", default=False
)


@contextlib.contextmanager
def paused() -> Iterator[None]:
    """Writes in the block mark nothing stale (bulk seeding, which refreshes everything at
    its end with ``refresh_all``)."""
    token = _paused.set(True)
    try:
        yield
    finally:
        _paused.reset(token)


# ------------------------------------------------------------------------- marking stale


def changed(dispositif_id: int | None) -> None:
    """The rows behind a dispositif's figures changed: once the transaction commits, count
    the change and ask for a refresh (a rolled-back transaction marks nothing). Called by the
    signal receivers of every watched model, and by services that write in bulk."""
    if dispositif_id is None or _paused.get():
        return
    flush_due = any(func is _flush for _sids, func, _robust in connection.run_on_commit)
    pending: set[int] = getattr(connection, "_alize_indicators_pending", None) or set()
    if not flush_due:
        # Ids left without a flush to come are those of a transaction rolled back (its
        # on-commit callbacks went with it): their changes never happened.
        pending = set()
    pending.add(dispositif_id)
    connection._alize_indicators_pending = pending
    if not connection.in_atomic_block:
        _flush()
        return
    if not flush_due:
        transaction.on_commit(_flush)


def _flush() -> None:
    pending = getattr(connection, "_alize_indicators_pending", None) or set()
    connection._alize_indicators_pending = set()
    for dispositif_id in sorted(pending):
        mark_stale(dispositif_id)


def mark_stale(dispositif_id: int) -> None:
    """Count one change of the dispositif's rows; ask for a refresh if its facts were fresh
    (a refresh already asked for will see this change; the minute sweep catches a lost one)."""
    from alize.models import IndicatorState

    now = timezone.now()
    with scope([dispositif_id]), transaction.atomic():
        state, _created = IndicatorState.objects.get_or_create(dispositif_id=dispositif_id)
        IndicatorState.objects.filter(pk=state.pk).update(changed=F("changed") + 1, changed_at=now)
        state.refresh_from_db(fields=["changed", "computed"])
        was_fresh = state.computed == state.changed - 1
    if was_fresh:
        _ask_refresh(dispositif_id)


def _ask_refresh(dispositif_id: int) -> None:
    from alize.tasks import refresh_indicators

    try:
        refresh_indicators.delay(dispositif_id)
    except Exception:
        logger.warning(
            "Indicators of dispositif %s: refresh not sent; the sweep will run it.", dispositif_id
        )


# ------------------------------------------------------------------------- computing


def years_of(dispositif_id: int) -> list[int]:
    """The years a dispositif has figures for: from its launch (or its first row, if earlier)
    to the current year."""
    Dispositif = apps.get_model(_tenant_label())
    this_year = timezone.localdate().year
    launch = (
        Dispositif._default_manager.filter(pk=dispositif_id)
        .values_list("launch_date", flat=True)
        .first()
    )
    first = launch.year if launch else this_year
    for source in SOURCES.values():
        if source.first_year is not None:
            found = source.first_year(dispositif_id)
            if found is not None:
                first = min(first, found)
    return list(range(min(first, this_year), this_year + 1))


def _tenant_label() -> str:
    from django.conf import settings

    return settings.TENANT_MODEL


def compute(dispositif_id: int) -> list[Cell]:
    """Every cell of the dispositif, computed from its rows (inside its scope)."""
    years = years_of(dispositif_id)
    cells: list[Cell] = []
    for source in SOURCES.values():
        for cell in source.compute(dispositif_id, years):
            if cell.key not in INDICATORS:
                raise KeyError(
                    f"Source {source.app} computed an undeclared indicator {cell.key!r}."
                )
            cells.append(cell)
    return cells


def _fact(dispositif_id: int, cell: Cell):
    from alize.models import IndicatorFact

    return IndicatorFact(
        dispositif_id=dispositif_id,
        indicator=cell.key,
        year=cell.year,
        month=cell.month,
        firm_id=cell.firm_id,
        value=cell.value,
        smes=cell.smes,
        top=cell.top,
    )


def refresh(dispositif_id: int) -> int:
    """Recompute the dispositif's facts and keep them (one transaction, holding its state
    row so two refreshes of one dispositif take turns); returns the number of facts."""
    from alize.models import IndicatorFact, IndicatorState

    with scope([dispositif_id]), transaction.atomic():
        state, _created = IndicatorState.objects.get_or_create(dispositif_id=dispositif_id)
        state = IndicatorState.objects.select_for_update().get(pk=state.pk)
        seen = state.changed
        facts = [_fact(dispositif_id, cell) for cell in compute(dispositif_id)]
        IndicatorFact.objects.filter(dispositif_id=dispositif_id).delete()
        IndicatorFact.objects.bulk_create(facts, batch_size=2000)
        IndicatorState.objects.filter(pk=state.pk).update(computed=seen, computed_at=timezone.now())
    return len(facts)


def stale_ids() -> list[int]:
    """Dispositifs whose facts lag behind their rows, or were never computed."""
    from alize.models import IndicatorState

    Dispositif = apps.get_model(_tenant_label())
    with scope(every_dispositif=True, reason="which dispositifs' indicators are stale"):
        every = set(Dispositif._default_manager.values_list("pk", flat=True))
        fresh = set(
            IndicatorState.objects.filter(
                computed__gte=F("changed"), computed_at__isnull=False
            ).values_list("dispositif_id", flat=True)
        )
    return sorted(every - fresh)


def refresh_stale() -> list[int]:
    """Refresh every stale dispositif (the minute sweep; tests call it to settle)."""
    ids = stale_ids()
    for dispositif_id in ids:
        refresh(dispositif_id)
    return ids


def refresh_all() -> int:
    """Refresh every dispositif (after seeding, or to rebuild the table)."""
    Dispositif = apps.get_model(_tenant_label())
    with scope(every_dispositif=True, reason="refresh every dispositif's indicators"):
        ids = list(Dispositif._default_manager.order_by("pk").values_list("pk", flat=True))
    return sum(refresh(dispositif_id) for dispositif_id in ids)


# ------------------------------------------------------------------------- checking


@dataclass
class Difference:
    dispositif_id: int
    key: tuple
    kept: tuple | None
    computed: tuple | None


@dataclass
class CheckResult:
    checked: int = 0
    stale: list[int] = field(default_factory=list)
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def _as_map(items: Iterable[tuple]) -> dict:
    return dict(items)


def check(dispositif_ids: Iterable[int] | None = None) -> CheckResult:
    """Recompute every dispositif from scratch and compare with the kept facts. A stale
    dispositif (a refresh pending) is reported as such and compared all the same."""
    from alize.models import IndicatorFact

    Dispositif = apps.get_model(_tenant_label())
    if dispositif_ids is None:
        with scope(every_dispositif=True, reason="check every dispositif's indicators"):
            dispositif_ids = list(
                Dispositif._default_manager.order_by("pk").values_list("pk", flat=True)
            )
    result = CheckResult(stale=stale_ids())
    for dispositif_id in dispositif_ids:
        with scope([dispositif_id]):
            kept = _as_map(
                ((f.indicator, f.year, f.month, f.firm_id), (f.value, f.smes, f.top))
                for f in IndicatorFact.objects.filter(dispositif_id=dispositif_id)
            )
            fresh = _as_map(
                ((c.key, c.year, c.month, c.firm_id), (c.value, c.smes, c.top))
                for c in compute(dispositif_id)
            )
        result.checked += 1
        for key in sorted(set(kept) | set(fresh)):
            a, b = kept.get(key), fresh.get(key)
            if _normal(a) != _normal(b):
                result.differences.append(Difference(dispositif_id, key, a, b))
    return result


def _normal(value: tuple | None):
    if value is None:
        return None
    amount, smes, top = value
    return (Decimal(amount).normalize(), smes, Decimal(top).normalize())


# ------------------------------------------------------------------------- wiring


def _receiver(sender, instance, **kwargs):
    changed(getattr(instance, "dispositif_id", None))


def _national_receiver(sender, instance, **kwargs):
    if _paused.get():
        return
    Dispositif = apps.get_model(_tenant_label())
    with scope(
        every_dispositif=True,
        reason="a national figure behind every dispositif's indicators changed",
    ):
        ids = list(Dispositif._default_manager.values_list("pk", flat=True))
    for dispositif_id in ids:
        changed(dispositif_id)


def connect_source(source) -> None:
    """Connect the source's watched models' writes to ``changed`` (models are loaded before
    any app's ``ready``, where sources register)."""
    for label in source.watched:
        model = apps.get_model(label)
        for signal in (post_save, post_delete):
            signal.connect(_receiver, sender=model, dispatch_uid=f"indicators:{label}:{id(signal)}")
    for label in source.national_watched:
        model = apps.get_model(label)
        for signal in (post_save, post_delete):
            signal.connect(
                _national_receiver,
                sender=model,
                dispatch_uid=f"indicators-national:{label}:{id(signal)}",
            )
