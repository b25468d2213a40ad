"""The expert's week grid, as plain data: which week (``?week=2026-W48``), its days, the
cells posted by the form, and the rows the page shows.

Nothing here reads or writes the database: the view reads through the selectors, the week's
entries are saved by ``services``, and this module only turns those into the grid and the
posted form back into cells (with a message per cell that is not a number of hours).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _

from alize.errors import ApplicationError

from .hour_rules import check_quarter_hours

WEEK_PATTERN = re.compile(r"^(\d{4})-W(\d{1,2})$")
CELL_PREFIX = "h"
HOURS_IN_A_DAY = Decimal(24)
# The weeks a page can show: their previous and next weeks exist in the calendar.
FIRST_MONDAY = dt.date.min + dt.timedelta(days=7)
LAST_MONDAY = dt.date.max - dt.timedelta(days=13)


def parse_week(value: str | None, *, today: dt.date) -> dt.date:
    """The Monday of the ISO week ``2026-W48``; the current week when absent or invalid,
    or so near the calendar's ends that the page's previous or next week would not exist."""
    match = WEEK_PATTERN.match((value or "").strip())
    if match:
        try:
            monday = dt.date.fromisocalendar(int(match[1]), int(match[2]), 1)
        except ValueError:
            pass
        else:
            if FIRST_MONDAY <= monday <= LAST_MONDAY:
                return monday
    return today - dt.timedelta(days=today.weekday())


def week_label(monday: dt.date) -> str:
    """``2026-W48``: the week's ISO name, as in the address."""
    year, week, _weekday = monday.isocalendar()
    return f"{year}-W{week:02d}"


def day_name(day: dt.date) -> str:
    """« mardi 24 novembre 2026 »: how a message names a day (as the services do)."""
    return formats.date_format(day, "l j F Y")


def cell_message(day: dt.date, mission, message: str) -> str:
    """A refusal of one cell, naming the day and the mission's skill."""
    return _("%(day)s, %(mission)s : %(error)s") % {
        "day": day_name(day),
        "mission": mission.skill.label,
        "error": message,
    }


def by_day(item):
    """Sort key of ``((mission_id, day), message)``: by day, then mission."""
    (mission_id, day), _message = item
    return (day, mission_id)


def hours_label(hours) -> str:
    """Hours as a person reads them: ``7,5`` (``7.5`` in English), no trailing zeros."""
    if hours is None or hours == "":
        return "0"
    text = f"{Decimal(hours).quantize(Decimal('0.01')).normalize():f}"
    return formats.number_format(Decimal(text), use_l10n=True, force_grouping=True)


def over_plan_note(mission) -> str:
    """« 39,5 h au-delà des 60 h prévues » for a mission logged beyond its planned hours
    (read with ``logged_hours``), else ""."""
    over = mission.hours_over_plan
    if not over:
        return ""
    return _("%(over)s h au-delà des %(planned)s h prévues") % {
        "over": hours_label(over),
        "planned": hours_label(mission.planned_hours),
    }


def cell_name(mission_id: int, day: dt.date) -> str:
    """The form field of one cell: ``h-<mission>-<yyyy-mm-dd>``."""
    return f"{CELL_PREFIX}-{mission_id}-{day.isoformat()}"


def parse_hours(text: str) -> Decimal | None:
    """``7,5`` or ``7.5`` → ``Decimal("7.5")``; empty → ``None`` (no hours that day).
    Raises ``ValueError`` with the message to show when it is not a number of hours."""
    text = (text or "").strip().replace(",", ".").replace("\u00a0", "")
    if not text:
        return None
    try:
        hours = Decimal(text)
    except InvalidOperation:
        raise ValueError(
            _("« %(value)s » n'est pas un nombre d'heures.") % {"value": text}
        ) from None
    if not hours.is_finite():
        raise ValueError(_("« %(value)s » n'est pas un nombre d'heures.") % {"value": text})
    if hours < 0:
        raise ValueError(_("Les heures doivent être supérieures à zéro."))
    if hours > HOURS_IN_A_DAY:
        raise ValueError(_("Un jour compte 24 h au plus."))
    try:
        check_quarter_hours(hours)
    except ApplicationError as error:
        raise ValueError(error.message) from None
    return hours.normalize() if hours else Decimal("0")


@dataclass
class PostedCells:
    """The cells of a posted week: hours by (mission, day) for those that read as numbers,
    and a message by (mission, day) for those that do not."""

    hours: dict[tuple[int, dt.date], Decimal | None] = field(default_factory=dict)
    errors: dict[tuple[int, dt.date], str] = field(default_factory=dict)


def read_posted_cells(data, *, mission_ids: set[int], days: list[dt.date]) -> PostedCells:
    """Read the cells of the open missions and days from the posted form. A cell the form
    did not send (a locked one, a mission of another week) is not in the result at all, so
    it is never taken for an emptied cell."""
    posted = PostedCells()
    for mission_id in sorted(mission_ids):
        for day in days:
            name = cell_name(mission_id, day)
            if name not in data:
                continue
            try:
                hours = parse_hours(data.get(name, ""))
            except ValueError as error:
                posted.errors[(mission_id, day)] = str(error)
                continue
            posted.hours[(mission_id, day)] = hours or None
    return posted


def stored_hours(cell) -> Decimal | None:
    """The hours of a grid cell's entry (``None`` without one)."""
    return cell.entry.hours if cell.entry is not None else None


@dataclass
class Cell:
    """One day of one mission as the page shows it."""

    day: dt.date
    name: str
    hours: Decimal | None  # the stored entry
    adjustments: Decimal  # the adjustments of that day, shown apart
    editable: bool
    locked_reason: str  # "month_closed", "outside_mission", "mission_not_open", "future" or ""
    value: str = ""  # what the input shows (what was typed, when refused)
    error: str = ""
    saved: bool = False

    @property
    def month_closed(self) -> bool:
        return self.locked_reason == "month_closed"


@dataclass
class Row:
    """One mission of the week, its seven cells, its adjustments and its total."""

    mission: object
    cells: list[Cell]
    total: Decimal
    adjustments: list = field(default_factory=list)
    html: str = ""  # the row as the page shows it (written by the view)

    @property
    def editable(self) -> bool:
        return any(cell.editable for cell in self.cells)


def rows_of(week, *, posted=None, refusals: dict, saved=()) -> list[Row]:
    """The page's rows from the selectors' ``WeekGrid``: refused cells show what was typed
    and their message, saved ones are marked."""
    rows = []
    for source in week.rows:
        cells = []
        for source_cell in source.cells:
            key = (source.mission.pk, source_cell.date)
            cell = Cell(
                day=source_cell.date,
                name=cell_name(source.mission.pk, source_cell.date),
                hours=stored_hours(source_cell),
                adjustments=source_cell.adjustments,
                editable=source_cell.editable,
                locked_reason=source_cell.locked_reason,
                saved=key in saved,
            )
            cell.value = hours_text(cell.hours)
            if key in refusals:
                cell.error = refusals[key]
                if posted is not None:
                    cell.value = posted.get(cell.name, cell.value)
            cells.append(cell)
        adjustments = [log for log in week.adjustments if log.mission_id == source.mission.pk]
        rows.append(
            Row(mission=source.mission, cells=cells, total=source.total, adjustments=adjustments)
        )
    return rows


def hours_text(hours: Decimal | None) -> str:
    """An input's value as the person types it: ``7,5`` in French (``7.5`` in English),
    ``""`` for no hours. The cells are text inputs: a number input in a French browser
    drops a typed comma, and « 3,5 » would be sent as 35."""
    if not hours:
        return ""
    return formats.number_format(hours.normalize(), use_l10n=True)
