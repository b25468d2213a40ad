"""Reading the kept facts: what reports, dashboards, the API and exports use, and nothing
else. Values come out per dispositif, and added up over several the way each kind says
(``Kind``): flows and stocks summed, ratios taken from their summed parts, medians and
distinct counts recomputed by their source."""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache, partial
from typing import Any

from django.db.models import Max, Min

from .registry import INDICATORS, SOURCES, ZERO, Indicator, Kind, ordered


@dataclass(frozen=True)
class Figure:
    """One indicator's value for a scope and period. ``value`` is None when there is nothing
    to divide by (a ratio) or no row to take a median of, or when statistical secrecy
    suppressed it (``suppressed`` then says why)."""

    key: str
    value: Decimal | None
    smes: int | None = None
    top: Decimal = ZERO
    suppressed: str = ""

    @property
    def indicator(self) -> Indicator:
        return INDICATORS[self.key]

    def hidden(self, reason: str) -> Figure:
        return replace(self, value=None, suppressed=reason)


def _quantize(item: Indicator, value: Decimal | None) -> Decimal | None:
    if value is None:
        return None
    return (
        value.quantize(Decimal(1).scaleb(-item.places))
        if item.places
        else value.quantize(Decimal(1))
    )


def _ratio(item: Indicator, numerator: Figure | None, denominator: Figure | None) -> Figure:
    top = numerator.value if numerator else None
    bottom = denominator.value if denominator else None
    if not bottom or top is None:
        value = None
    else:
        value = _quantize(item, top * item.factor / bottom)
    smes = None
    if item.about_smes and denominator is not None:
        smes = denominator.smes
    return Figure(item.key, value, smes, (numerator.top if numerator else ZERO))


def _facts(dispositif_ids, years: Sequence[int], month: int, firm_id: int):
    from alize.models import IndicatorFact

    facts = IndicatorFact.objects.filter(year__in=list(years), month=month, firm_id=firm_id)
    if dispositif_ids is not None:
        facts = facts.filter(dispositif_id__in=sorted(dispositif_ids))
    return facts.values_list("dispositif_id", "year", "indicator", "value", "smes", "top")


@lru_cache(maxsize=256)
def _plan(item_keys: tuple[str, ...]) -> tuple[list[Indicator], list[Indicator]]:
    """The asked indicators in their order, and in the order they are completed: ratios
    last, from their completed parts."""
    items = ordered(item_keys)
    return items, [i for i in items if not i.is_ratio] + [i for i in items if i.is_ratio]


def _complete(item_keys: Iterable[str], stored: dict[str, Figure]) -> dict[str, Figure]:
    """Every asked indicator for one cell: stored ones (zero when absent), ratios from
    their parts."""
    result: dict[str, Figure] = {}
    items, completion = _plan(tuple(item_keys))
    # An absent part of a ratio is a zero, as it reads alone.
    for item in completion:
        if item.is_ratio:
            figure = _ratio(item, result.get(item.numerator), result.get(item.denominator))
        elif item.kind == Kind.MEDIAN:
            figure = stored.get(item.key) or Figure(item.key, None)
        else:
            figure = stored.get(item.key) or Figure(item.key, ZERO, 0 if item.about_smes else None)
        result[item.key] = replace(figure, value=_quantize(item, figure.value))
    return {item.key: result[item.key] for item in items}


def _with_parts(keys: Iterable[str]) -> list[str]:
    wanted = []
    for key in keys:
        item = INDICATORS[key]
        wanted.append(key)
        if item.is_ratio:
            wanted += [item.numerator, item.denominator]
    return list(dict.fromkeys(wanted))


class Memory:
    """What recent reads gave, by key, for a read asked again before anything it depends on
    changes (the key holds the facts' version, which moves whenever a dispositif is
    recomputed or a row behind a figure is written). Bounded (the least recently used goes
    first), per process; what it gives is shared and must not be changed."""

    every: list[Memory] = []

    def __init__(self, size: int):
        self.size = size
        self.kept: OrderedDict[tuple, Any] = OrderedDict()
        self.lock = threading.Lock()
        Memory.every.append(self)

    def remember(self, key: tuple | None, compute: Callable[[], Any]) -> Any:
        """``compute()``, or what it gave for the same ``key`` lately (None: not kept)."""
        if key is None:
            return compute()
        with self.lock:
            if key in self.kept:
                self.kept.move_to_end(key)
                return self.kept[key]
        found = compute()
        with self.lock:
            self.kept[key] = found
            while len(self.kept) > self.size:
                self.kept.popitem(last=False)
        return found

    def clear(self) -> None:
        with self.lock:
            self.kept.clear()


# The facts read by ``by_dispositif``, ``totals`` and ``years_available``.
_READ = Memory(32)
remember = _READ.remember


def by_dispositif(
    dispositif_ids: Iterable[int] | None,
    years: Sequence[int],
    *,
    month: int = 0,
    firm_id: int = 0,
    keys: Iterable[str] | None = None,
    version: tuple | None = None,
) -> dict[tuple[int, int], dict[str, Figure]]:
    """``{(dispositif id, year): {key: Figure}}`` for the dispositifs (every one of the
    active scope for None) and years, in one query. Dispositifs without any fact for a year
    are absent. With the facts' ``version`` of these dispositifs, or of more (``freshness``),
    a read asked again before any of them is recomputed comes from memory; the result is
    shared then, and must not be changed."""
    keys = _with_parts(keys if keys is not None else INDICATORS)
    if version is None or dispositif_ids is None or not version[0]:
        return _read(dispositif_ids, years, month, firm_id, keys)
    ids = tuple(sorted(set(dispositif_ids)))
    key = (version, ids, tuple(years), month, firm_id, tuple(keys))
    return remember(key, lambda: _read(ids, years, month, firm_id, keys))


def forget() -> None:
    """Drop what every ``Memory`` keeps (tests measure the reads themselves)."""
    for memory in Memory.every:
        memory.clear()


def _read(dispositif_ids, years, month, firm_id, keys) -> dict[tuple[int, int], dict[str, Figure]]:
    stored: dict[tuple[int, int], dict[str, Figure]] = defaultdict(dict)
    for dispositif_id, year, key, value, smes, top in _facts(dispositif_ids, years, month, firm_id):
        stored[(dispositif_id, year)][key] = Figure(key, value, smes, top)
    return {cell: _complete(keys, figures) for cell, figures in stored.items()}


def by_month(
    dispositif_ids: Iterable[int] | None,
    year: int,
    *,
    keys: Iterable[str] | None = None,
) -> dict[tuple[int, int], dict[str, Figure]]:
    """``{(dispositif id, month): {key: Figure}}`` for every month of ``year`` and the year
    itself (month 0), in one query; what ``by_dispositif`` gives for one month. Months
    without any fact for a dispositif are absent."""
    from alize.models import IndicatorFact

    keys = _with_parts(keys if keys is not None else INDICATORS)
    facts = IndicatorFact.objects.filter(year=year, firm_id=0)
    if dispositif_ids is not None:
        facts = facts.filter(dispositif_id__in=sorted(dispositif_ids))
    stored: dict[tuple[int, int], dict[str, Figure]] = defaultdict(dict)
    for dispositif_id, month, key, value, smes, top in facts.values_list(
        "dispositif_id", "month", "indicator", "value", "smes", "top"
    ):
        stored[(dispositif_id, month)][key] = Figure(key, value, smes, top)
    return {cell: _complete(keys, figures) for cell, figures in stored.items()}


def totals(
    groups: Mapping[Hashable, Iterable[int] | None],
    year: int,
    *,
    month: int = 0,
    firm_id: int = 0,
    keys: Iterable[str] | None = None,
    rows: dict[tuple[int, int], dict[str, Figure]] | None = None,
    version: tuple | None = None,
) -> dict[Hashable, dict[str, Figure]]:
    """The indicators over each group of dispositifs (``{name: ids}``, None for every one of
    the active scope), as ``total`` gives them for one, in a number of queries that does not
    grow with the groups: the facts read once, each recounted indicator recomputed once for
    every group by its source. ``rows`` (from ``by_dispositif``, covering every group) saves
    reading the facts. With the ``version`` of every group's dispositifs (``freshness``),
    what is read and recounted is kept in memory as ``by_dispositif`` keeps facts: the
    version changes with any write to the rows behind a figure."""
    keys = _with_parts(keys if keys is not None else INDICATORS)
    members = {name: (None if ids is None else set(ids)) for name, ids in groups.items()}
    if rows is None:
        every: set[int] | None = None
        if all(ids is not None for ids in members.values()):
            every = set().union(*(ids or set() for ids in members.values()))
        rows = by_dispositif(
            every, [year], month=month, firm_id=firm_id, keys=keys, version=version
        )
    known = (
        version is not None
        and bool(version[0])
        and all(ids is not None for ids in members.values())
    )
    groups_key = tuple(
        sorted((repr(name), tuple(sorted(ids or ()))) for name, ids in members.items())
    )
    recounted: dict[str, Mapping[Hashable, Decimal | None]] = {}
    if firm_id == 0:
        for key in keys:
            item = INDICATORS[key]
            over = SOURCES[item.app].over if item.recounted else None
            if over is None:
                if item.recounted:
                    recounted[key] = {}
                continue
            recounted[key] = remember(
                ("over", version, key, groups_key, year, month) if known else None,
                partial(over, key, members, year, month),
            )
    result: dict[Hashable, dict[str, Figure]] = {}
    for name, ids in members.items():
        summed = _summed(rows, ids, year)
        for key, values in recounted.items():
            summed[key] = Figure(key, values.get(name))
        result[name] = _complete(keys, summed)
    return result


def _summed(
    rows: dict[tuple[int, int], dict[str, Figure]], ids: set[int] | None, year: int
) -> dict[str, Figure]:
    """The additive indicators of ``rows`` summed over the dispositifs ``ids`` (all for None)."""
    summed: dict[str, Figure] = {}
    for (dispositif, row_year), figures in rows.items():
        if row_year != year or (ids is not None and dispositif not in ids):
            continue
        for key, figure in figures.items():
            item = INDICATORS[key]
            if item.is_ratio or item.recounted or figure.value is None:
                continue
            before = summed.get(key)
            if before is None or before.value is None:
                summed[key] = figure
                continue
            smes = None if before.smes is None or figure.smes is None else before.smes + figure.smes
            summed[key] = Figure(
                key, before.value + figure.value, smes, max(before.top, figure.top)
            )
    return summed


def total(
    dispositif_ids: Iterable[int] | None,
    year: int,
    *,
    month: int = 0,
    firm_id: int = 0,
    keys: Iterable[str] | None = None,
    rows: dict[tuple[int, int], dict[str, Figure]] | None = None,
) -> dict[str, Figure]:
    """The indicators over several dispositifs (every one of the active scope for None):
    sums, ratios of the sums, medians and distinct counts recomputed by their source.
    ``rows`` (from ``by_dispositif``) saves reading the facts again."""
    return totals({None: dispositif_ids}, year, month=month, firm_id=firm_id, keys=keys, rows=rows)[
        None
    ]


def years_available(
    dispositif_ids: Iterable[int] | None = None, *, version: tuple | None = None
) -> list[int]:
    """The years the kept facts cover, oldest first (from memory when asked again with the
    same facts' ``version``, as ``by_dispositif``)."""
    from alize.models import IndicatorFact

    ids = None if dispositif_ids is None else tuple(sorted(set(dispositif_ids)))
    key = ("years", version, ids) if version and version[0] and ids is not None else None

    def read() -> list[int]:
        facts = IndicatorFact.objects.filter(month=0, firm_id=0)
        if ids is not None:
            facts = facts.filter(dispositif_id__in=ids)
        bounds = facts.aggregate(first=Min("year"), last=Max("year"))
        if bounds["first"] is None:
            return []
        return list(range(bounds["first"], bounds["last"] + 1))

    return remember(key, read)


def freshness(dispositif_ids: Iterable[int] | None = None) -> dict:
    """When the kept facts were computed (the oldest of the dispositifs), whether a
    refresh is pending for any of them, and the facts' version, in one query."""
    from django.db.models import Count, F, Q, Sum

    from alize.models import IndicatorState

    states = IndicatorState.objects.all()
    if dispositif_ids is not None:
        states = states.filter(dispositif_id__in=sorted(dispositif_ids))
    found = states.aggregate(
        first=Min("computed_at"),
        last=Max("computed_at"),
        seen=Sum("computed"),
        changes=Sum("changed"),
        count=Count("pk"),
        stale=Count("pk", filter=Q(changed__gt=F("computed")) | Q(computed_at__isnull=True)),
    )
    return {
        "computed_at": found["first"],
        "pending": bool(found["stale"]),
        # Changes whenever one of the dispositifs is recomputed or one of their rows behind a
        # figure is written (``by_dispositif``, ``totals``).
        "version": (found["count"], found["last"], found["seen"], found["changes"]),
    }
