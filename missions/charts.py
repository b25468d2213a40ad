"""The fatigue chart, drawn on the server as inline SVG (no script, no library): per firm
three bars — hours asked, pledged and delivered in the year — on one scale, the delivered
bar in red when the firm is over its pledge. Each bar carries its figure as text and the
chart a title and description, so it reads without seeing it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

from .grid import hours_label

LABEL_WIDTH = 170
BAR_AREA = 520
BAR_HEIGHT = 11
BAR_GAP = 2
GROUP_GAP = 14
VALUE_WIDTH = 70


@dataclass(frozen=True)
class Bar:
    kind: str  # "asked", "pledged", "delivered"
    label: str
    hours: Decimal
    y: int
    width: int
    over: bool = False

    @property
    def text(self) -> str:
        return f"{self.label} : {hours_label(self.hours)} h"


@dataclass(frozen=True)
class Group:
    name: str
    y: int
    bars: list[Bar]
    over: bool


@dataclass(frozen=True)
class Chart:
    groups: list[Group]
    width: int
    height: int
    label_width: int = LABEL_WIDTH
    value_x: int = LABEL_WIDTH + BAR_AREA + 6


def fatigue_chart(firms) -> Chart:
    """The chart of ``FirmFigures`` rows (asked, pledged, delivered, over_pledge)."""
    top = max(
        [max(f.asked, f.pledged, f.delivered) for f in firms] + [Decimal(1)], default=Decimal(1)
    )
    labels = (("asked", _("demandées")), ("pledged", _("promises")), ("delivered", _("réalisées")))
    groups = []
    y = 6
    for firm in firms:
        bars = []
        for index, (kind, label) in enumerate(labels):
            hours = getattr(firm, kind)
            width = int(Decimal(BAR_AREA) * hours / top) if hours > 0 else 0
            bars.append(
                Bar(
                    kind=kind,
                    label=label,
                    hours=hours,
                    y=y + index * (BAR_HEIGHT + BAR_GAP),
                    width=max(width, 1 if hours > 0 else 0),
                    over=kind == "delivered" and firm.over_pledge,
                )
            )
        groups.append(Group(name=firm.name, y=y, bars=bars, over=firm.over_pledge))
        y += 3 * (BAR_HEIGHT + BAR_GAP) + GROUP_GAP
    return Chart(groups=groups, width=LABEL_WIDTH + BAR_AREA + VALUE_WIDTH + 110, height=y)
