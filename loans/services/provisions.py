"""Provisions: each fund's rates by days past due, the daily adjustment of every advance's
allowance to its rate (posted to the ledger), and the use of the allowance on a write-off
(docs/decisions/0017-provisions-in-the-ledger.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from itertools import pairwise

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from alize.formats import money, percent

from .. import ledger
from ..models import (
    CENT,
    DEFAULT_PROVISION_RATES,
    MAX_DAYS_PAST_DUE,
    ZERO,
    Account,
    Advance,
    EntryKind,
    Fund,
    JournalTransaction,
    LedgerLine,
    ProvisionRate,
    WriteOff,
)
from ..models.ledger import PROVISION_ADJUSTMENTS

HUNDRED = Decimal(100)
RateTable = tuple[tuple[int, Decimal], ...]


def rate_field(index: int, name: str) -> str:
    """The name of one input of row ``index`` of a rates table, the same on the fund page's
    form and in the API's errors (``rates-1-rate``)."""
    return f"rates-{index}-{name}"


def _checked_rates(rates: Sequence[tuple[object, object]]) -> list[tuple[int, Decimal]]:
    """The rows of a rates table, checked, sorted by days; rows with neither value are
    skipped. Raises ``ValidationError`` with every error by its field."""
    errors: dict[str, list[str]] = {}

    def refuse(index: int, name: str, message: str) -> None:
        errors.setdefault(rate_field(index, name), []).append(message)

    rows: list[tuple[int, int, Decimal]] = []
    for index, (days, rate) in enumerate(rates):
        if days in (None, "") and rate in (None, ""):
            continue
        ok, value = True, ZERO
        if days in (None, ""):
            refuse(index, "min_days_past_due", _("Indiquez à partir de combien de jours."))
            ok = False
        elif isinstance(days, bool) or not isinstance(days, int):
            refuse(index, "min_days_past_due", _("Un nombre de jours est un nombre entier."))
            ok = False
        elif not 0 <= days <= MAX_DAYS_PAST_DUE:
            refuse(
                index,
                "min_days_past_due",
                _("Un nombre de jours va de 0 à %(max)d.") % {"max": MAX_DAYS_PAST_DUE},
            )
            ok = False
        if rate in (None, ""):
            refuse(index, "rate", _("Indiquez le taux."))
            ok = False
        else:
            try:
                value = rate if isinstance(rate, Decimal) else Decimal(str(rate))
                finite = value.is_finite()
            except (InvalidOperation, ValueError):
                finite = False
            if isinstance(rate, (bool, float)) or not finite:
                refuse(index, "rate", _("Un taux est un nombre."))
                ok = False
            elif not ZERO <= value <= HUNDRED:
                refuse(index, "rate", _("Un taux de provision va de 0 à 100 %."))
                ok = False
            elif value != value.quantize(CENT):
                refuse(index, "rate", _("Un taux a deux décimales au plus."))
                ok = False
        if ok:
            assert isinstance(days, int)
            rows.append((index, days, value.quantize(CENT)))
    seen: dict[int, int] = {}
    for index, days, _rate in rows:
        if days in seen:
            refuse(index, "min_days_past_due", _("Un autre palier commence déjà à ce retard."))
        seen.setdefault(days, index)
    if not errors:
        if not rows:
            errors["rates"] = [_("Indiquez au moins un palier, à partir de 0 jour.")]
        elif 0 not in seen:
            first = min(rows, key=lambda row: row[1])[0]
            refuse(first, "min_days_past_due", _("Le premier palier commence à 0 jour."))
    if not errors:
        ordered = sorted(rows, key=lambda row: row[1])
        for (_i, before_days, before), (index, _days, rate) in pairwise(ordered):
            if rate < before:
                refuse(
                    index,
                    "rate",
                    _(
                        "Le taux ne baisse pas quand le retard augmente : %(rate)s dès "
                        "%(days)d jours."
                    )
                    % {"rate": percent(before, 2), "days": before_days},
                )
    if errors:
        raise ValidationError(errors)
    return [(days, rate) for _i, days, rate in sorted(rows, key=lambda row: row[1])]


@transaction.atomic
def provision_rates_set(
    *, fund: Fund, rates: Sequence[tuple[object, object]]
) -> list[ProvisionRate]:
    """Replace a fund's provisioning table by ``rates``, rows of (from days past due, rate
    in %): whole days from 0 to ``MAX_DAYS_PAST_DUE``, each once, the first at 0; rates
    from 0 to 100 with two decimals at most, never lower for more days. Every error is
    named by its row's field (``rate_field``); a refused table changes nothing. The next
    daily job provisions at the new rates."""
    checked = _checked_rates(rates)
    Fund.objects.select_for_update().get(pk=fund.pk)
    ProvisionRate.objects.filter(fund=fund).delete()
    return ProvisionRate.objects.bulk_create(
        ProvisionRate(
            dispositif_id=fund.dispositif_id, fund=fund, min_days_past_due=days, rate=rate
        )
        for days, rate in checked
    )


def provision_rate_tables(fund_ids) -> dict[int, RateTable]:
    """Each fund's table ((from days, rate %), by days), in one query; a fund that set none
    gets ``DEFAULT_PROVISION_RATES``."""
    ids = list(fund_ids)
    tables: dict[int, list[tuple[int, Decimal]]] = {pk: [] for pk in ids}
    for fund_id, days, rate in (
        ProvisionRate.objects.filter(fund__in=ids)
        .order_by("fund_id", "min_days_past_due")
        .values_list("fund_id", "min_days_past_due", "rate")
    ):
        tables[fund_id].append((days, rate))
    return {pk: tuple(rows) or DEFAULT_PROVISION_RATES for pk, rows in tables.items()}


def rate_for(days_past_due: int, table: RateTable) -> Decimal:
    """The rate of the last bucket that starts at or before ``days_past_due``."""
    rate = ZERO
    for days, bucket_rate in table:
        if days > days_past_due:
            break
        rate = bucket_rate
    return rate


def required_provision(outstanding: Decimal, rate: Decimal) -> Decimal:
    """``rate`` % of ``outstanding``, rounded half up to the cent."""
    return (outstanding * rate / HUNDRED).quantize(CENT, rounding=ROUND_HALF_UP)


def _adjustment_lines(
    advance_id: int, position: dict[int, tuple[Decimal, Decimal]], required: Decimal
) -> list[ledger.Line]:
    """The lines bringing an advance's allowance to ``required``: the target is split
    between its contributions in proportion to their outstanding principal, and each
    contribution's allowance moves to its part (up: provisions / allowance; down:
    allowance / provisions)."""
    outstanding = {c: out for c, (out, _allowance) in position.items() if out > 0}
    target = ledger.split_proportionally(required, outstanding) if required else {}
    lines = []
    for contribution_id, (_out, allowance) in position.items():
        change = target.get(contribution_id, ZERO) - allowance
        if change > 0:
            lines += ledger.pair(
                Account.PROVISIONS, Account.ALLOWANCE, {contribution_id: change}, advance_id
            )
        elif change < 0:
            lines += ledger.pair(
                Account.ALLOWANCE, Account.PROVISIONS, {contribution_id: -change}, advance_id
            )
    return lines


def provisions_refresh(
    *, dispositif, today: dt.date, days_past_due: dict[int, int], locked: dict[int, Advance]
) -> int:
    """Bring the allowance of every advance of the dispositif to its fund's rate for its
    days past due (``days_past_due``, by advance, as the daily arrears job found them) ×
    its outstanding principal, rounded half up to the cent, with one balanced transaction
    per advance whose allowance changes: a charge when it goes up, a release when it goes
    down. Advances no longer live but still provisioned (repaid since) are released.

    Runs inside the arrears job's transaction, with ``locked`` (its live advances) locked;
    the others it provisions are locked here. At most one adjustment per advance and day
    (also a unique constraint of the ledger): a second run on a day posts nothing, and a
    concurrent one waits for the locks, then finds the day's adjustments made. Reads are
    set-based (a constant number of queries); returns the number of transactions posted."""
    held = (
        LedgerLine.objects.filter(
            dispositif_id=dispositif.pk, account=Account.ALLOWANCE, advance__isnull=False
        )
        .exclude(advance__in=list(locked))
        .values("advance_id")
        .annotate(d=Sum("debit"), c=Sum("credit"))
        .order_by()
    )
    others = sorted(row["advance_id"] for row in held if row["c"] != row["d"])
    advances = dict(locked)
    advances.update(
        (advance.pk, advance)
        for advance in Advance.objects.select_for_update().filter(pk__in=others).order_by("pk")
    )
    if not advances:
        return 0
    done = set(
        JournalTransaction.objects.filter(
            advance__in=list(advances), occurred_on=today, kind__in=PROVISION_ADJUSTMENTS
        ).values_list("advance_id", flat=True)
    )
    positions = ledger.provision_positions(advances)
    fund_ids = {advance.fund_id for advance in advances.values()}
    funds = Fund.objects.in_bulk(fund_ids)
    tables = provision_rate_tables(fund_ids)
    posted = 0
    for pk in sorted(advances):
        if pk in done:
            continue
        advance, position = advances[pk], positions.get(pk, {})
        outstanding = sum((out for out, _allowance in position.values()), ZERO)
        allowance = sum((allowance for _out, allowance in position.values()), ZERO)
        rate = rate_for(days_past_due.get(pk, 0), tables[advance.fund_id])
        required = required_provision(outstanding, rate) if outstanding > 0 else ZERO
        if required == allowance:
            continue
        charge = required > allowance
        ledger.post(
            fund=funds[advance.fund_id],
            kind=EntryKind.PROVISION_CHARGE if charge else EntryKind.PROVISION_RELEASE,
            occurred_on=today,
            advance=advance,
            description=(
                _("Provision à %(rate)s de %(outstanding)s, %(days)d jours de retard")
                % {
                    "rate": percent(rate, 2),
                    "outstanding": money(outstanding),
                    "days": days_past_due.get(pk, 0),
                }
            ),
            lines=_adjustment_lines(pk, position, required),
        )
        posted += 1
    return posted


def provision_use(*, advance: Advance, write_off: WriteOff, on: dt.date, by) -> None:
    """On an approved write-off (the caller's transaction, the advance locked), use what is
    left of the advance's allowance: allowance / provisions per contribution, so that the
    loss's net expense is only the part that was not provisioned. Nothing when none."""
    position = ledger.provision_positions([advance.pk]).get(advance.pk, {})
    held = {c: allowance for c, (_out, allowance) in position.items() if allowance > 0}
    if not held:
        return
    ledger.post(
        fund=advance.fund,
        kind=EntryKind.PROVISION_USE,
        occurred_on=on,
        advance=advance,
        by=by,
        description=write_off.reason,
        lines=ledger.pair(Account.ALLOWANCE, Account.PROVISIONS, held, advance_id=advance.pk),
    )
