"""Reading the kept facts: what reports, dashboards, the API and exports use, and nothing
else. Values come out per dispositif, and added up over several the way each kind says
(``Kind``): flows and stocks summed, ratios taken from their summed parts, medians and
distinct counts recomputed by their source."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

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


def _complete(item_keys: Iterable[str], stored: dict[str, Figure]) -> dict[str, Figure]:
    """Every asked indicator for one cell: stored ones (zero when absent), ratios from
    their parts."""
    result: dict[str, Figure] = {}
    items = ordered(item_keys)
    # Ratios last, from their completed parts: an absent part is a zero, as it reads alone.
    for item in [i for i in items if not i.is_ratio] + [i for i in items if i.is_ratio]:
        if item.is_ratio:
            result[item.key] = _ratio(
                item, result.get(item.numerator), result.get(item.denominator)
            )
        elif item.kind == Kind.MEDIAN:
            found = stored.get(item.key)
            result[item.key] = found or Figure(item.key, None)
        else:
            found = stored.get(item.key)
            zero_smes = 0 if item.about_smes else None
            result[item.key] = found or Figure(item.key, ZERO, zero_smes)
        result[item.key] = replace(result[item.key], value=_quantize(item, result[item.key].value))
    return {item.key: result[item.key] for item in items}


def _with_parts(keys: Iterable[str]) -> list[str]:
    wanted = []
    for key in keys:
        item = INDICATORS[key]
        wanted.append(key)
        if item.is_ratio:
            wanted += [item.numerator, item.denominator]
    return list(dict.fromkeys(wanted))


def by_dispositif(
    dispositif_ids: Iterable[int] | None,
    years: Sequence[int],
    *,
    month: int = 0,
    firm_id: int = 0,
    keys: Iterable[str] | None = None,
) -> dict[tuple[int, int], dict[str, Figure]]:
    """``{(dispositif id, year): {key: Figure}}`` for the dispositifs (every one of the
    active scope for None) and years, in one query. Dispositifs without any fact for a year
    are absent."""
    keys = _with_parts(keys if keys is not None else INDICATORS)
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
    keys = _with_parts(keys if keys is not None else INDICATORS)
    if rows is None:
        rows = by_dispositif(dispositif_ids, [year], month=month, firm_id=firm_id, keys=keys)
    summed: dict[str, Figure] = {}
    for (_dispositif, row_year), figures in rows.items():
        if row_year != year:
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
    ids = None if dispositif_ids is None else set(dispositif_ids)
    for key in keys:
        item = INDICATORS[key]
        if item.recounted and firm_id == 0:
            over = SOURCES[item.app].over
            value = over(key, ids, year, month) if over is not None else None
            summed[key] = Figure(key, value)
    return _complete(keys, summed)


def years_available(dispositif_ids: Iterable[int] | None = None) -> list[int]:
    """The years the kept facts cover, oldest first."""
    from alize.models import IndicatorFact

    facts = IndicatorFact.objects.filter(month=0, firm_id=0)
    if dispositif_ids is not None:
        facts = facts.filter(dispositif_id__in=sorted(dispositif_ids))
    bounds = facts.aggregate(first=Min("year"), last=Max("year"))
    if bounds["first"] is None:
        return []
    return list(range(bounds["first"], bounds["last"] + 1))


def freshness(dispositif_ids: Iterable[int] | None = None) -> dict:
    """When the kept facts were computed (the oldest of the dispositifs) and whether a
    refresh is pending for any of them."""
    from django.db.models import F, Q

    from alize.models import IndicatorState

    states = IndicatorState.objects.all()
    if dispositif_ids is not None:
        states = states.filter(dispositif_id__in=sorted(dispositif_ids))
    found = states.aggregate(computed_at=Min("computed_at"))
    stale = states.filter(Q(changed__gt=F("computed")) | Q(computed_at__isnull=True)).exists()
    return {"computed_at": found["computed_at"], "pending": stale}
