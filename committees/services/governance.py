"""What members bring to the governance of a committee: declarations of interest (which
recuse their organisation for a dossier) and their answer to the invitation."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from alize.accounts.roles import assignments
from alize.errors import ApplicationError

from ..models import (
    AgendaItem,
    Committee,
    CommitteeReply,
    CommitteeStatus,
    Decision,
    InterestDeclaration,
    InterestKind,
    ReplyAnswer,
)
from ._common import SITTING_STATUSES, _is_member

COMMENT_MAX = 1000


def _sits_for(user, organisation) -> bool:
    return any(a.organisation_id == organisation.pk for a in assignments(user))


@transaction.atomic
def interest_declare(
    *, item: AgendaItem, organisation, kind: str, note: str = "", by
) -> InterestDeclaration:
    """Declare that ``organisation`` has an interest in the dossier (creditor, supplier,
    competitor…): it is recused for that dossier. Before or during the meeting, until the
    dossier is decided. Recorded by a person of the organisation, or by the animateur on
    its behalf (``on_behalf``). Never changed nor deleted afterwards."""
    committee = item.committee
    if committee.status == CommitteeStatus.MINUTES_SENT:
        raise ApplicationError(_("Le compte rendu est envoyé : le comité est clos."), field="kind")
    if Decision.objects.filter(item=item).exists():
        raise ApplicationError(
            _("Ce dossier a déjà une décision : l'intérêt devait être déclaré avant."),
            field="kind",
        )
    if kind not in InterestKind.values:
        raise ValidationError({"kind": _("Nature d'intérêt inconnue.")})
    if not _is_member(item.dispositif, organisation, on=committee.date):
        raise ValidationError(
            {"organisation": _("Cette organisation ne siège pas au tour de table.")}
        )
    note = (note or "").strip()
    if kind == InterestKind.OTHER and not note:
        raise ValidationError({"note": _("Précisez la nature de l'intérêt.")})
    declaration = InterestDeclaration(
        dispositif_id=item.dispositif_id,
        item=item,
        organisation=organisation,
        kind=kind,
        note=note,
        on_behalf=by is not None and not _sits_for(by, organisation),
        recorded_by=by,
    )
    declaration.full_clean()
    declaration.save()
    return declaration


@transaction.atomic
def committee_reply(
    *, committee: Committee, user, organisation, answer: str, comment: str = ""
) -> CommitteeReply:
    """A member says whether they will come, with an optional word for the animateur; a new
    answer replaces the previous one, until the meeting is held."""
    if committee.status not in SITTING_STATUSES:
        raise ApplicationError(
            _("Le comité est tenu : la réponse à l'invitation ne change plus."), field="answer"
        )
    if answer not in ReplyAnswer.values:
        raise ValidationError({"answer": _("Réponse inconnue.")})
    comment = (comment or "").strip()
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            {
                "comment": _("Le mot pour l'animateur tient en %(max)s caractères.")
                % {"max": COMMENT_MAX}
            }
        )
    if not _sits_for(user, organisation) or not _is_member(
        committee.dispositif, organisation, on=committee.date
    ):
        raise ValidationError(
            {"organisation": _("Vous ne siégez pas pour cette organisation à ce comité.")}
        )
    reply, _created = CommitteeReply.objects.update_or_create(
        committee=committee,
        user=user,
        defaults={
            "dispositif_id": committee.dispositif_id,
            "organisation": organisation,
            "answer": answer,
            "comment": comment,
        },
    )
    return reply
