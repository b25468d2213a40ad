"""Write side of skill missions and expert hours.

Contracts (every service is atomic, takes keyword-only arguments, validates fully and
raises ``ApplicationError`` / ``ValidationError`` naming the field; a refused operation
changes nothing). Callers fetch the objects they pass through the selectors (so an object
outside the caller's reach is already a 404); the services then check the row-level rule
of their action and refuse with ``MissionAccessError`` (HTTP 403, code ``forbidden``).

Missions (``SkillMission``):
- ``mission_create(decision=, firm=, skill=, objective=, planned_hours=, starts_on=,
  ends_on=, by=)`` — the animateur (MANAGE in the decision's dispositif) proposes a mission
  of an approved decision to a firm: not more live missions (proposed, accepted, in
  progress, completed) than the decision granted; the firm either holds a seat in the
  dispositif or has an active expert available to other dispositifs (then
  ``cross_territory`` is set). Mails the proposal to the firm's correspondents.
- ``mission_accept(mission=, by=, experts=())`` / ``mission_decline(mission=, by=,
  reason=)`` — the firm's correspondent (RESPOND_MISSION for that firm) answers a proposed
  mission; a decline says why (≥ 10 characters) and is mailed to the dispositif's
  animateurs. ``mission_assign_expert(mission=, expert=, by=)`` adds an active expert of
  the firm (one available to other dispositifs for a cross-territory mission).
- ``mission_start(mission=, by=)`` (accepted → in progress, needs an assigned expert; the
  animateur or the correspondent), ``mission_record_evaluation(mission=, by=, party=,
  text=, rating=None)`` (``party`` "sme": the animateur writes the SME's; "expert": an
  expert assigned to it, or the animateur), ``mission_complete(mission=, by=)`` (in
  progress → completed, refused until both evaluations are there),
  ``mission_cancel(mission=, by=, reason=)`` (animateur). Every move is a
  ``MissionTransition``; an illegal one raises ``ApplicationError`` code
  ``illegal_transition``.

Hours (``HourLog``):
- ``hours_save_week(expert=, cells=[HourCell(mission_id, date, hours, note)], by=)`` —
  the expert (``by`` is the expert's own user) saves grid cells: each cell sets the entry
  of (mission, day) (``hours`` 0 or ``None`` removes it). Every cell is checked alone and
  saved in its own savepoint: the result lists what was saved and, for each refused cell,
  a message naming the day and the mission (``WeekResult``). Rules: the expert is
  assigned to a mission that is accepted or in progress, hours > 0, the day within the
  mission's dates, not in a closed month, at most 12 hours per person per day across
  every mission of every dispositif. The expert's row is locked (``SELECT … FOR UPDATE``)
  for the whole save, so two concurrent saves cannot both pass the 12-hour check.
- ``hour_log_save(mission=, expert=, date=, hours=, note="", by=)`` — one cell, raising
  instead of collecting (the API's write).
- ``hour_log_delete(log=, by=)`` — the expert removes an entry of an open month.
- ``hour_adjustment_create(mission=, expert=, date=, hours=, reason=, by=, corrects=None)``
  — a visible correction with signed hours and a reason (≥ 10 characters), allowed in a
  closed month too: by the dispositif's animateur, or the expert on their own mission.
  The day lies within the mission's dates; the day's total stays between 0 and 12 hours.
- ``month_close(dispositif=, month=, by=)`` — the animateur locks a month's entries. Hour
  writes hold the month's advisory lock shared and closing takes it exclusive, so a month
  never closes under a write that found it open.

Each hour change also adds itself to ``FirmMonthHours`` (the firm's monthly total in the
dispositif) in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alize.actions import Action
from alize.errors import ApplicationError
from alize.tenancy import scope
from committees.models import Decision, DecisionOutcome
from dispositifs.access import may, row_reach
from dispositifs.models import Membership
from partners.models import Expert, Organisation, Skill

from . import tasks
from .models import (
    LOGGABLE_STATUSES,
    MAX_HOURS_PER_DAY,
    MISSION_TRANSITIONS,
    REASON_MIN_LENGTH,
    ClosedMonth,
    FirmMonthHours,
    HourLog,
    HourLogKind,
    MissionAssignment,
    MissionStatus,
    MissionTransition,
    SkillMission,
)

# Missions that use up one of the decision's granted missions (a declined or cancelled one
# gives its place back, so the animateur can propose it to another firm).
LIVE_STATUSES = frozenset(
    {
        MissionStatus.PROPOSED,
        MissionStatus.ACCEPTED,
        MissionStatus.IN_PROGRESS,
        MissionStatus.COMPLETED,
    }
)
ZERO = Decimal("0")
# How far back a month may be closed: the fatigue view's and the CSV export's years.
CLOSING_YEARS_BACK = 20


class MissionAccessError(ApplicationError):
    """The caller reaches the row but may not do this to it (e.g. another firm's answer)."""

    status_code = 403
    default_code = "forbidden"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


# Namespace of the missions' transaction-level advisory locks (« MI » in the top bits).
_MONTH_LOCK_NAMESPACE = 0x4D49 << 40


def lock_month(*, dispositif_id: int, day: dt.date, shared: bool) -> None:
    """Take the month's advisory lock until the transaction ends: hour writes take it
    shared (they run side by side), closing the month takes it exclusive, so a month is
    never closed while a write that found it open is still uncommitted."""
    key = _MONTH_LOCK_NAMESPACE | (dispositif_id << 20) | (day.year * 12 + day.month - 1)
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {function}(%s)", [key])


def is_month_closed(*, dispositif_id: int, day: dt.date) -> bool:
    """Has the dispositif closed the month of ``day``?"""
    return ClosedMonth.objects.filter(dispositif_id=dispositif_id, month=month_start(day)).exists()


# ---------------------------------------------------------------------------------------
# Who may do what to a row.


def _manages(user, mission: SkillMission) -> bool:
    return may(user, Action.MANAGE, mission.dispositif_id)


def _responds_for_firm(user, mission: SkillMission) -> bool:
    """The firm's correspondent (or someone who reaches the whole dispositif for it)."""
    if not may(user, Action.RESPOND_MISSION, mission.dispositif_id):
        return False
    reach = row_reach(user, Action.RESPOND_MISSION)
    return (
        reach.everything
        or mission.dispositif_id in reach.dispositif_ids
        or mission.firm_id in reach.organisations
    )


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise MissionAccessError(message)


def _expert_of(user) -> Expert | None:
    return Expert.objects.filter(user=user).first() if user is not None else None


# ---------------------------------------------------------------------------------------
# Missions and their lifecycle.


def _record_move(mission: SkillMission, to_status: str, *, by, reason: str = "") -> None:
    """Move ``mission`` (locked by the caller) and keep the move; illegal moves refused."""
    if to_status not in MISSION_TRANSITIONS[mission.status]:
        raise ApplicationError(
            _("Une mission « %(current)s » ne peut pas passer à « %(target)s ».")
            % {
                "current": MissionStatus(mission.status).label,
                "target": MissionStatus(to_status).label,
            },
            field="status",
            code="illegal_transition",
        )
    MissionTransition.objects.create(
        dispositif_id=mission.dispositif_id,
        mission=mission,
        from_status=mission.status,
        to_status=to_status,
        reason=reason,
        by=by,
    )
    mission.status = to_status
    mission.status_changed_at = timezone.now()
    mission.save(update_fields=["status", "status_changed_at", "decline_reason", "updated_at"])


def _locked(mission: SkillMission) -> SkillMission:
    """Lock the mission row for the rest of the transaction and read it again into the
    caller's instance (which then reflects the move the service makes)."""
    list(SkillMission.objects.select_for_update().filter(pk=mission.pk).values_list("pk"))
    mission.refresh_from_db()
    return mission


def _check_reason(reason: str, field_name: str = "reason") -> str:
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise ApplicationError(
            _("Dites pourquoi en au moins %(count)d caractères.") % {"count": REASON_MIN_LENGTH},
            field=field_name,
            code="reason_required",
        )
    return reason


def firm_is_seated(*, firm: Organisation, dispositif_id: int) -> bool:
    """Does the firm hold a current seat at the dispositif's tour de table?"""
    return Membership.objects.filter(
        dispositif_id=dispositif_id, organisation=firm, left_on__isnull=True
    ).exists()


def firm_lends_across_territories(firm: Organisation) -> bool:
    """Has the firm at least one active expert available to other dispositifs?"""
    return Expert.objects.filter(
        organisation=firm, is_active=True, lends_across_territories=True
    ).exists()


@transaction.atomic
def mission_create(
    *,
    decision: Decision,
    firm: Organisation,
    skill: Skill,
    objective: str,
    planned_hours: Decimal,
    starts_on: dt.date,
    ends_on: dt.date,
    by,
) -> SkillMission:
    """Propose one of an approved decision's missions to a firm (see the module contract)."""
    decision = Decision.objects.select_for_update().select_related("item").get(pk=decision.pk)
    _require(
        may(by, Action.MANAGE, decision.dispositif_id),
        _("Seul l'animateur du dispositif propose une mission."),
    )
    if decision.outcome != DecisionOutcome.APPROVED:
        raise ApplicationError(
            _("Une mission se crée à partir d'une décision d'accord."),
            field="decision",
            code="decision_not_approved",
        )
    live = SkillMission.objects.filter(decision=decision, status__in=LIVE_STATUSES).count()
    if live >= decision.missions_granted:
        raise ApplicationError(
            ngettext(
                "La décision accorde %(granted)d mission, déjà proposée.",
                "La décision accorde %(granted)d missions, toutes déjà proposées.",
                decision.missions_granted,
            )
            % {"granted": decision.missions_granted},
            field="decision",
            code="missions_exhausted",
        )
    if not firm.is_large_firm:
        raise ApplicationError(
            _("Les missions sont confiées à une entreprise partenaire."),
            field="firm",
            code="not_a_firm",
        )
    seated = firm_is_seated(firm=firm, dispositif_id=decision.dispositif_id)
    if not seated and not firm_lends_across_territories(firm):
        raise ApplicationError(
            _(
                "Cette entreprise ne siège pas au tour de table et ne prête pas d'expert "
                "aux autres dispositifs."
            ),
            field="firm",
            code="firm_not_available",
        )
    mission = SkillMission(
        dispositif_id=decision.dispositif_id,
        project_id=decision.item.project_id,
        decision=decision,
        firm=firm,
        skill=skill,
        objective=objective,
        planned_hours=planned_hours,
        starts_on=starts_on,
        ends_on=ends_on,
        cross_territory=not seated,
        proposed_by=by,
    )
    mission.full_clean()
    mission.save()
    MissionTransition.objects.create(
        dispositif_id=mission.dispositif_id,
        mission=mission,
        from_status="",
        to_status=MissionStatus.PROPOSED,
        by=by,
    )
    tasks.send_mission_proposal.enqueue(dispositif_id=mission.dispositif_id, mission_id=mission.pk)
    return mission


@transaction.atomic
def mission_accept(*, mission: SkillMission, by, experts: Iterable[Expert] = ()) -> SkillMission:
    """The firm's correspondent accepts a proposed mission, optionally assigning experts."""
    _require(_responds_for_firm(by, mission), _("Seul le correspondant de l'entreprise répond."))
    mission = _locked(mission)
    _record_move(mission, MissionStatus.ACCEPTED, by=by)
    for expert in experts:
        _assign(mission, expert, by=by)
    return mission


@transaction.atomic
def mission_decline(*, mission: SkillMission, by, reason: str) -> SkillMission:
    """The firm's correspondent declines a proposed mission, saying why; the animateurs of
    the dispositif are told by e-mail."""
    _require(_responds_for_firm(by, mission), _("Seul le correspondant de l'entreprise répond."))
    reason = _check_reason(reason)
    mission = _locked(mission)
    mission.decline_reason = reason
    _record_move(mission, MissionStatus.DECLINED, by=by, reason=reason)
    tasks.send_mission_declined.enqueue(dispositif_id=mission.dispositif_id, mission_id=mission.pk)
    return mission


def _assign(mission: SkillMission, expert: Expert, *, by) -> MissionAssignment:
    if mission.status not in LOGGABLE_STATUSES:
        raise ApplicationError(
            _("On affecte un expert à une mission acceptée ou en cours."),
            field="expert",
            code="mission_not_open",
        )
    if expert.organisation_id != mission.firm_id or not expert.is_active:
        raise ApplicationError(
            _("L'expert doit être un expert actif de l'entreprise de la mission."),
            field="expert",
            code="expert_of_another_firm",
        )
    if mission.cross_territory and not expert.lends_across_territories:
        raise ApplicationError(
            _("Cet expert n'est pas disponible pour les autres dispositifs."),
            field="expert",
            code="expert_not_lent",
        )
    if MissionAssignment.objects.filter(mission=mission, expert=expert).exists():
        raise ApplicationError(
            _("Cet expert est déjà affecté à la mission."), field="expert", code="already_assigned"
        )
    return MissionAssignment.objects.create(
        dispositif_id=mission.dispositif_id, mission=mission, expert=expert, assigned_by=by
    )


@transaction.atomic
def mission_assign_expert(*, mission: SkillMission, expert: Expert, by) -> MissionAssignment:
    """The firm's correspondent assigns one of the firm's experts to the mission."""
    _require(_responds_for_firm(by, mission), _("Seul le correspondant de l'entreprise affecte."))
    return _assign(_locked(mission), expert, by=by)


@transaction.atomic
def mission_start(*, mission: SkillMission, by) -> SkillMission:
    """An accepted mission with an expert starts (the animateur or the correspondent)."""
    _require(
        _manages(by, mission) or _responds_for_firm(by, mission),
        _("Seuls l'animateur et le correspondant démarrent une mission."),
    )
    mission = _locked(mission)
    if mission.status == MissionStatus.ACCEPTED and not mission.assignments.exists():
        raise ApplicationError(
            _("Affectez d'abord un expert à la mission."), field="status", code="no_expert"
        )
    _record_move(mission, MissionStatus.IN_PROGRESS, by=by)
    return mission


@transaction.atomic
def mission_record_evaluation(
    *, mission: SkillMission, by, party: str, text: str, rating: int | None = None
) -> SkillMission:
    """Record the short evaluation of the SME (``party="sme"``, written by the animateur)
    or of the expert (``party="expert"``, by an assigned expert or the animateur)."""
    if party not in ("sme", "expert"):
        raise ApplicationError(_("Évaluation inconnue."), field="party", code="invalid")
    if party == "sme":
        allowed = _manages(by, mission)
    else:
        allowed = _manages(by, mission) or mission.assignments.filter(expert__user=by).exists()
    _require(allowed, _("Vous ne pouvez pas donner cette évaluation."))
    mission = _locked(mission)
    if mission.status not in (MissionStatus.IN_PROGRESS, MissionStatus.COMPLETED):
        raise ApplicationError(
            _("On évalue une mission en cours ou terminée."), field="status", code="not_started"
        )
    text = (text or "").strip()
    if not text:
        raise ApplicationError(
            _("L'évaluation ne peut pas être vide."), field=f"{party}_evaluation", code="required"
        )
    setattr(mission, f"{party}_evaluation", text)
    setattr(mission, f"{party}_rating", rating)
    mission.full_clean()
    mission.save(update_fields=[f"{party}_evaluation", f"{party}_rating", "updated_at"])
    return mission


@transaction.atomic
def mission_complete(*, mission: SkillMission, by) -> SkillMission:
    """The animateur completes a mission in progress once the SME and the expert have
    each given their evaluation."""
    _require(_manages(by, mission), _("Seul l'animateur termine une mission."))
    mission = _locked(mission)
    missing = [
        name
        for name, text in (
            ("sme_evaluation", mission.sme_evaluation),
            ("expert_evaluation", mission.expert_evaluation),
        )
        if not text
    ]
    if mission.status == MissionStatus.IN_PROGRESS and missing:
        raise ApplicationError(
            _("Une mission se termine avec l'évaluation de l'entreprise et celle de l'expert."),
            field=missing[0],
            code="evaluation_missing",
        )
    _record_move(mission, MissionStatus.COMPLETED, by=by)
    return mission


@transaction.atomic
def mission_cancel(*, mission: SkillMission, by, reason: str) -> SkillMission:
    """The animateur cancels a mission that is not finished, saying why."""
    _require(_manages(by, mission), _("Seul l'animateur annule une mission."))
    reason = _check_reason(reason)
    mission = _locked(mission)
    _record_move(mission, MissionStatus.CANCELLED, by=by, reason=reason)
    return mission


# ---------------------------------------------------------------------------------------
# Hours.


@dataclass(frozen=True)
class HourCell:
    """One cell of the week grid: the hours of a mission on a day (``None``/0 clears it)."""

    mission_id: int
    date: dt.date
    hours: Decimal | str | None
    note: str = ""


@dataclass
class CellError:
    mission_id: int
    date: dt.date
    message: str
    field: str = "hours"


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
    *, mission: SkillMission, expert: Expert, date: dt.date, hours, note: str = "", by
) -> HourLog | None:
    """Set the expert's own hours on a mission for a day (see the module contract)."""
    _require_own(expert, by)
    expert = _lock_expert(expert)
    return _save_entry(
        mission=mission, expert=expert, day=date, hours=_parse_hours(hours), note=note, by=by
    )


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
                "mission": mission.skill.name,
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
    _check_within_mission(mission, date)
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


@transaction.atomic
def month_close(*, dispositif, month: dt.date, by) -> ClosedMonth:
    """The animateur closes a month of the dispositif (its entries are then locked). A
    month is closed once it has begun; closing it again is refused."""
    dispositif_id = getattr(dispositif, "pk", dispositif)
    _require(may(by, Action.MANAGE, dispositif_id), _("Seul l'animateur clôt un mois."))
    month = month_start(month)
    today = timezone.localdate()
    if month > today:
        raise ApplicationError(
            _("On ne clôt pas un mois à venir."), field="month", code="future_month"
        )
    if month.year < today.year - CLOSING_YEARS_BACK:
        raise ApplicationError(
            _("On ne clôt pas un mois de plus de %(years)s ans.") % {"years": CLOSING_YEARS_BACK},
            field="month",
            code="month_too_old",
        )
    lock_month(dispositif_id=dispositif_id, day=month, shared=False)
    if ClosedMonth.objects.filter(dispositif_id=dispositif_id, month=month).exists():
        raise ApplicationError(_("Ce mois est déjà clos."), field="month", code="already_closed")
    return ClosedMonth.objects.create(dispositif_id=dispositif_id, month=month, closed_by=by)
