"""Server-rendered charts of the loans pages: the geometry of an inline SVG, computed here so
the template only draws it (no script, nothing the content security policy would refuse).

The utilisation chart plots, month by month, the money lent out as a share of the money the
fund had; idle money shows as short bars. The SVG scales to the page's width through its
``viewBox``, so it fits a phone as well as a desk screen.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from alize.formats import share_percent

WIDTH = 600
HEIGHT = 220
LEFT = 40  # room for the percentage labels
BOTTOM = 24  # room for the month labels
TOP = 8
GRID = (Decimal("0"), Decimal("0.25"), Decimal("0.5"), Decimal("0.75"), Decimal("1"))


@dataclass(frozen=True)
class Bar:
    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    label: str  # the month, under the bar (every few bars only)
    title: str  # the exact figure, as a tooltip


@dataclass(frozen=True)
class GridLine:
    y: Decimal
    label: str


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    left: int
    baseline: Decimal
    bars: list[Bar]
    grid: list[GridLine]


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def ratio_bar_chart(points: list[tuple[str, Decimal | None, str]]) -> BarChart | None:
    """Bars for ``(label, ratio, title)`` points, ratios drawn against 0–100 % (a ratio
    above 1 is drawn to the top); ``None`` ratios leave a gap. ``None`` without points."""
    if not points:
        return None
    plot_height = Decimal(HEIGHT - BOTTOM - TOP)
    plot_width = Decimal(WIDTH - LEFT)
    slot = plot_width / len(points)
    bar_width = slot * Decimal("0.7")
    baseline = Decimal(HEIGHT - BOTTOM)
    # At most about twelve month labels, whatever the number of bars.
    label_every = max(1, -(-len(points) // 12))
    bars = []
    for index, (label, ratio, title) in enumerate(points):
        shown = min(max(ratio or Decimal(0), Decimal(0)), Decimal(1))
        height = plot_height * shown
        bars.append(
            Bar(
                x=_round(LEFT + slot * index + (slot - bar_width) / 2),
                y=_round(baseline - height),
                width=_round(bar_width),
                height=_round(height),
                label=label if index % label_every == 0 else "",
                title=title,
            )
        )
    grid = [
        GridLine(y=_round(baseline - plot_height * level), label=share_percent(level, 0))
        for level in GRID
    ]
    return BarChart(width=WIDTH, height=HEIGHT, left=LEFT, baseline=baseline, bars=bars, grid=grid)
