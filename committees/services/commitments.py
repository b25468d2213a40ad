"""Partners' commitments: the tools each organisation activates for a dossier."""

from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from partners.models import OrganisationKind

from ..models import AgendaItem, CommitteeStatus, PartnerCommitment
from ._common import _is_member


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
