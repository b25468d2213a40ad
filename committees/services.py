"""Write side of committees: scheduling, agenda, attendance, partner commitments, decisions.

Services run in the caller's scope, are atomic and refuse with ``ApplicationError`` or a
field-keyed ``ValidationError``; a refused operation changes nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.formats import long_date, money
from dispositifs.models import Membership
from partners.models import Organisation, OrganisationKind
from pme.models import Project, Stage
from pme.services import (
    project_correct_committee_outcome,
    project_put_on_agenda,
    project_record_committee_outcome,
    project_take_off_agenda,
)

from .models import (
    COMMITTEE_LIFECYCLE,
    AgendaItem,
    Attendance,
    Committee,
    CommitteeStatus,
    Decision,
    DecisionCorrection,
    DecisionOutcome,
    PartnerCommitment,
)
from .selectors import AGENDA_READY_STAGES
from .signals import committee_status_changed

OUTCOME_STAGE = {
    DecisionOutcome.APPROVED: Stage.APPROVED,
    DecisionOutcome.DEFERRED: Stage.DEFERRED,
    DecisionOutcome.REJECTED: Stage.REJECTED,
}


def _committee_date(committee: Committee) -> dict:
    return {"date": long_date(committee.date)}


SITTING_STATUSES = frozenset({CommitteeStatus.PLANNED, CommitteeStatus.AGENDA_SENT})
HELD_STATUSES = frozenset({CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT})


def _today() -> dt.date:
    return timezone.localdate()


def _check_planned_date(date: dt.date) -> None:
    if date < _today():
        raise ValidationError(
            {
                "date": _(
                    "Un comité planifié se tient aujourd'hui ou plus tard. Pour garder la trace "
                    "d'un comité passé, enregistrez un comité passé."
                )
            }
        )


def _check_past_date(date: dt.date) -> None:
    if date > _today():
        raise ValidationError(
            {"date": _("Un comité tenu est daté d'aujourd'hui ou d'un jour passé.")}
        )


def is_in_session(committee: Committee) -> bool:
    """Decisions and attendance are recorded on a held committee, or on the committee's day."""
    if committee.status == CommitteeStatus.HELD:
        return True
    return committee.status in SITTING_STATUSES and committee.date == _today()


def _check_in_session(committee: Committee, field: str) -> None:
    if not is_in_session(committee):
        raise ApplicationError(
            _(
                "Le comité du %(date)s n'est pas encore tenu : décisions et présences "
                "s'enregistrent le jour du comité ou une fois le comité tenu."
            )
            % _committee_date(committee),
            field=field,
        )


def _is_member(dispositif, organisation, on: dt.date | None = None) -> bool:
    seats = Membership.objects.filter(dispositif=dispositif, organisation=organisation)
    if on is not None:
        seats = seats.filter(Q(left_on__isnull=True) | Q(left_on__gte=on))
    return seats.exists()


def committee_suggest_host(dispositif) -> Organisation | None:
    """The active member that hosted least recently (never first), so meetings move around."""
    last_hosted = {
        row["host"]: row["last"]
        for row in Committee.objects.filter(dispositif=dispositif, host__isnull=False)
        .values("host")
        .annotate(last=Max("date"))
    }
    members = (
        Membership.objects.filter(dispositif=dispositif, left_on__isnull=True)
        .select_related("organisation")
        .order_by("organisation__name")
    )
    candidates = [m.organisation for m in members]
    if not candidates:
        return None
    return min(candidates, key=lambda org: (last_hosted.get(org.pk, dt.date.min), org.name))


@transaction.atomic
def committee_schedule(
    *, dispositif, date: dt.date, host=None, place: str = "", start_time=None
) -> Committee:
    """Plan a committee, today or later; the host must hold a seat at the tour de table on
    that date. A committee already held is recorded with ``committee_record_past``."""
    _check_planned_date(date)
    if host is not None and not _is_member(dispositif, host, on=date):
        raise ValidationError({"host": _("L'organisation hôte doit être membre du dispositif.")})
    committee = Committee(
        dispositif=dispositif, date=date, host=host, place=place, start_time=start_time
    )
    committee.full_clean()
    committee.save()
    return committee


@transaction.atomic
def committee_update(*, committee: Committee, **fields) -> Committee:
    """Change a committee's date, time, host, place or minutes (never its status here).

    A planned committee is not moved into the past, a held one not into the future, and the
    date of a committee that has decisions (the projects' dates come from it) stays.
    """
    allowed = {"date", "start_time", "host", "place", "minutes"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Unknown committee field: {sorted(unknown)}")
    stored = Committee.objects.select_for_update().get(pk=committee.pk)
    new_date = fields.get("date", stored.date)
    if new_date != stored.date:
        if Decision.objects.filter(item__committee=stored).exists():
            raise ValidationError(
                {"date": _("Des décisions sont enregistrées à ce comité : sa date ne change plus.")}
            )
        if stored.status in SITTING_STATUSES:
            _check_planned_date(new_date)
        else:
            _check_past_date(new_date)
    for name, value in fields.items():
        setattr(committee, name, value)
    if committee.host is not None and not _is_member(
        committee.dispositif, committee.host, on=committee.date
    ):
        raise ValidationError({"host": _("L'organisation hôte doit être membre du dispositif.")})
    committee.full_clean()
    committee.save()
    return committee


@transaction.atomic
def committee_set_status(*, committee: Committee, status: str, by=None) -> Committee:
    """planned → agenda sent → held → minutes sent (planned → held when no agenda was sent).

    Sends ``committee_status_changed`` (the agenda and the minutes are built and mailed on
    it); ``by`` is who moved the committee (None for a scheduled job), kept with the time
    in the committee's log (``CommitteeTransition``)."""
    COMMITTEE_LIFECYCLE.lock(committee)
    COMMITTEE_LIFECYCLE.check(committee.status, status)
    if status == CommitteeStatus.HELD and committee.date > _today():
        raise ApplicationError(
            _("Le comité du %(date)s ne peut être tenu qu'à partir de sa date.")
            % _committee_date(committee),
            field="status",
        )
    COMMITTEE_LIFECYCLE.move(committee, status, by=by, locked=True)
    committee_status_changed.send(sender=Committee, committee=committee, by=by)
    return committee


def _check_open(committee: Committee) -> None:
    if committee.status in (CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT):
        raise ApplicationError(
            _("L'ordre du jour d'un comité tenu ne change plus."), field="project"
        )


@transaction.atomic
def agenda_add_project(*, committee: Committee, project: Project, by) -> AgendaItem:
    """Put a ready project at the end of the agenda; it moves to « on agenda »."""
    _check_open(committee)
    return _agenda_append(committee, project, by=by)


def _agenda_append(committee: Committee, project: Project, *, by) -> AgendaItem:
    if project.dispositif_id != committee.dispositif_id:
        raise ValidationError({"project": _("Ce projet appartient à un autre dispositif.")})
    # Locked first: of two simultaneous adds, the second waits and then sees the new stage.
    locked = Project.objects.select_for_update().get(pk=project.pk)
    if locked.stage not in AGENDA_READY_STAGES:
        raise ValidationError(
            {"project": _("Seul un projet en instruction ou ajourné peut être inscrit.")}
        )
    if AgendaItem.objects.filter(committee=committee, project=project).exists():
        raise ValidationError({"project": _("Ce projet est déjà à l'ordre du jour.")})
    last = AgendaItem.objects.filter(committee=committee).aggregate(m=Max("order"))["m"] or 0
    item = AgendaItem.objects.create(
        dispositif_id=committee.dispositif_id, committee=committee, project=project, order=last + 1
    )
    project_put_on_agenda(
        project=project,
        by=by,
        comment=_("Inscrit à l'ordre du jour du comité du %(date)s") % _committee_date(committee),
    )
    return item


@transaction.atomic
def agenda_remove_item(*, item: AgendaItem, by) -> None:
    """Take an undecided project off the agenda; it goes back to « in instruction ».

    A project abandoned while on the agenda keeps its stage: it is only taken off.
    """
    _check_open(item.committee)
    if Decision.objects.filter(item=item).exists():
        raise ApplicationError(_("Ce dossier a déjà une décision."), field="project")
    project = item.project
    committee = item.committee
    item.delete()
    if project.stage == Stage.ON_AGENDA:
        project_take_off_agenda(
            project=project,
            by=by,
            comment=_("Retiré de l'ordre du jour du comité du %(date)s")
            % _committee_date(committee),
        )
    _renumber(committee)


def _renumber(committee: Committee) -> None:
    for position, item in enumerate(
        AgendaItem.objects.filter(committee=committee).order_by("order", "id"), start=1
    ):
        if item.order != position:
            item.order = position
            item.save(update_fields=["order"])


@transaction.atomic
def agenda_reorder(*, committee: Committee, item_ids: list[int]) -> None:
    """Set the agenda order; ``item_ids`` must list exactly the committee's items.

    The agenda of a committee already held no longer changes.
    """
    if committee.status in (CommitteeStatus.HELD, CommitteeStatus.MINUTES_SENT):
        raise ApplicationError(_("L'ordre du jour d'un comité tenu ne change plus."), field="order")
    current = set(AgendaItem.objects.filter(committee=committee).values_list("pk", flat=True))
    if len(item_ids) != len(set(item_ids)) or set(item_ids) != current:
        raise ValidationError({"order": _("L'ordre doit reprendre chaque dossier une fois.")})
    items = {item.pk: item for item in AgendaItem.objects.filter(committee=committee)}
    for position, pk in enumerate(item_ids, start=1):
        item = items[pk]
        if item.order != position:
            item.order = position
            item.save(update_fields=["order"])


@transaction.atomic
def agenda_move_item(*, item: AgendaItem, offset: int) -> None:
    """Move an item up (-1) or down (+1) in its committee's agenda."""
    ids = list(
        AgendaItem.objects.filter(committee=item.committee)
        .order_by("order", "id")
        .values_list("pk", flat=True)
    )
    index = ids.index(item.pk)
    target = max(0, min(len(ids) - 1, index + offset))
    ids.insert(target, ids.pop(index))
    agenda_reorder(committee=item.committee, item_ids=ids)


@transaction.atomic
def attendance_record(
    *, committee: Committee, organisation, person_name: str, present: bool = True
) -> Attendance:
    """Record who attended for which member organisation (idempotent per person), once the
    committee is held or on its day."""
    if committee.status != CommitteeStatus.MINUTES_SENT:
        _check_in_session(committee, "person_name")
    person_name = (person_name or "").strip()
    if not person_name:
        raise ValidationError({"person_name": _("Indiquez le nom du participant.")})
    if not _is_member(committee.dispositif, organisation, on=committee.date):
        raise ValidationError(
            {"organisation": _("Cette organisation ne siège pas au tour de table.")}
        )
    attendance, _created = Attendance.objects.update_or_create(
        committee=committee,
        organisation=organisation,
        person_name=person_name,
        defaults={"present": present, "dispositif_id": committee.dispositif_id},
    )
    return attendance


@transaction.atomic
def commitment_record(
    *, item: AgendaItem, organisation, tool: str, amount: Decimal | None, by
) -> PartnerCommitment:
    """Record the tool an organisation activates for a dossier.

    Large firms intervene last (the programme's principle): their commitments are kept
    after every other partner's, whatever the order in which they are typed.
    """
    if item.committee.status == CommitteeStatus.MINUTES_SENT:
        raise ApplicationError(_("Le compte rendu est envoyé : le comité est clos."), field="tool")
    if not _is_member(item.dispositif, organisation, on=item.committee.date):
        raise ValidationError(
            {"organisation": _("Cette organisation ne siège pas au tour de table.")}
        )
    tool = (tool or "").strip()
    if not tool:
        raise ValidationError({"tool": _("Indiquez l'outil mobilisé.")})
    if amount is not None and amount <= 0:
        raise ValidationError({"amount": _("Le montant doit être positif.")})
    firm_last = organisation.kind == OrganisationKind.LARGE_FIRM
    last = (
        PartnerCommitment.objects.filter(item=item, firm_last=firm_last).aggregate(
            m=Max("position")
        )["m"]
        or 0
    )
    commitment = PartnerCommitment(
        dispositif_id=item.dispositif_id,
        item=item,
        organisation=organisation,
        tool=tool,
        amount=amount,
        firm_last=firm_last,
        position=last + 1,
        recorded_by=by,
    )
    commitment.full_clean()
    commitment.save()
    return commitment


@transaction.atomic
def commitment_delete(*, commitment: PartnerCommitment) -> None:
    """Delete a commitment recorded by mistake (kept in its history), until the minutes."""
    if commitment.item.committee.status == CommitteeStatus.MINUTES_SENT:
        raise ApplicationError(_("Le compte rendu est envoyé : le comité est clos."), field="tool")
    commitment.delete()


def _check_decision(item: AgendaItem, outcome: str, missions_granted, advance_amount) -> None:
    if outcome not in DecisionOutcome.values:
        raise ValidationError({"outcome": _("Décision inconnue.")})
    errors = {}
    if outcome != DecisionOutcome.APPROVED:
        if advance_amount:
            errors["advance_amount"] = _("Une avance n'est accordée qu'à un projet accepté.")
        if missions_granted:
            errors["missions_granted"] = _("Des missions ne sont accordées qu'à un projet accepté.")
    elif advance_amount is not None:
        low, high = item.dispositif.advance_min, item.dispositif.advance_max
        if not low <= advance_amount <= high:
            errors["advance_amount"] = _(
                "L'avance doit être comprise entre %(min)s et %(max)s dans ce dispositif."
            ) % {"min": money(low), "max": money(high)}
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def committee_record_decision(
    *,
    item: AgendaItem,
    outcome: str,
    by,
    missions_granted: int = 0,
    missions_description: str = "",
    advance_amount: Decimal | None = None,
    conditions: str = "",
) -> Decision:
    """Record the committee's decision on a dossier and move the project's stage with it,
    in one transaction, once the committee is held or on its day. An advance must lie
    within the dispositif's bounds."""
    item = (
        AgendaItem.objects.select_for_update()
        .select_related("committee", "dispositif")
        .get(pk=item.pk)
    )
    if item.committee.status == CommitteeStatus.MINUTES_SENT:
        raise ApplicationError(
            _("Le compte rendu est envoyé : le comité est clos."), field="outcome"
        )
    if Decision.objects.filter(item=item).exists():
        raise ApplicationError(_("Ce dossier a déjà une décision."), field="outcome")
    _check_in_session(item.committee, "outcome")
    _check_decision(item, outcome, missions_granted, advance_amount)
    decision = Decision(
        dispositif_id=item.dispositif_id,
        item=item,
        outcome=outcome,
        missions_granted=missions_granted or 0,
        missions_description=missions_description,
        advance_amount=advance_amount if outcome == DecisionOutcome.APPROVED else None,
        conditions=conditions,
        decided_by=by,
    )
    decision.full_clean()
    decision.save()
    project_record_committee_outcome(
        project=item.project,
        to_stage=OUTCOME_STAGE[outcome],
        committee_date=item.committee.date,
        by=by,
        comment=_("Décision du comité du %(date)s") % _committee_date(item.committee),
    )
    return decision


@transaction.atomic
def committee_delete(*, committee: Committee) -> None:
    """Cancel a planned committee whose agenda is empty; a meeting with dossiers is kept."""
    locked = Committee.objects.select_for_update().get(pk=committee.pk)
    if locked.status != CommitteeStatus.PLANNED:
        raise ApplicationError(_("Seul un comité planifié peut être annulé."), field="status")
    if AgendaItem.objects.filter(committee=locked).exists():
        raise ApplicationError(
            _("Retirez d'abord les projets de l'ordre du jour."), field="project"
        )
    locked.delete()


@transaction.atomic
def committee_record_past(
    *,
    dispositif,
    date: dt.date,
    by,
    host=None,
    place: str = "",
    start_time=None,
    minutes: str = "",
    projects=(),
) -> Committee:
    """Record, for history, a committee already held (today or before), with the projects it
    examined on its agenda; it is created « held », ready for its decisions."""
    _check_past_date(date)
    if host is not None and not _is_member(dispositif, host, on=date):
        raise ValidationError({"host": _("L'organisation hôte doit être membre du dispositif.")})
    projects = list(projects)
    if len({project.pk for project in projects}) != len(projects):
        raise ValidationError({"projects": _("Chaque projet n'est inscrit qu'une fois.")})
    committee = Committee(
        dispositif=dispositif,
        date=date,
        host=host,
        place=place,
        start_time=start_time,
        minutes=minutes,
    )
    committee.full_clean()
    committee.save()
    for project in projects:
        try:
            _agenda_append(committee, project, by=by)
        except ValidationError as error:
            raise ValidationError(
                {"projects": [f"{project.title} : {m}" for m in error.messages]}
            ) from error
    # Created by this transaction, the row is not seen by any other: no lock needed.
    COMMITTEE_LIFECYCLE.move(committee, CommitteeStatus.HELD, by=by, locked=True)
    return committee


def decision_is_correctable(decision: Decision) -> bool:
    """A decision is corrected while its project still stands at the stage it produced and no
    later committee has decided on it."""
    project = decision.item.project
    if project.stage != OUTCOME_STAGE[decision.outcome]:
        return False
    return not Decision.objects.filter(
        item__project_id=project.pk, item__committee__date__gt=decision.item.committee.date
    ).exists()


@transaction.atomic
def committee_correct_decision(
    *,
    decision: Decision,
    outcome: str,
    reason: str,
    by,
    missions_granted: int = 0,
    missions_description: str = "",
    advance_amount: Decimal | None = None,
    conditions: str = "",
) -> DecisionCorrection:
    """Correct a recorded decision: a new, visible entry (who, when, why, old → new), and the
    project's stage and dates follow in the same transaction. Never a silent edit."""
    decision = (
        Decision.objects.select_for_update()
        .select_related("item__committee", "item__project", "dispositif")
        .get(pk=decision.pk)
    )
    item = decision.item
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Indiquez le motif de la correction.")})
    _check_decision(item, outcome, missions_granted, advance_amount)
    if not decision_is_correctable(decision):
        raise ApplicationError(
            _(
                "Le projet a changé d'étape depuis cette décision : elle ne peut plus être "
                "corrigée."
            ),
            field="outcome",
        )
    missions_granted = missions_granted or 0
    advance_amount = advance_amount if outcome == DecisionOutcome.APPROVED else None
    new = {
        "outcome": outcome,
        "missions_granted": missions_granted,
        "missions_description": missions_description,
        "advance_amount": advance_amount,
        "conditions": conditions,
    }
    if all(getattr(decision, name) == value for name, value in new.items()):
        raise ValidationError({"outcome": _("La correction ne change rien à la décision.")})
    correction = DecisionCorrection(
        dispositif_id=decision.dispositif_id,
        decision=decision,
        previous_outcome=decision.outcome,
        outcome=outcome,
        previous_missions_granted=decision.missions_granted,
        missions_granted=missions_granted,
        previous_advance_amount=decision.advance_amount,
        advance_amount=advance_amount,
        reason=reason,
        corrected_by=by,
    )
    correction.full_clean()
    correction.save()
    previous_outcome = decision.outcome
    for name, value in new.items():
        setattr(decision, name, value)
    decision.full_clean()
    decision.save()
    if outcome != previous_outcome:
        project_correct_committee_outcome(
            project=item.project,
            to_stage=OUTCOME_STAGE[outcome],
            committee_date=item.committee.date,
            by=by,
            comment=_("Correction de la décision du comité du %(date)s : %(reason)s")
            % {**_committee_date(item.committee), "reason": reason},
        )
    return correction
