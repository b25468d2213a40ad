"""The expert's week grid and the missions still waiting for this month's hours."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from partners.models import Expert

from ..models import (
    LOGGABLE_STATUSES,
    ClosedMonth,
    HourLog,
    HourLogKind,
    MissionStatus,
    SkillMission,
)
from ._common import ZERO, mission_logged_hours


@dataclass
class GridCell:
    date: dt.date
    entry: HourLog | None
    adjustments: Decimal
    editable: bool
    locked_reason: str = ""

    @property
    def hours(self) -> Decimal:
        return self.entry.hours if self.entry else ZERO


@dataclass
class GridRow:
    mission: SkillMission
    cells: list[GridCell]

    @property
    def total(self) -> Decimal:
        return sum((c.hours + c.adjustments for c in self.cells), ZERO)


@dataclass
class WeekGrid:
    monday: dt.date
    days: list[dt.date]
    rows: list[GridRow]
    adjustments: list[HourLog]

    @property
    def day_totals(self) -> list[Decimal]:
        return [
            sum((row.cells[i].hours + row.cells[i].adjustments for row in self.rows), ZERO)
            for i in range(7)
        ]

    @property
    def total(self) -> Decimal:
        return sum(self.day_totals, ZERO)


def week_grid(*, expert: Expert, monday: dt.date, today: dt.date | None = None) -> WeekGrid:
    """The expert's missions that overlap the week (open for hours, or with hours in it)
    × its seven days, with the entries, adjustments and locks. Three queries; runs in the
    expert's scope (which holds every dispositif their firm works in)."""
    today = today or timezone.localdate()
    monday = monday - dt.timedelta(days=monday.weekday())
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    sunday = days[-1]
    logs = list(
        HourLog.objects.filter(expert=expert, date__gte=monday, date__lte=sunday).order_by(
            "date", "id"
        )
    )
    logged_missions = {log.mission_id for log in logs}
    # One assignment per mission and expert (``mission_assignment_unique``): the join
    # repeats no mission, and needs no DISTINCT (a sort of every column of the row).
    missions = list(
        SkillMission.objects.filter(assignments__expert=expert)
        .filter(
            Q(pk__in=logged_missions)
            | Q(status__in=LOGGABLE_STATUSES, starts_on__lte=sunday, ends_on__gte=monday)
        )
        .select_related("skill", "project__company", "dispositif")
        .annotate(logged_hours=mission_logged_hours())
        .order_by("starts_on", "pk")
    )
    months = {day.replace(day=1) for day in days}
    closed = set(
        ClosedMonth.objects.filter(
            dispositif__in={m.dispositif_id for m in missions}, month__in=months
        ).values_list("dispositif_id", "month")
    )
    entries = {(log.mission_id, log.date): log for log in logs if log.kind == HourLogKind.ENTRY}
    adjustments: dict[tuple[int, dt.date], Decimal] = {}
    for log in logs:
        if log.kind == HourLogKind.ADJUSTMENT:
            key = (log.mission_id, log.date)
            adjustments[key] = adjustments.get(key, ZERO) + log.hours
    rows = []
    for mission in missions:
        cells = []
        for day in days:
            locked = ""
            if (mission.dispositif_id, day.replace(day=1)) in closed:
                locked = "month_closed"
            elif not mission.starts_on <= day <= mission.ends_on:
                locked = "outside_mission"
            elif mission.status not in LOGGABLE_STATUSES:
                locked = "mission_not_open"
            elif day > today:
                locked = "future"
            cells.append(
                GridCell(
                    date=day,
                    entry=entries.get((mission.pk, day)),
                    adjustments=adjustments.get((mission.pk, day), ZERO),
                    editable=not locked,
                    locked_reason=locked,
                )
            )
        rows.append(GridRow(mission=mission, cells=cells))
    return WeekGrid(
        monday=monday,
        days=days,
        rows=rows,
        adjustments=[log for log in logs if log.kind == HourLogKind.ADJUSTMENT],
    )


def expert_to_log(*, expert: Expert, today: dt.date | None = None) -> list[SkillMission]:
    """The expert's missions in progress with no hours logged this month."""
    today = today or dt.date.today()
    first = today.replace(day=1)
    logged = HourLog.objects.filter(
        mission=OuterRef("pk"), expert=expert, date__gte=first, date__lte=today
    )
    return list(
        SkillMission.objects.filter(
            assignments__expert=expert,
            status=MissionStatus.IN_PROGRESS,
            starts_on__lte=today,
            ends_on__gte=first,
        )
        .exclude(Exists(logged))
        .select_related("skill", "project__company", "dispositif")
        .order_by("ends_on", "pk")
    )
