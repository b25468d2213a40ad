"""Expert hours: one entry, the week grid's save, the removal of an entry, and the visible
adjustments (also in a closed month). Each change adds itself to ``FirmMonthHours``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.tenancy import scope
from partners.models import Expert

from ..hour_rules import check_day_done, check_quarter_hours
from ..models import (
    LOGGABLE_STATUSES,
    MAX_HOURS_PER_DAY,
    FirmMonthHours,
    HourLog,
    HourLogKind,
    MissionStatus,
    SkillMission,
)
from ._common import (
    MissionAccessError,
    _check_reason,
    _manages,
    _require,
    is_month_closed,
    lock_month,
    month_start,
)

ZERO = Decimal("0")


@dataclass(frozen=True)
class HourCell:
    """One cell of the week grid: the hours of a mission on a day (``None``/0 clears it)."""

    mission_id: int
    date: dt.date
    hours: Decimal | str | None
    note: str = ""


@dataclass
class CellError:
    """A refused cell of the week grid: its mission, day, message and the field at fault
    (``None`` when the refusal names none)."""

    mission_id: int
    date: dt.date
    message: str
    field: str | None = "hours"


@dataclass
class WeekResult:
    """What a week save did: the entries saved (or removed: ``None``) and refused cells."""

    saved: list[tuple[HourCell, HourLog | None]] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _lock_expert(expert: Expert) -> Expert:
    """Serialise every hour write of one person: the 12-hour rule reads then writes."""
    return Expert.objects.select_for_update().get(pk=expert.pk)


def day_total(*, expert_id: int, day: dt.date) -> Decimal:
    """The hours a person logged on a day across every mission of every dispositif.

    The 12-hour rule is a fact about the person, not about one dispositif, so this one
    number is summed in SQL over the whole table (no row leaves; a caller's scope may not
    include every dispositif the expert works in)."""
    reason = "the 12-hour rule sums a person's hours in every dispositif"
    with scope(every_dispositif=True, reason=reason), connection.cursor() as cursor:
        cursor.execute(
            "SELECT COALESCE(SUM(hours), 0) FROM missions_hourlog "
            "WHERE expert_id = %s AND date = %s",
            [expert_id, day],
        )
        return cursor.fetchone()[0]


def _add_to_firm_month(*, dispositif_id: int, firm_id: int, day: dt.date, hours: Decimal):
    """Add ``hours`` (signed) to the firm's monthly total in the dispositif (an upsert)."""
    if not hours:
        return
    table = FirmMonthHours._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (dispositif_id, firm_id, month, hours) "  # noqa: S608
            "VALUES (%s, %s, %s, %s) ON CONFLICT (dispositif_id, firm_id, month) "
            f"DO UPDATE SET hours = {table}.hours + EXCLUDED.hours",
            [dispositif_id, firm_id, month_start(day), hours],
        )


def _day_label(day: dt.date) -> str:
    return date_format(day, "l j F Y")


def _parse_hours(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        hours = Decimal(str(value).replace(",", "."))
    except InvalidOperation:
        raise ApplicationError(
            _("Saisissez un nombre d'heures."), field="hours", code="invalid"
        ) from None
    if not hours.is_finite():
        raise ApplicationError(_("Saisissez un nombre d'heures."), field="hours", code="invalid")
    return hours


def _check_within_mission(mission: SkillMission, day: dt.date) -> None:
    """Hours, entries and adjustments alike, fall within the mission's dates."""
    if not mission.starts_on <= day <= mission.ends_on:
        raise ApplicationError(
            _("Le %(day)s est hors des dates de la mission (du %(start)s au %(end)s).")
            % {
                "day": _day_label(day),
                "start": date_format(mission.starts_on, "SHORT_DATE_FORMAT"),
                "end": date_format(mission.ends_on, "SHORT_DATE_FORMAT"),
            },
            field="date",
            code="outside_mission",
        )


def _check_loggable(mission: SkillMission, expert: Expert, day: dt.date) -> None:
    if not mission.assignments.filter(expert=expert).exists():
        raise MissionAccessError(_("Vous n'êtes pas affecté à cette mission."))
    if mission.status not in LOGGABLE_STATUSES:
        raise ApplicationError(
            _("La mission n'est pas ouverte à la saisie (%(status)s).")
            % {"status": MissionStatus(mission.status).label},
            field="mission",
            code="mission_not_open",
        )
    _check_within_mission(mission, day)
    lock_month(dispositif_id=mission.dispositif_id, day=day, shared=True)
    if is_month_closed(dispositif_id=mission.dispositif_id, day=day):
        raise ApplicationError(
            _("Le mois du %(day)s est clos : demandez une régularisation.")
            % {"day": _day_label(day)},
            field="date",
            code="month_closed",
        )


def _check_day_total(expert: Expert, day: dt.date, change: Decimal) -> None:
    total = day_total(expert_id=expert.pk, day=day) + change
    if total > MAX_HOURS_PER_DAY:
        raise ApplicationError(
            _("Le %(day)s compterait %(total)s h, toutes missions confondues : 12 h au plus.")
            % {"day": _day_label(day), "total": f"{total.normalize():f}".replace(".", ",")},
            field="hours",
            code="day_over_12_hours",
        )
    if total < 0:
        raise ApplicationError(
            _("Le %(day)s compterait moins de 0 h.") % {"day": _day_label(day)},
            field="hours",
            code="day_negative",
        )


def _save_entry(*, mission, expert, day, hours, note, by) -> HourLog | None:
    """Set the entry of (mission, expert, day): create, change or (``None``/0) remove it.
    The expert row is locked by the caller."""
    _check_loggable(mission, expert, day)
    entry = (
        HourLog.objects.select_for_update()
        .filter(mission=mission, expert=expert, date=day, kind=HourLogKind.ENTRY)
        .first()
    )
    previous = entry.hours if entry else ZERO
    if hours is None or hours == 0:
        if entry is not None:
            entry.delete()
            _add_to_firm_month(
                dispositif_id=mission.dispositif_id,
                firm_id=mission.firm_id,
                day=day,
                hours=-previous,
            )
        return None
    if hours < 0:
        raise ApplicationError(
            _("Les heures doivent être supérieures à zéro."), field="hours", code="min_value"
        )
    check_quarter_hours(hours)
    check_day_done(day)
    _check_day_total(expert, day, hours - previous)
    if entry is None:
        entry = HourLog(
            dispositif_id=mission.dispositif_id,
            mission=mission,
            expert=expert,
            date=day,
            kind=HourLogKind.ENTRY,
            created_by=by,
        )
    entry.hours = hours
    entry.note = note or ""
    entry.full_clean()
    entry.save()
    _add_to_firm_month(
        dispositif_id=mission.dispositif_id,
        firm_id=mission.firm_id,
        day=day,
        hours=hours - previous,
    )
    return entry


def _require_own(expert: Expert, by) -> None:
    _require(
        by is not None and expert.user_id is not None and expert.user_id == by.pk,
        _("On ne saisit que ses propres heures."),
    )


@transaction.atomic
def hour_log_save(
    *,
    mission: SkillMission,
    expert: Expert,
    date: dt.date,
    hours,
    note: str = "",
    by,
    zero_removes: bool = True,
) -> HourLog | None:
    """Set the expert's own hours on a mission for a day (see the module contract). With
    ``zero_removes=False`` (the API's entries, removed by DELETE) no hours are refused."""
    _require_own(expert, by)
    hours = _parse_hours(hours)
    if not hours and not zero_removes:
        raise ApplicationError(
            _("Les heures doivent être supérieures à zéro."), field="hours", code="min_value"
        )
    expert = _lock_expert(expert)
    return _save_entry(mission=mission, expert=expert, day=date, hours=hours, note=note, by=by)


@transaction.atomic
def hours_save_week(*, expert: Expert, cells: Iterable[HourCell], by) -> WeekResult:
    """Save many grid cells: valid ones are kept, refused ones come back with a message
    naming the day and the mission; each cell is all or nothing."""
    _require_own(expert, by)
    expert = _lock_expert(expert)
    cells = sorted(cells, key=lambda cell: (cell.date, cell.mission_id))
    missions = {
        mission.pk: mission
        for mission in SkillMission.objects.select_related("skill", "project").filter(
            pk__in={cell.mission_id for cell in cells}, assignments__expert=expert
        )
    }
    result = WeekResult()
    for cell in cells:
        mission = missions.get(cell.mission_id)
        if mission is None:
            message = _("%(day)s : mission inconnue.") % {"day": _day_label(cell.date)}
            result.errors.append(CellError(cell.mission_id, cell.date, message, field="mission"))
            continue
        try:
            with transaction.atomic():
                entry = _save_entry(
                    mission=mission,
                    expert=expert,
                    day=cell.date,
                    hours=_parse_hours(cell.hours),
                    note=cell.note,
                    by=by,
                )
        except ApplicationError as error:
            message = _("%(day)s, %(mission)s : %(error)s") % {
                "day": _day_label(cell.date),
                "mission": mission.skill.label,
                "error": error.message,
            }
            result.errors.append(CellError(cell.mission_id, cell.date, message, error.field))
            continue
        result.saved.append((cell, entry))
    return result


@transaction.atomic
def hour_log_delete(*, log: HourLog, by) -> None:
    """The expert removes one of their entries while its month is open."""
    _require_own(log.expert, by)
    if log.kind != HourLogKind.ENTRY:
        raise ApplicationError(
            _("Une régularisation ne se supprime pas : ajoutez-en une autre."),
            field="kind",
            code="adjustment_is_final",
        )
    _lock_expert(log.expert)
    lock_month(dispositif_id=log.dispositif_id, day=log.date, shared=True)
    if is_month_closed(dispositif_id=log.dispositif_id, day=log.date):
        raise ApplicationError(
            _("Le mois est clos : demandez une régularisation."),
            field="date",
            code="month_closed",
        )
    mission = log.mission
    log.delete()
    _add_to_firm_month(
        dispositif_id=mission.dispositif_id, firm_id=mission.firm_id, day=log.date, hours=-log.hours
    )


@transaction.atomic
def hour_adjustment_create(
    *,
    mission: SkillMission,
    expert: Expert,
    date: dt.date,
    hours,
    reason: str,
    by,
    corrects: HourLog | None = None,
) -> HourLog:
    """A visible correction (signed hours, a reason), also in a closed month: by the
    dispositif's animateur, or by the expert on their own mission."""
    own = expert.user_id is not None and by is not None and expert.user_id == by.pk
    _require(
        _manages(by, mission) or own, _("Seuls l'animateur et l'expert régularisent des heures.")
    )
    reason = _check_reason(reason)
    hours = _parse_hours(hours)
    if hours is None or hours == 0:
        raise ApplicationError(
            _("Une régularisation a des heures non nulles."), field="hours", code="required"
        )
    check_quarter_hours(hours)
    _check_within_mission(mission, date)
    check_day_done(date)
    expert = _lock_expert(expert)
    if not mission.assignments.filter(expert=expert).exists():
        raise ApplicationError(
            _("L'expert n'est pas affecté à cette mission."), field="expert", code="not_assigned"
        )
    if corrects is not None and (
        corrects.mission_id != mission.pk or corrects.expert_id != expert.pk
    ):
        raise ApplicationError(
            _("La régularisation corrige une saisie de la même mission et du même expert."),
            field="corrects",
            code="corrects_mismatch",
        )
    if corrects is not None and corrects.date != date:
        raise ApplicationError(
            _("La régularisation porte sur le jour de la saisie corrigée."),
            field="date",
            code="corrects_mismatch",
        )
    _check_day_total(expert, date, hours)
    adjustment = HourLog(
        dispositif_id=mission.dispositif_id,
        mission=mission,
        expert=expert,
        date=date,
        hours=hours,
        kind=HourLogKind.ADJUSTMENT,
        corrects=corrects,
        reason=reason,
        created_by=by,
    )
    adjustment.full_clean()
    adjustment.save()
    _add_to_firm_month(
        dispositif_id=mission.dispositif_id, firm_id=mission.firm_id, day=date, hours=hours
    )
    return adjustment
