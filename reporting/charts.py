"""Charts drawn as SVG in Python, inlined in the PDFs (WeasyPrint renders inline SVG), so a
report needs no browser, no JavaScript and no image files."""

from __future__ import annotations

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

BAR_HEIGHT = 16
GAP = 6
LABEL_WIDTH = 190
VALUE_WIDTH = 50


def horizontal_bars(bars, *, width: int = 480, colour: str = "#1d5c8c") -> SafeString:
    """A horizontal bar chart: one labelled bar per ``(label, value)`` of ``bars``, scaled to
    the largest value, the value written at the end of each bar."""
    bars = list(bars)
    largest = max((bar.value for bar in bars), default=0) or 1
    span = width - LABEL_WIDTH - VALUE_WIDTH
    height = max(len(bars), 1) * (BAR_HEIGHT + GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">'
    ]
    for index, bar in enumerate(bars):
        y = index * (BAR_HEIGHT + GAP)
        length = round(span * bar.value / largest)
        parts.append(
            f'<text x="{LABEL_WIDTH - 6}" y="{y + BAR_HEIGHT - 4}" text-anchor="end" '
            f'font-size="10">{escape(bar.label)[:40]}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
            f'fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + length + 4}" y="{y + BAR_HEIGHT - 4}" '
            f'font-size="10">{bar.value}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - labels are escaped above
