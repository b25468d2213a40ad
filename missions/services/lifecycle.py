"""Missions and their lifecycle: creation and proposal to a firm, the firm's answer, the
assignment of experts, the moves (start, complete, cancel; each a ``MissionTransition``) and
the evaluations."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from alize.actions import Action
from alize.errors import ApplicationError
from committees.models import Decision, DecisionOutcome
from dispositifs.access import may
from dispositifs.models import Membership
from partners.models import Expert, Organisation, Skill

from .. import tasks
from ..models import (
    LOGGABLE_STATUSES,
    MISSION_LIFECYCLE,
    MissionAssignment,
    MissionStatus,
    SkillMission,
)
from ._common import _manages, _require, _responds_for_firm

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


def _record_move(mission: SkillMission, to_status: str, *, by, reason: str = "", **changes):
    """Move ``mission`` (locked by the caller) and keep the move; illegal moves refused
    with ``illegal_transition`` (``MISSION_LIFECYCLE``)."""
    MISSION_LIFECYCLE.move(mission, to_status, by=by, reason=reason, changes=changes, locked=True)


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
    MISSION_LIFECYCLE.record_start(mission, by=by)
    tasks.send_mission_proposal.enqueue(dispositif_id=mission.dispositif_id, mission_id=mission.pk)
    return mission


@transaction.atomic
def mission_accept(
    *,
    mission: SkillMission,
    by,
    experts: Iterable[Expert] = (),
    confirm_without_skill: bool = False,
) -> SkillMission:
    """The firm's correspondent accepts a proposed mission, optionally assigning experts
    (one without the mission's skill only with ``confirm_without_skill``, see ``_assign``)."""
    _require(_responds_for_firm(by, mission), _("Seul le correspondant de l'entreprise répond."))
    mission = MISSION_LIFECYCLE.lock(mission)
    _record_move(mission, MissionStatus.ACCEPTED, by=by)
    for expert in experts:
        _assign(mission, expert, by=by, confirm_without_skill=confirm_without_skill)
    return mission


@transaction.atomic
def mission_decline(*, mission: SkillMission, by, reason: str) -> SkillMission:
    """The firm's correspondent declines a proposed mission, saying why; the animateurs of
    the dispositif are told by e-mail."""
    _require(_responds_for_firm(by, mission), _("Seul le correspondant de l'entreprise répond."))
    reason = MISSION_LIFECYCLE.clean_reason(
        reason, current=mission.status, target=MissionStatus.DECLINED
    )
    mission = MISSION_LIFECYCLE.lock(mission)
    _record_move(mission, MissionStatus.DECLINED, by=by, reason=reason, decline_reason=reason)
    tasks.send_mission_declined.enqueue(dispositif_id=mission.dispositif_id, mission_id=mission.pk)
    return mission


def expert_lacks_skill(mission: SkillMission, expert: Expert) -> bool:
    """Is the mission's skill missing from the expert's skills?"""
    return not expert.skills.filter(pk=mission.skill_id).exists()


def _assign(
    mission: SkillMission, expert: Expert, *, by, confirm_without_skill: bool = False
) -> MissionAssignment:
    """Put ``expert`` on the mission. An expert without the mission's skill is refused
    (``expert_lacks_skill``) unless the firm confirms it knows: the firm may know better
    than the skills list, but not by accident."""
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
    if not confirm_without_skill and expert_lacks_skill(mission, expert):
        raise ApplicationError(
            _(
                "%(expert)s n'a pas la compétence « %(skill)s » de la mission : confirmez "
                "pour l'affecter quand même."
            )
            % {"expert": expert.full_name, "skill": mission.skill.name},
            field="expert",
            code="expert_lacks_skill",
        )
    return MissionAssignment.objects.create(
        dispositif_id=mission.dispositif_id, mission=mission, expert=expert, assigned_by=by
    )


@transaction.atomic
def mission_assign_expert(
    *, mission: SkillMission, expert: Expert, by, confirm_without_skill: bool = False
) -> MissionAssignment:
    """The firm's correspondent assigns one of the firm's experts to the mission; one
    without the mission's skill only with ``confirm_without_skill``."""
    _require(_responds_for_firm(by, mission), _("Seul le correspondant de l'entreprise affecte."))
    return _assign(
        MISSION_LIFECYCLE.lock(mission), expert, by=by, confirm_without_skill=confirm_without_skill
    )


@transaction.atomic
def mission_start(*, mission: SkillMission, by) -> SkillMission:
    """An accepted mission with an expert starts (the animateur or the correspondent)."""
    _require(
        _manages(by, mission) or _responds_for_firm(by, mission),
        _("Seuls l'animateur et le correspondant démarrent une mission."),
    )
    mission = MISSION_LIFECYCLE.lock(mission)
    if mission.status == MissionStatus.ACCEPTED and not mission.assignments.exists():
        raise ApplicationError(
            _(
                "La mission démarre une fois un expert affecté : le correspondant de "
                "l'entreprise l'affecte sur la page de la mission."
            ),
            field="status",
            code="no_expert",
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
    mission = MISSION_LIFECYCLE.lock(mission)
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
    mission = MISSION_LIFECYCLE.lock(mission)
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
    reason = MISSION_LIFECYCLE.clean_reason(
        reason, current=mission.status, target=MissionStatus.CANCELLED
    )
    mission = MISSION_LIFECYCLE.lock(mission)
    _record_move(mission, MissionStatus.CANCELLED, by=by, reason=reason)
    return mission
