"""Co-financing of a project (bank loans, equity, grants besides the advance): recorded,
once per submission key, changed and deleted."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from alize.formats import money, short_date
from alize.idempotency import clean_key, run_once
from alize.services import model_update, validate_and_save

from ..models import Cofinancing
from ._common import _not_in_future

COFINANCING_FIELDS = ("organisation", "kind", "amount", "evidence_on")


@transaction.atomic
def cofinancing_create(
    *, project, organisation: str, kind: str, amount: Decimal, evidence_on: dt.date, by
) -> Cofinancing:
    """Record money obtained for a project besides the advance."""
    _not_in_future(evidence_on, "evidence_on")
    return validate_and_save(
        Cofinancing(
            dispositif_id=project.dispositif_id,
            project=project,
            organisation=(organisation or "").strip(),
            kind=kind,
            amount=amount,
            evidence_on=evidence_on,
            recorded_by=by,
        )
    )


def _cofinancing_described(first: Cofinancing) -> tuple[str, dict]:
    message = _(
        "Cet envoi a déjà enregistré un cofinancement de %(amount)s (%(organisation)s, "
        "justifié le %(date)s) ; rien de plus n'est enregistré. Pour enregistrer un autre "
        "cofinancement, rechargez la page et saisissez-le à nouveau."
    ) % {
        "amount": money(first.amount),
        "organisation": first.organisation,
        "date": short_date(first.evidence_on),
    }
    extra = {
        "cofinancing": first.pk,
        "amount": str(first.amount),
        "evidence_on": first.evidence_on.isoformat(),
    }
    return message, extra


@transaction.atomic
def cofinancing_create_once(*, project, submission_key: str, **fields) -> tuple[Cofinancing, bool]:
    """``cofinancing_create`` for a form that may be sent twice or an API call with an
    ``Idempotency-Key``, like ``contribution_record_once``: the first co-financing recorded
    under the key (per dispositif) comes back with ``created=False``; another payload under
    the same key raises the 409."""
    key = clean_key(
        submission_key,
        field="submission_key",
        message=_("Une clé d'envoi (1 à 128 caractères) est requise."),
    )

    def create() -> Cofinancing:
        cofinancing = cofinancing_create(project=project, **fields)
        cofinancing.submission_key = key
        cofinancing.save(update_fields=["submission_key"])
        return cofinancing

    payload = {name: fields.get(name) for name in COFINANCING_FIELDS}
    payload["project"] = project
    return run_once(
        operation="loans.cofinancing",
        dispositif_id=project.dispositif_id,
        key=key,
        payload=payload,
        model=Cofinancing,
        create=create,
        describe=_cofinancing_described,
        field=None,
    )


@transaction.atomic
def cofinancing_update(*, cofinancing: Cofinancing, **fields) -> Cofinancing:
    if "evidence_on" in fields:
        _not_in_future(fields["evidence_on"], "evidence_on")
    model_update(cofinancing, COFINANCING_FIELDS, fields)
    return validate_and_save(cofinancing)


@transaction.atomic
def cofinancing_delete(*, cofinancing: Cofinancing) -> None:
    cofinancing.delete()
