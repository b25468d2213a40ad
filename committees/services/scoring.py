"""The optional scoring grid: the animateur defines the dispositif's weighted criteria;
member organisations score the dossiers of a coming committee (0 to 5 per criterion) until
it is held. A recused organisation does not score the dossier. Scores are never a vote."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from alize.errors import ApplicationError

from ..models import (
    SCORE_MAX,
    WEIGHT_MAX,
    AgendaItem,
    DossierScore,
    InterestDeclaration,
    ScoringCriterion,
)
from ._common import SITTING_STATUSES, _is_member


def _criterion_fields(dispositif, *, name: str, weight, order, exclude_pk=None) -> dict:
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Nommez le critère.")
    elif (
        ScoringCriterion.objects.filter(dispositif=dispositif, name__iexact=name)
        .exclude(pk=exclude_pk)
        .exists()
    ):
        errors["name"] = _("Ce dispositif a déjà un critère de ce nom.")
    if not isinstance(weight, int) or not 1 <= weight <= WEIGHT_MAX:
        errors["weight"] = _("Le poids est un entier de 1 à %(max)s.") % {"max": WEIGHT_MAX}
    if not isinstance(order, int) or order < 0:
        errors["order"] = _("L'ordre est un entier positif.")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "weight": weight, "order": order}


@transaction.atomic
def criterion_create(*, dispositif, name: str, weight: int, order: int = 0) -> ScoringCriterion:
    """Add a criterion to the dispositif's scoring grid (name unique in the dispositif,
    weight 1 to 10)."""
    fields = _criterion_fields(dispositif, name=name, weight=weight, order=order)
    criterion = ScoringCriterion(dispositif=dispositif, **fields)
    criterion.full_clean()
    criterion.save()
    return criterion


def criterion_is_used(criterion: ScoringCriterion) -> bool:
    return DossierScore.objects.filter(criterion=criterion).exists()


@transaction.atomic
def criterion_update(
    *, criterion: ScoringCriterion, name: str, weight: int, order: int, active: bool = True
) -> ScoringCriterion:
    """Change a criterion while no score uses it; a used criterion can only be
    deactivated (or reactivated): its name and weight stay what the scores were given on."""
    criterion = ScoringCriterion.objects.select_for_update().get(pk=criterion.pk)
    if criterion_is_used(criterion):
        if (name or "").strip() != criterion.name or weight != criterion.weight:
            raise ApplicationError(
                _(
                    "Des notes utilisent déjà le critère « %(name)s » : il ne peut plus "
                    "qu'être désactivé."
                )
                % {"name": criterion.name},
                field="name",
            )
        criterion.order = order if isinstance(order, int) and order >= 0 else criterion.order
        criterion.active = active
        criterion.save(update_fields=["order", "active"])
        return criterion
    fields = _criterion_fields(
        criterion.dispositif_id,
        name=name,
        weight=weight,
        order=order,
        exclude_pk=criterion.pk,
    )
    for key, value in fields.items():
        setattr(criterion, key, value)
    criterion.active = active
    criterion.full_clean()
    criterion.save()
    return criterion


@transaction.atomic
def criterion_delete(*, criterion: ScoringCriterion) -> None:
    """Remove a criterion no score uses; a used one can only be deactivated."""
    if criterion_is_used(criterion):
        raise ApplicationError(
            _(
                "Des notes utilisent déjà le critère « %(name)s » : il ne peut plus qu'être "
                "désactivé."
            )
            % {"name": criterion.name}
        )
    criterion.delete()


@transaction.atomic
def dossier_score(
    *, item: AgendaItem, organisation, scores: dict[int, int], by
) -> list[DossierScore]:
    """Record ``organisation``'s scores of the dossier, ``{criterion pk: 0 to 5}`` for the
    dispositif's active criteria; a new score replaces the previous one until the committee
    is held. A recused organisation (an interest declared on the dossier) does not score
    it."""
    committee = item.committee
    if committee.status not in SITTING_STATUSES:
        raise ApplicationError(
            _("Le comité est tenu : les notes des dossiers ne changent plus."), field="scores"
        )
    if not _is_member(item.dispositif, organisation, on=committee.date):
        raise ValidationError(
            {"organisation": _("Cette organisation ne siège pas au tour de table.")}
        )
    if InterestDeclaration.objects.filter(item=item, organisation=organisation).exists():
        raise ApplicationError(
            _(
                "%(name)s a déclaré un intérêt pour « %(title)s » : récusée pour ce dossier, "
                "elle ne le note pas."
            )
            % {"name": organisation.name, "title": item.project.title},
            field="scores",
        )
    criteria = {
        c.pk: c
        for c in ScoringCriterion.objects.filter(dispositif_id=item.dispositif_id, active=True)
    }
    if not scores:
        raise ValidationError({"scores": _("Notez au moins un critère.")})
    unknown = set(scores) - set(criteria)
    if unknown:
        raise ValidationError({"scores": _("Ce critère n'est pas dans la grille du dispositif.")})
    for pk, score in scores.items():
        if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= SCORE_MAX:
            raise ValidationError(
                {
                    "scores": _("« %(name)s » : la note est un entier de 0 à %(max)s.")
                    % {"name": criteria[pk].name, "max": SCORE_MAX}
                }
            )
    recorded = []
    for pk, score in scores.items():
        row, _created = DossierScore.objects.update_or_create(
            item=item,
            criterion=criteria[pk],
            organisation=organisation,
            defaults={"dispositif_id": item.dispositif_id, "score": score, "scored_by": by},
        )
        recorded.append(row)
    return recorded
