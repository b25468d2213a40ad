"""Builders of the loans tests: funds with contributions, approved decisions with an
advance, and advances moved through the real services to a given status."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from alize.tenancy import scope
from committees import services as committee_services
from committees.models import AgendaItem
from loans import services
from tests.clock import TODAY
from tests.factories import OrganisationFactory, project_at, record_quorum

D = Decimal
LONG_AGO = TODAY - dt.timedelta(days=3 * 365)


def setup_scope():
    return scope(every_dispositif=True, reason="test setup")


def make_fund(dispositif, *, name="Fonds d'avances", contributions=(D("100000.00"),), by=None):
    """A fund of ``dispositif`` with contributions of the given amounts, received on
    successive days three years ago (so FIFO order is the order given)."""
    with setup_scope():
        fund = services.fund_create(dispositif=dispositif, name=name)
        for index, amount in enumerate(contributions):
            contribute(fund, amount, received_on=LONG_AGO + dt.timedelta(days=index), by=by)
        return fund


def contribute(fund, amount, *, received_on=LONG_AGO, earmark="", kind="esf", by=None):
    with setup_scope():
        return services.contribution_record(
            fund=fund,
            kind=kind,
            organisation=OrganisationFactory(kind="funder"),
            amount=D(amount),
            received_on=received_on,
            earmark=earmark,
            by=by,
        )


def approved_decision(dispositif, amount=D("12000.00"), project_type="development"):
    """A project approved today by a committee with an advance of ``amount``."""
    project = project_at("on_agenda", dispositif=dispositif)
    with setup_scope():
        if project_type != project.project_type:
            type(project).objects.filter(pk=project.pk).update(project_type=project_type)
        item = AgendaItem.objects.get(project=project)
        record_quorum(item.committee)
        return committee_services.committee_record_decision(
            item=item, outcome="approved", by=None, advance_amount=D(amount)
        )


def advance_at(
    status,
    fund,
    *,
    by=None,
    amount=D("12000.00"),
    instalment_count=12,
    grace_months=0,
    frequency="monthly",
    disbursed_on=None,
    project_type="development",
):
    """An advance of ``fund`` moved through the services up to ``approved``,
    ``contracted`` or ``disbursed`` (disbursed on ``disbursed_on``, default today)."""
    decision = approved_decision(fund.dispositif, amount, project_type)
    with setup_scope():
        advance = services.advance_create(
            decision=decision,
            fund=fund,
            instalment_count=instalment_count,
            grace_months=grace_months,
            frequency=frequency,
            by=by,
        )
        if status == "approved":
            return advance
        on = disbursed_on or TODAY
        # The committee sat today; a backdated disbursement is contracted the same day.
        committee = advance.decision.item.committee
        if on < committee.date:
            type(committee).objects.filter(pk=committee.pk).update(date=on)
        services.advance_contract(advance=advance, contracted_on=on, by=by)
        if status == "contracted":
            return advance
        return services.advance_disburse(advance=advance, disbursed_on=on, by=by)
