"""The browser list filters of advances: they narrow within what the user reads, and never
offer (or accept) a fund of another dispositif."""

from decimal import Decimal

import pytest
from django.test import RequestFactory

from loans.filtersets import AdvanceFilterSet
from loans.selectors import advance_list
from tests.loans.builders import advance_at, make_fund, setup_scope

pytestmark = pytest.mark.django_db


def filtered(user, **params):
    request = RequestFactory().get("/advances/", params)
    request.user = user
    with setup_scope():
        filterset = AdvanceFilterSet(params, queryset=advance_list(user), request=request)
        return filterset, {advance.pk for advance in filterset.qs}


def test_advances_filter_by_status_fund_and_search(world):
    fund = make_fund(world.a)
    approved = advance_at("approved", fund)
    disbursed = advance_at("disbursed", fund, amount=Decimal("10000.00"))
    other = advance_at("approved", make_fund(world.b))
    user = world.animateur_a
    assert filtered(user)[1] == {approved.pk, disbursed.pk}
    assert filtered(user, status="disbursed")[1] == {disbursed.pk}
    assert filtered(user, fund=fund.pk)[1] == {approved.pk, disbursed.pk}
    with setup_scope():
        title = approved.project.title
    assert approved.pk in filtered(user, q=title)[1]
    refused, rows = filtered(user, fund=other.fund_id)
    assert not refused.is_valid() and "fund" in refused.errors
    assert filtered(world.coordinator, fund=other.fund_id)[1] == {other.pk}
