"""Funds and the money put into them: creating and renaming a fund, setting the account
its direct debits are collected to, recording a contribution (posted cash / capital),
once per submission key."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from alize.errors import ApplicationError
from alize.formats import money, short_date
from alize.idempotency import clean_key, run_once
from alize.services import model_update, validate_and_save

from .. import ledger
from ..models import Account, ContributionKind, EntryKind, Fund, FundContribution
from ..models.funds import JOBS_TO_RECREATE_MAX
from ..validators import compact_identifier
from ._common import _not_in_future


def _check_fund_name(fund: Fund) -> None:
    same = Fund.objects.filter(dispositif_id=fund.dispositif_id, name__iexact=fund.name)
    if same.exclude(pk=fund.pk).exists():
        raise ApplicationError(_("Ce dispositif a déjà un fonds de ce nom."), field="name")


@transaction.atomic
def fund_create(*, dispositif, name: str) -> Fund:
    """A new fund of a dispositif (its name unique there)."""
    fund = Fund(dispositif=dispositif, name=(name or "").strip())
    _check_fund_name(fund)
    return validate_and_save(fund)


@transaction.atomic
def fund_rename(*, fund: Fund, name: str) -> Fund:
    model_update(fund, ["name"], {"name": (name or "").strip()})
    _check_fund_name(fund)
    return validate_and_save(fund)


COLLECTION_ACCOUNT_FIELDS = ("creditor_identifier", "iban", "bic")


@transaction.atomic
def fund_set_collection_account(
    *, fund: Fund, creditor_identifier: str, iban: str, bic: str
) -> Fund:
    """The fund's SEPA creditor identifier and the account (IBAN, BIC) its direct debits
    are collected to, stored compact and upper-case; each is checked (ISO 7064 mod 97-10
    for the identifier, ``schwifty`` for the account). Left blank, the fund collects no
    direct debit; given, the three go together."""
    values = {
        name: compact_identifier(value)
        for name, value in (
            ("creditor_identifier", creditor_identifier),
            ("iban", iban),
            ("bic", bic),
        )
    }
    if any(values.values()):
        for name in COLLECTION_ACCOUNT_FIELDS:
            if not values[name]:
                raise ApplicationError(
                    _(
                        "L'identifiant créancier, l'IBAN et le BIC vont ensemble : "
                        "renseignez les trois."
                    ),
                    field=name,
                )
    locked = Fund.objects.select_for_update().get(pk=fund.pk)
    model_update(locked, COLLECTION_ACCOUNT_FIELDS, values)
    validate_and_save(locked)
    model_update(fund, COLLECTION_ACCOUNT_FIELDS, values)
    return locked


def _checked_jobs_to_recreate(kind: str, jobs: int | None) -> int:
    """The jobs a revitalisation agreement must help re-create through a contribution: a
    whole number from 0 to ``JOBS_TO_RECREATE_MAX``, and 0 for any other source."""
    jobs = 0 if jobs in (None, "") else jobs
    if isinstance(jobs, bool) or not isinstance(jobs, int):
        raise ApplicationError(
            _("Le nombre d'emplois à recréer est un nombre entier."), field="jobs_to_recreate"
        )
    if not 0 <= jobs <= JOBS_TO_RECREATE_MAX:
        raise ApplicationError(
            _("Le nombre d'emplois à recréer va de 0 à %(max)s.") % {"max": JOBS_TO_RECREATE_MAX},
            field="jobs_to_recreate",
        )
    if jobs and kind != ContributionKind.REVITALISATION:
        raise ApplicationError(
            _("Seule une convention de revitalisation a des emplois à recréer."),
            field="jobs_to_recreate",
        )
    return jobs


@transaction.atomic
def contribution_record(
    *,
    fund: Fund,
    kind: str,
    organisation,
    amount: Decimal,
    received_on: dt.date,
    by,
    agreement: str = "",
    agreement_firm=None,
    earmark: str = "",
    jobs_to_recreate: int | None = 0,
) -> FundContribution:
    """Record money put into a fund, and post it (cash / capital) the same day. Only a
    revitalisation agreement has jobs to re-create."""
    _not_in_future(received_on, "received_on")
    jobs_to_recreate = _checked_jobs_to_recreate(kind, jobs_to_recreate)
    contribution = FundContribution(
        dispositif_id=fund.dispositif_id,
        fund=fund,
        kind=kind,
        organisation=organisation,
        agreement=(agreement or "").strip(),
        agreement_firm=agreement_firm,
        amount=amount,
        received_on=received_on,
        earmark=earmark or "",
        jobs_to_recreate=jobs_to_recreate,
        recorded_by=by,
    )
    validate_and_save(contribution)
    ledger.post(
        fund=fund,
        kind=EntryKind.CONTRIBUTION,
        occurred_on=received_on,
        contribution=contribution,
        by=by,
        description=str(contribution),
        lines=ledger.pair(Account.CASH, Account.CAPITAL, {contribution.pk: contribution.amount}),
    )
    return contribution


def _contribution_payload(
    *,
    fund: Fund,
    kind: str,
    organisation,
    amount: Decimal,
    received_on: dt.date,
    by=None,
    agreement: str = "",
    agreement_firm=None,
    earmark: str = "",
    jobs_to_recreate: int | None = 0,
) -> dict:
    """What makes two sends of a contribution the same (everything but who sends it). The
    jobs to re-create count only when there are some, so that the records kept before the
    field existed (the same payload without it) still replay."""
    payload = {
        "fund": fund,
        "kind": kind,
        "organisation": organisation,
        "agreement": agreement or "",
        "agreement_firm": agreement_firm,
        "amount": amount,
        "received_on": received_on,
        "earmark": earmark or "",
    }
    if jobs_to_recreate:
        payload["jobs_to_recreate"] = jobs_to_recreate
    return payload


def _contribution_described(first: FundContribution) -> tuple[str, dict]:
    message = _(
        "Cet envoi a déjà enregistré un apport de %(amount)s reçu le %(date)s ; rien de plus "
        "n'est enregistré. Pour enregistrer un autre apport, rechargez la page et saisissez-le "
        "à nouveau."
    ) % {"amount": money(first.amount), "date": short_date(first.received_on)}
    extra = {
        "contribution": first.pk,
        "amount": str(first.amount),
        "received_on": first.received_on.isoformat(),
    }
    return message, extra


@transaction.atomic
def contribution_record_once(
    *, fund: Fund, submission_key: str, **fields
) -> tuple[FundContribution, bool]:
    """``contribution_record`` for a form that may be sent twice (a double click, a reload)
    or an API call with an ``Idempotency-Key``, through ``alize.idempotency.run_once``: the
    same key (per dispositif) with the same payload returns the first contribution with
    ``created=False``, also when two requests race; another payload raises the 409."""
    key = clean_key(
        submission_key,
        field="submission_key",
        message=_("Une clé d'envoi (1 à 128 caractères) est requise."),
    )

    def create() -> FundContribution:
        contribution = contribution_record(fund=fund, **fields)
        contribution.submission_key = key
        contribution.save(update_fields=["submission_key"])
        return contribution

    return run_once(
        operation="loans.contribution",
        dispositif_id=fund.dispositif_id,
        key=key,
        payload=_contribution_payload(fund=fund, **fields),
        model=FundContribution,
        create=create,
        describe=_contribution_described,
        field=None,
    )
