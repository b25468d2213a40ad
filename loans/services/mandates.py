"""SEPA direct-debit mandates of an advance: recording one (IBAN and BIC checked by
``schwifty``, a unique reference ``ALZ-<advance>-<n>``) and revoking it. An advance has at
most one mandate in force; a revoked mandate is kept, and a new one gets the next number.

The web form and the API call these same services, so their rules are one."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.services import validate_and_save

from ..models import (
    ADVANCE_LIFECYCLE,
    Advance,
    AdvanceStatus,
    DirectDebitMandate,
    MandateKind,
)
from ..validators import compact_identifier
from ._common import _not_in_future, _reason, _today

# An advance that is repaid or written off is debited no more.
CLOSED_STATUSES = frozenset({AdvanceStatus.REPAID, AdvanceStatus.WRITTEN_OFF})
DEBTOR_NAME_MAX_LENGTH = 70  # the ISO 20022 name of a party


def mandate_reference(advance: Advance, number: int) -> str:
    """The unique mandate reference (RUM) of an advance's ``number``-th mandate."""
    return f"ALZ-{advance.pk}-{number}"


@transaction.atomic
def mandate_create(
    *,
    advance: Advance,
    debtor_name: str,
    iban: str,
    bic: str,
    signed_on: dt.date,
    kind: str = MandateKind.RECURRENT,
    by,
) -> DirectDebitMandate:
    """Record the mandate the SME signed for ``advance``: its account (IBAN and BIC,
    stored compact and upper-case), the account holder, the signature date (not in the
    future) and its kind. Refused when the advance already has a mandate in force, or is
    repaid or written off."""
    locked = ADVANCE_LIFECYCLE.lock(advance)
    if locked.status in CLOSED_STATUSES:
        raise ApplicationError(
            _("Une avance « %(status)s » ne se prélève plus.")
            % {"status": locked.get_status_display()},
            field="advance",
        )
    in_force = DirectDebitMandate.objects.filter(advance=locked, revoked_on__isnull=True).first()
    if in_force is not None:
        raise ApplicationError(
            _("Cette avance a déjà un mandat en vigueur (%(reference)s) : révoquez-le d'abord.")
            % {"reference": in_force.reference},
            field="advance",
            code="mandate_in_force",
        )
    debtor_name = " ".join((debtor_name or "").split())
    if len(debtor_name) > DEBTOR_NAME_MAX_LENGTH:
        raise ApplicationError(
            _("Le titulaire du compte tient en %(count)d caractères au plus.")
            % {"count": DEBTOR_NAME_MAX_LENGTH},
            field="debtor_name",
        )
    if kind not in MandateKind.values:
        raise ApplicationError(_("Type de mandat inconnu."), field="kind")
    if signed_on is not None:
        _not_in_future(signed_on, "signed_on")
    number = DirectDebitMandate.objects.filter(advance=locked).count() + 1
    mandate = DirectDebitMandate(
        dispositif_id=locked.dispositif_id,
        advance=locked,
        reference=mandate_reference(locked, number),
        debtor_name=debtor_name,
        iban=compact_identifier(iban),
        bic=compact_identifier(bic),
        signed_on=signed_on,
        kind=kind,
        created_by=by,
    )
    return validate_and_save(mandate)


@transaction.atomic
def mandate_revoke(
    *,
    mandate: DirectDebitMandate,
    reason: str,
    by,
    revoked_on: dt.date | None = None,
) -> DirectDebitMandate:
    """Revoke a mandate in force (the SME withdrew it, or changed bank), on a date not
    before its signature nor in the future, with a reason. The debits already sent stay as
    they are; no new debit is drawn under it."""
    reason = _reason(reason)
    revoked_on = revoked_on or _today()
    ADVANCE_LIFECYCLE.lock(mandate.advance)
    locked = DirectDebitMandate.objects.select_for_update().get(pk=mandate.pk)
    if locked.revoked_on is not None:
        raise ApplicationError(_("Ce mandat est déjà révoqué."), field="mandate")
    _not_in_future(revoked_on, "revoked_on")
    if revoked_on < locked.signed_on:
        raise ApplicationError(
            _("La révocation ne peut pas précéder la signature du mandat."), field="revoked_on"
        )
    locked.revoked_on = revoked_on
    locked.revoked_reason = reason
    validate_and_save(locked)
    mandate.refresh_from_db()
    return locked
