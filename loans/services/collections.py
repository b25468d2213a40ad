"""Collection files of SEPA direct debits (pain.008.001.02, built by ``sepaxml``, which
checks every file against the schema it ships before handing it over).

For a fund and a due date, the file debits each instalment that is due on or before that
date, still live (not superseded by a reschedule), not fully paid, whose advance is live
and has a mandate in force, and that has no open debit yet (a line not returned): one line
per instalment, for what remains due on it (the instalment's amount less the allocations
of repayments not reversed). Sequence type: ``OOFF`` under a one-off mandate (one debit
only), ``FRST`` for the first debit under a recurrent mandate (no earlier open line under
it), ``RCUR`` after.

Generating is idempotent: the fund's row is locked while a file is drawn, so two requests
never collect one instalment twice (the partial unique constraint on the open lines holds
it in the database too); when nothing new is due, the last file of that date is returned
as it was. Generating records nothing as paid: no repayment, no ledger entry — the money
is recorded when the bank statement shows it."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Subquery
from django.utils.translation import gettext as _
from sepaxml import SepaDD

from alize.errors import ApplicationError, ConflictError
from alize.formats import long_date
from alize.validators import validate_plausible_date

from ..models import (
    LIVE_STATUSES,
    ZERO,
    DirectDebitCollection,
    DirectDebitLine,
    DirectDebitMandate,
    Fund,
    Instalment,
    MandateKind,
    SequenceType,
)

SCHEMA = "pain.008.001.02"


class _CollectionFile(SepaDD):
    """``sepaxml``'s direct-debit file, with the message id the collection records."""

    def __init__(self, config: dict, *, message_id: str):
        self._message_id = message_id
        super().__init__(config, schema=SCHEMA)

    def _create_header(self):
        self.msg_id = self._message_id
        super()._create_header()


@dataclass(frozen=True)
class _Debit:
    instalment: Instalment
    mandate: DirectDebitMandate
    amount: Decimal
    sequence_type: str


def _check_fund(fund: Fund) -> None:
    missing = [
        (name, label)
        for name, label in (
            ("creditor_identifier", _("l'identifiant créancier SEPA")),
            ("iban", _("l'IBAN")),
            ("bic", _("le BIC")),
        )
        if not getattr(fund, name)
    ]
    if missing:
        raise ApplicationError(
            _("Renseignez d'abord %(missing)s du fonds « %(fund)s ».")
            % {"missing": ", ".join(label for _name, label in missing), "fund": fund.name},
            field=missing[0][0],
            code="fund_not_set_up",
        )


def due_debits(fund: Fund, collection_date: dt.date) -> list[_Debit]:
    """The instalments of ``fund`` to debit for ``collection_date`` (see the module), the
    oldest due first, each with the mandate in force and what remains due."""
    in_force = DirectDebitMandate.objects.filter(
        advance=OuterRef("advance"), revoked_on__isnull=True, signed_on__lte=collection_date
    )
    open_line = DirectDebitLine.objects.filter(instalment=OuterRef("pk"), returned_at__isnull=True)
    instalments = list(
        Instalment.objects.filter(
            advance__fund=fund,
            advance__status__in=LIVE_STATUSES,
            due_on__lte=collection_date,
            superseded_at__isnull=True,
        )
        .annotate(
            mandate_id=Subquery(in_force.values("pk")[:1]),
        )
        .filter(mandate_id__isnull=False)
        .exclude(Exists(open_line))
        .select_related("advance")
        .order_by("due_on", "advance_id", "schedule_version", "number")
    )
    mandates = DirectDebitMandate.objects.in_bulk({i.mandate_id for i in instalments})
    # Mandates with a debit the bank has not returned: a recurrent one goes on with RCUR, a
    # one-off one (a single debit) is spent.
    collected = set(
        DirectDebitLine.objects.filter(mandate__in=list(mandates), returned_at__isnull=True)
        .values_list("mandate", flat=True)
        .distinct()
    )
    # A mandate's first debit (FRST) travels alone: the bank must see it before any RCUR
    # under the same mandate, so its other due instalments wait for the next file.
    first_in_file: set[int] = set()
    debits = []
    for instalment in instalments:
        remaining = instalment.amount - instalment.paid
        mandate = mandates[instalment.mandate_id]
        if remaining <= 0 or (mandate.kind == MandateKind.ONE_OFF and mandate.pk in collected):
            continue
        if mandate.pk in first_in_file:
            continue
        if mandate.kind == MandateKind.ONE_OFF:
            sequence_type = SequenceType.ONE_OFF
        elif mandate.pk in collected:
            sequence_type = SequenceType.RECURRENT
        else:
            sequence_type = SequenceType.FIRST
            first_in_file.add(mandate.pk)
        collected.add(mandate.pk)
        debits.append(_Debit(instalment, mandate, remaining, sequence_type))
    return debits


def _end_to_end_id(instalment: Instalment, attempt: int) -> str:
    """The debit's reference, unique, carrying the advance's reference for the statement
    that reports it: ``AV-000123-4567-1`` (advance, instalment, attempt)."""
    return f"{instalment.advance.reference}-{instalment.pk}-{attempt}"


@transaction.atomic
def collection_generate(
    *, fund: Fund, collection_date: dt.date, by
) -> tuple[DirectDebitCollection, bool]:
    """Draw the collection file of ``fund`` for ``collection_date`` (see the module) →
    ``(collection, created)``: ``created`` is False when nothing new was due and the last
    file of that date is returned as it was. Refused (on ``collection_date``) when nothing
    is due and no file of that date exists, and when the fund has no creditor identifier,
    IBAN or BIC."""
    if collection_date is None:
        raise ApplicationError(_("Choisissez la date d'échéance."), field="collection_date")
    try:
        validate_plausible_date(collection_date)
    except ValidationError as error:
        raise ApplicationError(
            _("Choisissez une date d'échéance plausible."), field="collection_date"
        ) from error
    locked = Fund.objects.select_for_update().get(pk=fund.pk)
    _check_fund(locked)
    debits = due_debits(locked, collection_date)
    same_day = DirectDebitCollection.objects.filter(fund=locked, collection_date=collection_date)
    if not debits:
        existing = same_day.order_by("-created_at", "-id").first()
        if existing is not None:
            return existing, False
        raise ApplicationError(
            _(
                "Aucune échéance à prélever au %(date)s : les échéances dues sont payées, "
                "déjà prélevées, ou leurs avances n'ont pas de mandat en vigueur."
            )
            % {"date": long_date(collection_date)},
            field="collection_date",
            code="nothing_due",
        )
    message_id = f"ALZ-F{locked.pk}-{collection_date:%Y%m%d}-{same_day.count() + 1}"
    attempts = dict(
        DirectDebitLine.objects.filter(instalment__in=[d.instalment.pk for d in debits])
        .values("instalment")
        .annotate(count=Count("id"))
        .values_list("instalment", "count")
    )
    sepa = _CollectionFile(
        {
            "name": locked.name,
            "IBAN": locked.iban,
            "BIC": locked.bic,
            "batch": True,
            "creditor_id": locked.creditor_identifier,
            "currency": "EUR",
        },
        message_id=message_id,
    )
    lines = []
    for debit in debits:
        instalment, mandate = debit.instalment, debit.mandate
        line = DirectDebitLine(
            dispositif_id=locked.dispositif_id,
            instalment=instalment,
            mandate=mandate,
            amount=debit.amount,
            sequence_type=debit.sequence_type,
            end_to_end_id=_end_to_end_id(instalment, attempts.get(instalment.pk, 0) + 1),
        )
        lines.append(line)
        sepa.add_payment(
            {
                "name": mandate.debtor_name,
                "IBAN": mandate.iban,
                "BIC": mandate.bic,
                "amount": int(debit.amount * 100),
                "type": line.sequence_type,
                "collection_date": collection_date,
                "mandate_id": mandate.reference,
                "mandate_date": mandate.signed_on,
                # The remittance text the SME's bank shows: in French, whatever the language
                # of the person who draws the file.
                "description": f"{instalment.advance.reference} echeance {instalment.number} "
                f"du {instalment.due_on:%d/%m/%Y}",
                "endtoend_id": line.end_to_end_id,
            }
        )
    xml = sepa.export(validate=True)
    collection = DirectDebitCollection(
        dispositif_id=locked.dispositif_id,
        fund=locked,
        collection_date=collection_date,
        message_id=message_id,
        xml=xml.decode("utf-8"),
        checksum=hashlib.sha256(xml).hexdigest(),
        line_count=len(lines),
        total=sum((line.amount for line in lines), ZERO),
        created_by=by,
    )
    try:
        with transaction.atomic():
            collection.save()
            for line in lines:
                line.collection = collection
            DirectDebitLine.objects.bulk_create(lines)
    except IntegrityError as error:
        raise ConflictError(
            _("Une autre remise vient de prélever ces échéances : rechargez la page."),
            field="collection_date",
        ) from error
    return collection, True
