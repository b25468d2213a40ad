"""Turning rows into cells: what every source does the same way (periods, SMEs behind a
value, the largest part one of them makes)."""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal

from django.utils import timezone

from .registry import ZERO, Cell

# A row behind a figure: (SME's company id or None, date, amount, firm id or 0).
Row = tuple[int | None, dt.date, Decimal | int, int]


def period_ends(
    years: Sequence[int], today: dt.date | None = None
) -> list[tuple[int, int, dt.date]]:
    """(year, month, last day) of every month and year (month 0) of ``years``, each capped
    at today: a stock of a period not yet over is the stock now. Periods that have not
    begun are left out."""
    today = today or timezone.localdate()
    ends = []
    for year in years:
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            if first > today:
                break
            last = dt.date(year, month, calendar.monthrange(year, month)[1])
            ends.append((year, month, min(last, today)))
        if dt.date(year, 1, 1) <= today:
            ends.append((year, 0, min(dt.date(year, 12, 31), today)))
    return ends


def period_bounds(year: int, month: int = 0) -> tuple[dt.date, dt.date]:
    """The first day of a period (a month, or the year for month 0) and the first day after
    it: a date range that an index on the date can serve, unlike ``__year``/``__month``."""
    if not month:
        return dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    after = dt.date(year + 1, 1, 1) if month == 12 else dt.date(year, month + 1, 1)
    return dt.date(year, month, 1), after


def _cell(key, year, month, firm_id, per_company: dict, about_smes: bool) -> Cell | None:
    value = sum(per_company.values(), ZERO)
    if not value and not per_company:
        return None
    if not about_smes:
        return Cell(key, year, month, Decimal(value), None, ZERO, firm_id)
    parts = [v for company, v in per_company.items() if company is not None]
    smes = sum(1 for company, v in per_company.items() if company is not None and v)
    top = max((abs(Decimal(v)) for v in parts), default=ZERO)
    return Cell(key, year, month, Decimal(value), smes, top, firm_id)


def flow_cells(
    key: str,
    rows: Iterable[Row],
    years: Sequence[int],
    *,
    monthly: bool = True,
    per_firm: bool = False,
    about_smes: bool = True,
) -> list[Cell]:
    """Cells of a flow: the rows dated in each month and year of ``years`` added up, per
    firm too when ``per_firm`` (firm 0 is every firm)."""
    wanted = set(years)
    buckets: dict[tuple[int, int, int], dict] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for company, day, amount, firm in rows:
        if day.year not in wanted:
            continue
        firms = (0, firm) if per_firm and firm else (0,)
        months = (0, day.month) if monthly else (0,)
        for firm_id in firms:
            for month in months:
                buckets[(day.year, month, firm_id)][company] += Decimal(amount)
    cells = []
    for (year, month, firm_id), per_company in sorted(buckets.items()):
        cell = _cell(key, year, month, firm_id, per_company, about_smes)
        if cell is not None:
            cells.append(cell)
    return cells


def stock_cells(
    key: str,
    events: Iterable[Row],
    years: Sequence[int],
    *,
    monthly: bool = True,
    about_smes: bool = True,
    today: dt.date | None = None,
) -> list[Cell]:
    """Cells of a stock: the events (changes) dated on or before each period's end added
    up, at every month's and year's end of ``years`` (today for the period under way)."""
    ordered = sorted(events, key=lambda event: event[1])
    standing: dict = defaultdict(lambda: ZERO)
    cells = []
    position = 0
    for year, month, end in sorted(period_ends(years, today), key=lambda p: (p[2], p[1] != 0)):
        if month and not monthly:
            continue
        while position < len(ordered) and ordered[position][1] <= end:
            company, _day, amount, _firm = ordered[position]
            standing[company] += Decimal(amount)
            position += 1
        per_company = {company: value for company, value in standing.items() if value}
        cell = _cell(key, year, month, 0, per_company, about_smes)
        if cell is not None and (cell.value or cell.smes):
            cells.append(cell)
    return cells


def value_cells(key: str, values: dict[tuple[int, int], Decimal | None]) -> list[Cell]:
    """Cells of a figure computed per period by the source itself (a median):
    ``{(year, month): value}``; None values are left out."""
    return [
        Cell(key, year, month, Decimal(value), None)
        for (year, month), value in sorted(values.items())
        if value is not None
    ]
