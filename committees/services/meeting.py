"""During and after the meeting: attendance, decisions and their corrections."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.formats import money
from partners.models import Organisation
from pme.models import Stage
from pme.services import project_correct_committee_outcome, project_record_committee_outcome

from ..models import (
    AgendaItem,
    Attendance,
    AttendanceStatus,
    Committee,
    CommitteeStatus,
    Decision,
    DecisionCorrection,
    DecisionOutcome,
    DecisionParticipant,
)
from ..selectors import committee_quorums
from ._common import SITTING_STATUSES, _committee_date, _is_member, _today

# Decision outcome → the project stage it produces.
OUTCOME_STAGE: dict[str, str] = {
    DecisionOutcome.APPROVED: Stage.APPROVED,
    DecisionOutcome.DEFERRED: Stage.DEFERRED,
    DecisionOutcome.REJECTED: Stage.REJECTED,
}


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


@dataclass(frozen=True)
class RosterLine:
    """One seated organisation's line of the roster."""

    organisation: Organisation
    status: str
    person_name: str = ""
    represented_by: str = ""


@transaction.atomic
def attendance_record_roster(*, committee: Committee, lines: list[RosterLine]) -> list[Attendance]:
    """Record the roster of the meeting in one go, once the committee is held or on its day:
    each seated organisation present (with who sat for it), represented (by whom), excused
    or absent. An organisation already on the roster gets its line replaced."""
    if committee.status != CommitteeStatus.MINUTES_SENT:
        _check_in_session(committee, "status")
    else:
        raise ApplicationError(
            _("Le compte rendu est envoyé : le comité est clos."), field="status"
        )
    if not lines:
        raise ValidationError({"status": _("Indiquez au moins une organisation.")})
    errors: dict[str, list[str]] = {}
    seen: set[int] = set()
    for line in lines:
        name = line.organisation.name
        if line.organisation.pk in seen:
            errors.setdefault("organisation", []).append(
                _("%(name)s figure deux fois.") % {"name": name}
            )
        seen.add(line.organisation.pk)
        if line.status not in AttendanceStatus.values:
            errors.setdefault("status", []).append(_("Présence inconnue."))
        if not _is_member(committee.dispositif, line.organisation, on=committee.date):
            errors.setdefault("organisation", []).append(
                _("%(name)s ne siège pas au tour de table.") % {"name": name}
            )
        if line.status == AttendanceStatus.REPRESENTED and not line.represented_by.strip():
            errors.setdefault("represented_by", []).append(
                _("Indiquez qui représente %(name)s.") % {"name": name}
            )
    if errors:
        raise ValidationError(errors)
    recorded = []
    for line in lines:
        attendance, _created = Attendance.objects.update_or_create(
            committee=committee,
            organisation=line.organisation,
            defaults={
                "dispositif_id": committee.dispositif_id,
                "status": line.status,
                "person_name": line.person_name.strip(),
                "represented_by": line.represented_by.strip()
                if line.status == AttendanceStatus.REPRESENTED
                else "",
            },
        )
        recorded.append(attendance)
    return recorded


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


def _check_quorum(item: AgendaItem, participants: list[Organisation] | None) -> list:
    """The organisations taking part in the decision on ``item``, once the quorum is
    checked; refuses recused or absent participants and a quorum that does not hold."""
    quorum = committee_quorums(item.committee)[item.pk]
    if participants is not None:
        recused = {org.pk for org in quorum.recused}
        sitting = {org.pk for org in quorum.sitting}
        errors = []
        for org in participants:
            if org.pk in recused:
                errors.append(
                    _("%(name)s est récusé pour ce dossier (intérêt déclaré).") % {"name": org.name}
                )
            elif org.pk not in sitting:
                errors.append(_("%(name)s n'est pas présent ni représenté.") % {"name": org.name})
        if errors:
            raise ValidationError({"participants": errors})
    if not quorum.holds:
        raise ApplicationError(quorum.refusal(item.project.title), field="outcome")
    if participants is None:
        return quorum.sitting
    chosen = {org.pk for org in participants}
    return [org for org in quorum.sitting if org.pk in chosen]


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
    participants: list[Organisation] | None = None,
) -> Decision:
    """Record the committee's decision on a dossier and move the project's stage with it,
    in one transaction, once the committee is held or on its day. An advance must lie
    within the dispositif's bounds.

    The quorum must hold for the dossier once recusals are taken out (refused naming what
    is missing). ``participants`` are the organisations taking part (by default every one
    present and not recused); a recused or absent organisation is refused."""
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
    sitting = _check_quorum(item, participants)
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
    DecisionParticipant.objects.bulk_create(
        DecisionParticipant(dispositif_id=item.dispositif_id, decision=decision, organisation=org)
        for org in sitting
    )
    project_record_committee_outcome(
        project=item.project,
        to_stage=OUTCOME_STAGE[outcome],
        committee_date=item.committee.date,
        by=by,
        comment=_("Décision du comité du %(date)s") % _committee_date(item.committee),
    )
    return decision


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
