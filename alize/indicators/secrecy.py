"""Statistical secrecy of the figures published outside the network (docs/open-data.md,
docs/architecture.md §8).

A figure about SMEs (``Indicator.about_smes``) is published only when no single firm can be
read from it:

- **primary suppression**: a cell behind which stand fewer than
  ``INDICATORS_SECRECY_MIN_SMES`` SMEs (but at least one), or where one SME makes more than
  ``INDICATORS_SECRECY_DOMINANCE`` of the amount, is suppressed (``Reason.FEW_SMES``,
  ``Reason.DOMINANCE``); a cell with no SME behind it tells nothing about a firm;
- **secondary suppression**: the published cells add up (dispositifs to their region's
  total, months to the year for flows), so a suppressed cell alone in such a line would be
  the total minus the others. Each line (the dispositifs of a group and its total for one
  month or the year; the months of a row and its year) holding exactly one suppressed cell
  gets a second one: the smallest non-zero cell left (zero cells last), or the total when
  there is no other cell (``Reason.SECONDARY``), until no line holds exactly one. A stock's
  year is its last month's value: both are suppressed together;
- **ratios** are suppressed with either of their parts (a ratio and one part give the other
  part), and never otherwise (a ratio of two published parts tells nothing new).

Figures not about SMEs are published as they are. What is never published outside
(``Indicator.public`` False) is the publisher's business (``reporting.publication``).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .cells import period_ends
from .reading import Figure, by_month, total
from .registry import INDICATORS, ZERO, Indicator, Kind

# A cell of a table: (row, month); a row is a dispositif id or a group (its total), month 0
# is the whole year.
Cell = tuple[Hashable, int]
Table = dict[Cell, dict[str, Figure]]


class Reason(models.TextChoices):
    FEW_SMES = "few_smes", _("trop peu de PME derrière le chiffre")
    DOMINANCE = "dominance", _("une PME fait l'essentiel du montant")
    SECONDARY = "secondary", _("masqué pour qu'un chiffre masqué ne puisse être recalculé")


def primary(figure: Figure) -> str:
    """Why ``figure`` alone may not be published ("" when it may)."""
    item = figure.indicator
    if not item.about_smes or item.is_ratio or figure.value is None:
        return ""
    smes = figure.smes or 0
    if 0 < smes < settings.INDICATORS_SECRECY_MIN_SMES:
        return Reason.FEW_SMES
    dominance: Decimal = settings.INDICATORS_SECRECY_DOMINANCE
    if smes and figure.value and abs(figure.top) > dominance * abs(figure.value):
        return Reason.DOMINANCE
    return ""


def _lines(
    item: Indicator,
    cells: Iterable[Cell],
    groups: Mapping[Hashable, Sequence[Hashable]],
    stock_month: int,
) -> tuple[list[tuple[list[Cell], Cell]], list[tuple[Cell, Cell]]]:
    """The additive lines ``(parts, total)`` of one indicator's cells, and the pairs of
    cells that are equal (a stock's year and last month)."""
    present = set(cells)
    months = sorted({month for _row, month in present})
    rows = sorted({row for row, _month in present}, key=repr)
    lines: list[tuple[list[Cell], Cell]] = []
    for group, members in groups.items():
        for month in months:
            margin = (group, month)
            parts = [(row, month) for row in members if (row, month) in present]
            if margin in present and parts:
                lines.append((parts, margin))
    pairs: list[tuple[Cell, Cell]] = []
    if item.monthly:
        for row in rows:
            if (row, 0) not in present:
                continue
            if item.kind == Kind.FLOW:
                parts = [(row, month) for month in months if month and (row, month) in present]
                if parts:
                    lines.append((parts, (row, 0)))
            elif item.kind == Kind.STOCK and (row, stock_month) in present and stock_month:
                pairs.append(((row, 0), (row, stock_month)))
    return lines, pairs


def _complement(values: Mapping[Cell, Figure], candidates: list[Cell]) -> Cell:
    """The cell to suppress beside another: the smallest non-zero one, zeros last."""

    def cost(cell: Cell):
        value = values[cell].value or ZERO
        return (value == 0, abs(value), repr(cell))

    return min(candidates, key=cost)


def _suppress_one(
    item: Indicator,
    values: Mapping[Cell, Figure],
    groups: Mapping[Hashable, Sequence[Hashable]],
    stock_month: int,
) -> dict[Cell, str]:
    hidden = {cell: reason for cell, figure in values.items() if (reason := primary(figure))}
    lines, pairs = _lines(item, values, groups, stock_month)
    changed = True
    while changed:
        changed = False
        for first, second in pairs:
            if (first in hidden) != (second in hidden):
                shown = second if first in hidden else first
                hidden[shown] = Reason.SECONDARY
                changed = True
        for parts, margin in lines:
            if sum(cell in hidden for cell in (*parts, margin)) != 1:
                continue
            candidates = [cell for cell in parts if cell not in hidden]
            hidden[_complement(values, candidates) if candidates else margin] = Reason.SECONDARY
            changed = True
    return hidden


def protect(
    table: Mapping[Cell, Mapping[str, Figure]],
    groups: Mapping[Hashable, Sequence[Hashable]],
    *,
    stock_month: int = 12,
) -> Table:
    """``table`` with statistical secrecy applied.

    ``table`` holds the figures of every row (dispositifs and groups) and month (0: the
    year) to be published, complete: a missing cell counts as unpublished, not as zero.
    ``groups`` maps each group row to the rows its total adds up. ``stock_month`` is the
    month whose stock the year's stock equals (the last month begun)."""
    result: Table = {cell: dict(figures) for cell, figures in table.items()}
    keys = {key for figures in table.values() for key in figures}
    for key in sorted(keys):
        item = INDICATORS[key]
        if item.is_ratio or not item.about_smes:
            continue
        values = {cell: figures[key] for cell, figures in table.items() if key in figures}
        for cell, reason in _suppress_one(item, values, groups, stock_month).items():
            result[cell][key] = result[cell][key].hidden(reason)
    for figures in result.values():
        for key, figure in figures.items():
            item = INDICATORS[key]
            if not item.is_ratio:
                continue
            parts = (figures.get(item.numerator), figures.get(item.denominator))
            reason = next((part.suppressed for part in parts if part and part.suppressed), "")
            if reason and not figure.suppressed:
                figures[key] = figure.hidden(reason)
    return result


def secret_keys(keys: Iterable[str]) -> list[str]:
    """Of ``keys``, those secrecy applies to (about SMEs), ratios with their parts."""
    chosen = []
    for key in keys:
        item = INDICATORS[key]
        if item.about_smes:
            chosen.append(key)
            if item.is_ratio:
                chosen += [item.numerator, item.denominator]
    return list(dict.fromkeys(chosen))


def _zero(key: str) -> Figure:
    item = INDICATORS[key]
    if item.is_ratio or item.recounted:
        return Figure(key, None)
    return Figure(key, ZERO, 0 if item.about_smes else None)


def protected_year(
    groups: Mapping[Hashable, Sequence[int]], year: int, keys: Iterable[str]
) -> Table:
    """The figures of ``keys`` that secrecy applies to, for every dispositif of ``groups``
    (each group's dispositifs add up to its total), every month and the year, with secrecy
    applied. Reads the facts of the active scope, which must cover every dispositif of the
    groups: secrecy is decided over whole groups, whoever asks."""
    wanted = secret_keys(keys)
    if not wanted:
        return {}
    months = [0] + [month for _year, month, _end in period_ends([year]) if month]
    stock_month = max(months)
    every = sorted({pk for members in groups.values() for pk in members})
    found = by_month(every, year, keys=wanted)
    table: Table = {}
    for group, members in groups.items():
        for month in months:
            rows = {}
            for pk in members:
                figures = found.get((pk, month)) or {key: _zero(key) for key in wanted}
                table[(pk, month)] = {key: figures[key] for key in wanted}
                rows[(pk, year)] = figures
            summed = total(members, year, month=month, keys=wanted, rows=rows)
            table[(group, month)] = {key: summed[key] for key in wanted}
    return protect(table, groups, stock_month=stock_month)
