"""The expert's week grid: hours per mission and day, saved a week at a time."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from alize.actions import Action
from alize.web import ActionRequiredMixin, require

from .. import grid, selectors, services

EMPTY_CELL = mark_safe('<span class="muted" aria-hidden="true">·</span>')


def cell_html(cell: grid.Cell, label: str, day: tuple[str, str], titles: dict) -> SafeString:
    """One day of one mission: its input, or the hours it shows read-only, and the
    adjustments of that day."""
    iso, name = day
    classes = "refused" if cell.error else "saved" if cell.saved else ""
    classes += " locked" if cell.month_closed else " closed-day" if not cell.editable else ""
    if cell.editable:
        invalid = (
            format_html(' aria-invalid="true" aria-describedby="{}-error"', cell.name)
            if cell.error
            else ""
        )
        body = format_html(
            '<input type="text" name="{}" value="{}" inputmode="decimal" autocomplete="off" '
            'data-hours data-day="{}" aria-label="{}, {}"{}>',
            cell.name,
            cell.value,
            iso,
            label,
            name,
            invalid,
        )
        if cell.error:
            body += format_html(
                '<span class="cell-error" id="{}-error">{}</span>', cell.name, cell.error
            )
    elif cell.hours:
        body = format_html(
            '<span class="locked-hours" data-hours="{}" data-day="{}" title="{}">{}</span>',
            localize(cell.hours),
            iso,
            titles["closed" if cell.month_closed else "outside"],
            grid.hours_label(cell.hours),
        )
    else:
        body = EMPTY_CELL
    if cell.adjustments:
        body += format_html(
            '<span class="muted adjusted" data-hours="{}" data-day="{}">{}{}</span>',
            localize(cell.adjustments),
            iso,
            "+" if cell.adjustments > 0 else "",
            grid.hours_label(cell.adjustments),
        )
    return format_html('<td data-cell data-day="{}" class="{}">{}</td>', iso, classes, body)


def week_row_html(row: grid.Row, days: dict[dt.date, tuple[str, str]]) -> SafeString:
    """One mission's row of the grid (its name, seven days, its total), built here rather
    than by the template's loops: a page of many missions formats each day's names once
    (``days``: the ISO date and the day's name), not once per cell."""
    mission = row.mission
    label = mission.skill.label
    over = grid.over_plan_note(mission)
    titles = {"closed": _("Mois clos"), "outside": _("Hors saisie")}
    cells = format_html_join(
        "", "{}", ((cell_html(cell, label, days[cell.day], titles),) for cell in row.cells)
    )
    return format_html(
        '<tr data-row="{}"{}><th scope="row"><a class="mission-name" href="{}">{}</a>'
        '<span class="muted">{} · {}</span>{}</th>{}<td class="num" data-row-total>{}</td></tr>',
        mission.pk,
        mark_safe(" data-over-planned") if over else "",
        reverse("missions:detail", args=[mission.pk]),
        label,
        mission.project.company.name,
        mission.dispositif.name,
        format_html('<span class="badge warn">{}</span>', over) if over else "",
        cells,
        grid.hours_label(row.total),
    )


class WeekGridView(ActionRequiredMixin, TemplateView):
    """The expert's week: one row per mission active that week, one column per day. The
    whole week is saved at once (htmx or a plain form): valid cells are saved, refused ones
    come back with a message naming the day; cells of closed months are read-only, with the
    adjustments made after closing as lines of their own."""

    action = Action.LOG_HOURS
    template_name = "missions/week_grid.html"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.expert = selectors.expert_of(request.user)
        return super().dispatch(request, *args, **kwargs)

    def read_week(self):
        require(self.expert is not None)
        self.today = timezone.localdate()
        week = self.request.POST.get("week") or self.request.GET.get("week")
        monday = grid.parse_week(week, today=self.today)
        self.week = selectors.week_grid(expert=self.expert, monday=monday, today=self.today)

    def context(self, posted=None, refusals=None, saved=(), **extra):
        rows = grid.rows_of(self.week, posted=posted, refusals=refusals or {}, saved=saved)
        days = {day: (day.isoformat(), grid.day_name(day)) for day in self.week.days}
        for row in rows:
            row.html = week_row_html(row, days)
        monday = self.week.monday
        context = {
            "title": _("Mes heures"),
            "expert": self.expert,
            "days": self.week.days,
            "today": self.today,
            "rows": rows,
            "day_totals": list(zip(self.week.days, self.week.day_totals, strict=True)),
            "week_total": self.week.total,
            "week": grid.week_label(monday),
            "previous_week": grid.week_label(monday - dt.timedelta(days=7)),
            "next_week": grid.week_label(monday + dt.timedelta(days=7)),
            "this_week": grid.week_label(self.today - dt.timedelta(days=self.today.weekday())),
            "editable": any(row.editable for row in rows),
        }
        context.update(extra)
        return context

    def get(self, request, *args, **kwargs):
        if self.expert is None:
            # The coordination may log hours anywhere but is no expert: say so.
            context = {"title": _("Mes heures"), "expert": None}
            return TemplateResponse(request, self.template_name, context)
        self.read_week()
        return TemplateResponse(request, self.template_name, self.context())

    def post(self, request, *args, **kwargs):
        self.read_week()
        missions = {row.mission.pk: row.mission for row in self.week.rows}
        editable = {
            (row.mission.pk, cell.date): cell
            for row in self.week.rows
            for cell in row.cells
            if cell.editable
        }
        posted = grid.read_posted_cells(
            request.POST, mission_ids=set(missions), days=self.week.days
        )
        refusals = {
            key: grid.cell_message(key[1], missions[key[0]], message)
            for key, message in posted.errors.items()
            if key in editable
        }
        changes = [
            services.HourCell(mission_id=mission_id, date=day, hours=hours)
            for (mission_id, day), hours in posted.hours.items()
            if (mission_id, day) in editable
            and hours != grid.stored_hours(editable[(mission_id, day)])
        ]
        saved: set = set()
        if changes:
            result = services.hours_save_week(expert=self.expert, cells=changes, by=request.user)
            saved = {(cell.mission_id, cell.date) for cell, _entry in result.saved}
            for error in result.errors:
                refusals[(error.mission_id, error.date)] = error.message
        if not refusals and not request.htmx:
            if saved:
                messages.success(request, _("Semaine enregistrée."))
            return redirect(f"{reverse('missions:hours')}?week={grid.week_label(self.week.monday)}")
        # Read the week again: what is stored now, the refused cells shown as typed.
        self.read_week()
        context = self.context(
            posted=request.POST,
            refusals=refusals,
            saved=saved,
            refusal_lines=[message for _key, message in sorted(refusals.items(), key=grid.by_day)],
            saved_count=len(saved),
            posted_now=True,
        )
        status = 400 if refusals else 200
        return TemplateResponse(request, self.template_name, context, status=status)
