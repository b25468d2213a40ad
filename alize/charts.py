"""One chart kit for the pages and the PDFs. A chart function turns figures into a ``Chart``:
its title, a description that reads every figure aloud, a small data table, and the marks
of an inline SVG with their coordinates. ``templates/includes/chart.html`` draws it — in a
page or in a WeasyPrint PDF alike, with no script, no library and nothing the content
security policy refuses — and can add the data table as the chart's text alternative.

Three shapes: ``bar_chart`` (horizontal bars, one or a group per label: partner fatigue,
the annual report), ``column_chart`` (vertical bars against a scale with grid lines: fund
utilisation) and ``line_chart`` (lines across categories such as years: trends).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from itertools import groupby

from django.utils.translation import gettext as _

from . import formats

Number = Decimal | int

INK = "#5b6b7a"
BRAND = "#1d5c8c"
# Lines are told apart by their dash as well as their colour (never by colour alone).
PALETTE = ("#1d5c8c", "#c2571a", "#4d7f3a", "#7a4d8c", "#8c5a1d")
DASHES = ("", "6 3", "2 3", "8 3 2 3", "4 4")
GAP = "—"

# The frame of column and line charts: a 600 × 220 view box, room on the left for the
# scale and at the bottom for the categories.
WIDTH = 600
HEIGHT = 220
LEFT = 40
BOTTOM = 24
TOP = 8
LEGEND_ROW = 20
GRID_STEPS = 4
MOST_CATEGORY_LABELS = 12


# -- What a chart is made of ------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One figure: its label, the value that sizes its mark (``None``: no figure), how the
    value reads (``text``; the number itself when empty), what a reader hears and a tooltip
    shows (``title``; « label : text » when empty), and the class of its mark."""

    label: str
    value: Number | None
    text: str = ""
    title: str = ""
    css: str = ""

    @property
    def shown(self) -> str:
        if self.text:
            return self.text
        return GAP if self.value is None else formats.number(self.value)

    @property
    def spoken(self) -> str:
        return self.title or said(self.label, self.shown)


@dataclass(frozen=True)
class BarGroup:
    """Bars drawn together under one label (a firm's hours asked, pledged and delivered);
    a ``note`` marks a group that stands out: ⚠ by its label, said in the description."""

    label: str
    bars: Sequence[Bar]
    note: str = ""


@dataclass(frozen=True)
class Series:
    """One line of a line chart: its name and one value per category (``None``: no figure,
    the line breaks there); ``texts`` say how each value reads (the number by default)."""

    name: str
    values: Sequence[Number | None]
    texts: Sequence[str] = ()

    def value(self, index: int) -> Number | None:
        return self.values[index] if index < len(self.values) else None

    def text(self, index: int) -> str:
        if index < len(self.texts) and self.texts[index]:
            return self.texts[index]
        value = self.value(index)
        return GAP if value is None else formats.number(value)


@dataclass(frozen=True)
class Style:
    """How a chart sits in its document: a page scales it to its column (``fixed`` false),
    a PDF gives it its size; ``css`` is the class a page's style sheet colours it by."""

    fixed: bool = False
    css: str = ""
    font_size: int = 11
    ink: str = INK


PAGE = Style()
PDF = Style(fixed=True, font_size=10, ink="#1b1b1b")


@dataclass(frozen=True)
class BarLayout:
    """The sizes of a bar chart: its width, the room for the labels on the left and for the
    figures after the longest bar, the bars' thickness and the gaps between them."""

    width: int = 480
    label_width: int = 190
    value_width: int = 50
    bar_height: int = 16
    bar_gap: int = 6
    group_gap: int = 0
    top: int = 0
    label_chars: int = 40
    label_anchor: str = "end"


# -- What the template draws -------------------------------------------------------------------


@dataclass(frozen=True)
class Rect:
    """A bar as drawn, with its tooltip."""

    x: Decimal
    y: Decimal
    width: Decimal
    height: Decimal
    title: str = ""
    css: str = ""
    fill: str = BRAND


@dataclass(frozen=True)
class Text:
    """A piece of text drawn at ``(x, y)`` (its baseline), anchored at its start, middle or
    end."""

    x: Decimal
    y: Decimal
    text: str
    anchor: str = "start"


@dataclass(frozen=True)
class Mark:
    """What one label draws: its bars and its texts (the label, the figures)."""

    label: str
    rects: list[Rect]
    texts: list[Text]


@dataclass(frozen=True)
class GridLine:
    """A horizontal line of the scale from ``LEFT`` to ``WIDTH``, its value written on the
    left (``label_y``: the text's baseline, a little under the line)."""

    y: Decimal
    label: str
    label_y: Decimal


@dataclass(frozen=True)
class Dot:
    """A point of a line, with its tooltip."""

    x: Decimal
    y: Decimal
    title: str


@dataclass(frozen=True)
class Line:
    """A series as drawn: its segments (``"x,y x,y …"``, broken where a value is missing),
    its points, the colour and dash that tell it apart, and where the legend names it."""

    name: str
    colour: str
    dash: str
    segments: list[str]
    dots: list[Dot]
    legend_x: int
    legend_y: int


@dataclass(frozen=True)
class Table:
    """The chart's figures as a table (its text alternative): column headers, then one row
    per label."""

    headers: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class Chart:
    """A chart ready to draw. ``key`` names it in the page (``data-chart``, the ids of its
    title and description), so two charts of one page need two keys."""

    key: str
    title: str
    description: str
    table: Table
    width: int
    height: int
    style: Style = PAGE
    marks: list[Mark] = field(default_factory=list)
    grid: list[GridLine] = field(default_factory=list)
    axis: list[Text] = field(default_factory=list)
    lines: list[Line] = field(default_factory=list)
    baseline: Decimal | None = None
    left: int = LEFT  # where the plot starts, right of the scale

    @property
    def bars(self) -> list[Rect]:
        return [rect for mark in self.marks for rect in mark.rects]


# -- Helpers ---------------------------------------------------------------------------------


def said(label: str, value: str) -> str:
    """« label : value », as a description reads a figure."""
    return _("%(label)s : %(value)s") % {"label": label, "value": value}


def _px(value) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _clamp(value: Number | None, maximum: Decimal) -> Decimal:
    """``value`` as a share of ``maximum``, kept within 0–1 (a bar above the scale is drawn
    to its top, a missing or negative value is no bar)."""
    if value is None or maximum <= 0:
        return Decimal(0)
    return min(max(Decimal(value) / maximum, Decimal(0)), Decimal(1))


def _truncate(label: str, chars: int) -> str:
    return label if len(label) <= chars else label[: chars - 1] + "…"


def _nice_maximum(values: Sequence[Number | None]) -> Decimal:
    """The top of a scale at or above the largest of ``values`` whose quarters read as round
    numbers (1, 2, 4, 6, 8 × 10ⁿ), and as whole numbers when every value is whole."""
    known = [Decimal(value) for value in values if value is not None]
    largest = max([*known, Decimal(0)])
    whole = all(value == value.to_integral_value() for value in known)
    if largest <= 0:
        return Decimal(GRID_STEPS) if whole else Decimal(1)
    exponent = largest.adjusted()
    tops = (Decimal(step).scaleb(exponent + up) for up in (0, 1) for step in (1, 2, 4, 6, 8))
    return next(t for t in tops if t >= largest and (not whole or t / GRID_STEPS % 1 == 0))


def _grid(maximum: Decimal, baseline: Decimal, plot: Decimal, text: Callable) -> list[GridLine]:
    lines = []
    for step in range(GRID_STEPS + 1):
        y = _px(baseline - plot * step / GRID_STEPS)
        lines.append(GridLine(y=y, label=text(maximum * step / GRID_STEPS), label_y=y + 4))
    return lines


def _label_every(count: int) -> int:
    """Write one category label in so many, so that at most about twelve are written."""
    return max(1, -(-count // MOST_CATEGORY_LABELS))


# -- The three shapes ------------------------------------------------------------------------


def bar_chart(
    items: Sequence[Bar | BarGroup],
    *,
    key: str,
    title: str,
    headers: Sequence[str] = (),
    colour: str = BRAND,
    layout: BarLayout | None = None,
    style: Style = PAGE,
) -> Chart:
    """Horizontal bars on one scale (the largest value fills the room): one bar per ``Bar``,
    several under one label per ``BarGroup``, each figure written after its bar."""
    layout = layout or BarLayout()
    groups = [
        item if isinstance(item, BarGroup) else BarGroup(label=item.label, bars=[item])
        for item in items
    ]
    values = [Decimal(bar.value) for group in groups for bar in group.bars if bar.value]
    largest = max([*values, Decimal(0)]) or Decimal(1)
    area = Decimal(layout.width - layout.label_width - layout.value_width)
    step = layout.bar_height + layout.bar_gap
    label_x = 0 if layout.label_anchor == "start" else layout.label_width - 6
    marks, sentences = [], []
    y = layout.top
    for group in groups:
        rects, texts = [], []
        span = len(group.bars) * step - layout.bar_gap
        label = _truncate(group.label, layout.label_chars) + (" ⚠" if group.note else "")
        texts.append(
            Text(
                x=_px(label_x),
                y=_px(y + (span + style.font_size) // 2 - 1),
                text=label,
                anchor=layout.label_anchor,
            )
        )
        for index, bar in enumerate(group.bars):
            top = y + index * step
            length = _px(area * _clamp(bar.value, largest))
            if bar.value and bar.value > 0:
                length = max(length, Decimal(1))
            rects.append(
                Rect(
                    x=_px(layout.label_width),
                    y=_px(top),
                    width=length,
                    height=_px(layout.bar_height),
                    title=bar.spoken,
                    css=bar.css,
                    fill=colour,
                )
            )
            texts.append(
                Text(
                    x=_px(layout.label_width + length + 4),
                    y=_px(top + (layout.bar_height + style.font_size) // 2 - 1),
                    text=bar.shown,
                )
            )
        marks.append(Mark(label=group.label, rects=rects, texts=texts))
        sentences.append(_group_sentence(group))
        y += len(group.bars) * step + layout.group_gap
    height = max(y, layout.top + step + layout.group_gap)
    if not headers:
        first = groups[0].bars if groups else []
        headers = ["", *(bar.label for bar in first)] if len(first) > 1 else ["", title]
    rows = [[group.label, *(bar.shown for bar in group.bars)] for group in groups]
    return Chart(
        key=key,
        title=title,
        description=" ".join(sentences),
        table=Table(headers=list(headers), rows=rows),
        width=layout.width,
        height=height,
        style=style,
        marks=marks,
    )


def _group_sentence(group: BarGroup) -> str:
    if len(group.bars) == 1 and group.bars[0].label == group.label:
        sentence = group.bars[0].spoken
    else:
        sentence = said(group.label, ", ".join(bar.spoken for bar in group.bars))
    if group.note:
        sentence += f" ({group.note})"
    return sentence + "."


def column_chart(
    bars: Sequence[Bar],
    *,
    key: str,
    title: str,
    maximum: Number | None = None,
    scale: Callable[[Decimal], str] = formats.number,
    headers: Sequence[str] = (),
    colour: str = "#1d6fa5",
    style: Style = PAGE,
) -> Chart | None:
    """Vertical bars against a scale from 0 to ``maximum`` (the largest value by default;
    a bar above it is drawn to the top, a missing value leaves a gap), with grid lines at
    its quarters written by ``scale``. ``None`` without bars."""
    if not bars:
        return None
    top = Decimal(maximum) if maximum else _nice_maximum([bar.value for bar in bars])
    plot = Decimal(HEIGHT - BOTTOM - TOP)
    slot = Decimal(WIDTH - LEFT) / len(bars)
    bar_width = slot * Decimal("0.7")
    baseline = Decimal(HEIGHT - BOTTOM)
    every = _label_every(len(bars))
    marks, axis = [], []
    for index, bar in enumerate(bars):
        height = plot * _clamp(bar.value, top)
        x = _px(LEFT + slot * index + (slot - bar_width) / 2)
        rect = Rect(
            x=x,
            y=_px(baseline - height),
            width=_px(bar_width),
            height=_px(height),
            title=bar.spoken,
            css=bar.css,
            fill=colour,
        )
        marks.append(Mark(label=bar.label, rects=[rect], texts=[]))
        if index % every == 0:
            axis.append(Text(x=x, y=Decimal(HEIGHT - 6), text=bar.label))
    return Chart(
        key=key,
        title=title,
        description=" ".join(said(bar.label, bar.shown) + "." for bar in bars),
        table=Table(
            headers=list(headers) or ["", title], rows=[[bar.label, bar.shown] for bar in bars]
        ),
        width=WIDTH,
        height=HEIGHT,
        style=style,
        marks=marks,
        grid=_grid(top, baseline, plot, scale),
        axis=axis,
        baseline=baseline,
    )


def line_chart(
    categories: Sequence[str],
    series: Sequence[Series],
    *,
    key: str,
    title: str,
    maximum: Number | None = None,
    scale: Callable[[Decimal], str] = formats.number,
    category_header: str = "",
    style: Style = PAGE,
) -> Chart | None:
    """One line per ``Series`` across ``categories`` (five years of a figure, say), on a
    scale from 0 to ``maximum`` (a round number above the largest value by default) with
    grid lines at its quarters, a legend above and a point per figure. ``None`` without
    categories or series."""
    if not categories or not series:
        return None
    top = (
        Decimal(maximum)
        if maximum
        else _nice_maximum([value for line in series for value in line.values])
    )
    plot = Decimal(HEIGHT - BOTTOM - TOP - LEGEND_ROW)
    baseline = Decimal(HEIGHT - BOTTOM)
    grid = _grid(top, baseline, plot, scale)
    # Room on the left for the widest value of the scale (« 300 000 € » needs more than 40).
    left = max(LEFT, 8 + round(max(len(line.label) for line in grid) * style.font_size * 0.6))
    slot = Decimal(WIDTH - left) / len(categories)
    every = _label_every(len(categories))
    axis = [
        Text(
            x=_px(left + slot * index + slot / 2), y=Decimal(HEIGHT - 6), text=name, anchor="middle"
        )
        for index, name in enumerate(categories)
        if index % every == 0
    ]
    lines, sentences = [], []
    legend_x = left
    for position, line in enumerate(series):
        points: list[str | None] = []
        dots = []
        for index, name in enumerate(categories):
            value = line.value(index)
            if value is None:
                points.append(None)
                continue
            x = _px(left + slot * index + slot / 2)
            y = _px(baseline - plot * _clamp(value, top))
            points.append(f"{x},{y}")
            dots.append(Dot(x=x, y=y, title=said(f"{line.name}, {name}", line.text(index))))
        runs = groupby(points, key=lambda point: point is None)
        segments = [" ".join(p for p in run if p is not None) for gap, run in runs if not gap]
        colour, dash = PALETTE[position % len(PALETTE)], DASHES[position % len(DASHES)]
        lines.append(Line(line.name, colour, dash, segments, dots, legend_x, TOP + 10))
        legend_x += 44 + round(len(line.name) * style.font_size * 0.6)
        figures = ", ".join(said(name, line.text(i)) for i, name in enumerate(categories))
        sentences.append(said(line.name, figures) + ".")
    rows = [[name, *(line.text(i) for line in series)] for i, name in enumerate(categories)]
    return Chart(
        key=key,
        title=title,
        description=" ".join(sentences),
        table=Table(headers=[category_header, *(line.name for line in series)], rows=rows),
        width=WIDTH,
        height=HEIGHT,
        style=style,
        grid=grid,
        left=left,
        axis=axis,
        lines=lines,
        baseline=baseline,
    )
