"""Erasure of personal data that keeps the statistics, on request and when its retention
period is over (docs/personal-data.md, "Erasure" and "Retention").

An erasure replaces the person's identifying fields with placeholders (« Personne effacée
#12 », an address that cannot receive mail) in their row and in every history row of it,
then replaces every mention of their name, e-mail and phone in the free text of every table
(notes, the mail outbox, job payloads, idempotency records, the admin's log, the history
tables…). Rows are never deleted and no foreign key changes: hours, money, decisions and
every figure built on them stay as they were. The person's user account, when they have
one, is the same human being and is erased with them. Each erasure is recorded (kind, id,
who, when, why), never with the erased name.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.db.models import Model
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.models import ErasureOrigin, ErasureRecord, RetentionReport
from alize.tenancy import scope

from . import database
from .registry import KINDS, PersonKind, kind_of

logger = logging.getLogger(__name__)

USER_KIND = "user"
REASON_MIN_LENGTH = 10
# The retention job erases its persons this many at a time (one scan of the free text of
# the database per batch).
BATCH = 100

Person = tuple[PersonKind, Model]


def _history_models(model) -> list:
    return [m for m in apps.get_models() if getattr(m, "instance_type", None) is model]


def _holds_data(kind: PersonKind, row: Model) -> bool:
    return kind.queryset().filter(kind.holds_data, pk=row.pk).exists()


def _same_person(kind: PersonKind, row: Model) -> list[Person]:
    """The person and their other records as the same human being (an expert and their
    account), locked, those still holding personal data only."""
    persons: list[Person] = [(kind, row)]
    user_kind = KINDS.get(USER_KIND)
    if kind.account_field and user_kind is not None:
        account_id = getattr(row, f"{kind.account_field}_id")
        if account_id is not None:
            persons.append((user_kind, user_kind.queryset().select_for_update().get(pk=account_id)))
    if user_kind is not None and kind is user_kind:
        for other in KINDS.values():
            if other.account_field:
                rows = other.queryset().select_for_update().filter(**{other.account_field: row.pk})
                persons += [(other, linked) for linked in rows]
    return [(k, r) for k, r in persons if _holds_data(k, r)]


def _erase(persons: list[Person], *, by, reason: str, origin: str) -> list[ErasureRecord]:
    """Erase ``persons`` (already locked) and record each erasure."""
    strings: list[str] = []
    for kind, row in persons:
        strings += kind.identity(row)
    for kind, row in persons:
        if kind.on_erase is not None:
            kind.on_erase(row, by)
        values = kind.erased_values(row)
        kind.model_class._base_manager.filter(pk=row.pk).update(**values)
        for historical in _history_models(kind.model_class):
            names = {f.name for f in historical._meta.concrete_fields}
            kept = {name: value for name, value in values.items() if name in names}
            historical._base_manager.filter(id=row.pk).update(**kept)
    records = [
        ErasureRecord.objects.create(
            kind=kind.key, person_id=row.pk, by=by, reason=reason, origin=origin
        )
        for kind, row in persons
    ]
    # After the records: a reason that names the person is scrubbed too.
    rewritten = database.replace_mentions(strings)
    ErasureRecord.objects.filter(pk__in=[r.pk for r in records]).update(
        rows=len(persons) + sum(rewritten.values())
    )
    logger.info(
        "Personal data erased: %s (%s); rows rewritten per table: %s",
        ", ".join(f"{kind.key} #{row.pk}" for kind, row in persons),
        origin,
        rewritten,
    )
    return records


@transaction.atomic
def person_erase(*, kind: str, person_id: int, by, reason: str) -> list[ErasureRecord]:
    """Erase one person's personal data across the network, on request (the coordination,
    after its confirmation page); returns the erasure records (the person's first, then
    their account's or profile's). An erased person is refused."""
    reason = (reason or "").strip()
    if len(reason) < REASON_MIN_LENGTH:
        raise ApplicationError(
            _("Dites pourquoi ces données sont effacées (au moins %(n)s caractères).")
            % {"n": REASON_MIN_LENGTH},
            field="reason",
            code="reason_required",
        )
    try:
        person_kind = kind_of(kind)
    except LookupError:
        raise ApplicationError(_("Type de personne inconnu."), code="unknown_kind") from None
    with scope(every_dispositif=True, reason="erasure of a person's data across the network"):
        row = person_kind.queryset().select_for_update().filter(pk=person_id).first()
        if row is None:
            raise ApplicationError(_("Cette personne n'existe pas."), code="not_found")
        persons = _same_person(person_kind, row)
        if not persons or persons[0][1] is not row:
            raise ApplicationError(
                _("Les données de cette personne sont déjà effacées."), code="already_erased"
            )
        return _erase(persons, by=by, reason=reason, origin=ErasureOrigin.REQUEST)


def retention_cutoff(today: dt.date, years: int) -> dt.date:
    """The day ``years`` years before ``today`` (the 28th for a 29 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


@transaction.atomic
def retention_apply(*, today: dt.date, dispositif=None, years: int | None = None):
    """Erase the persons whose retention period is over: with ``dispositif``, its SME
    contacts (the tenant kinds); without, the directory's experts and users. Records what it
    did in a ``RetentionReport`` (persons erased per kind, zero included) and returns it.
    Idempotent: an erased person no longer holds data, so a second run erases nobody."""
    years = years or settings.RETENTION_YEARS
    cutoff = retention_cutoff(today, years)
    reason = (
        f"Durée de conservation échue : inactif depuis plus de {years} ans "
        f"(avant le {cutoff:%d/%m/%Y})."
    )
    kinds = [k for k in KINDS.values() if k.retention and k.tenant == (dispositif is not None)]
    counts = {kind.key: 0 for kind in kinds}
    with scope(every_dispositif=True, reason="the retention job erases across the network"):
        for kind in kinds:
            ids: set[int] = set()
            for rule in kind.retention:
                ids.update(rule.candidates(cutoff, dispositif))
            ordered = sorted(ids)
            for start in range(0, len(ordered), BATCH):
                batch = ordered[start : start + BATCH]
                persons: dict[tuple[str, int], Person] = {}
                locked = kind.queryset().select_for_update().filter(kind.holds_data, pk__in=batch)
                for row in locked.order_by("pk"):
                    for person_kind, person in _same_person(kind, row):
                        persons.setdefault((person_kind.key, person.pk), (person_kind, person))
                records = _erase(
                    list(persons.values()), by=None, reason=reason, origin=ErasureOrigin.RETENTION
                )
                for record in records:
                    counts[record.kind] = counts.get(record.kind, 0) + 1
        report = RetentionReport.objects.create(
            dispositif_id=getattr(dispositif, "pk", None),
            dispositif_name=str(dispositif) if dispositif is not None else "",
            years=years,
            cutoff=cutoff,
            counts=counts,
        )
    place = report.dispositif_name or "directory"
    logger.info("Retention (%s, before %s): %s", place, cutoff, counts)
    return report
