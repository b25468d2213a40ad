"""The approved decisions whose advance is not set up yet (advances page, project panel):
only those without an advance, in the user's dispositifs, the advances' decisions read once
into a hash rather than probed decision by decision on the national data set."""

import pytest
from django.db import connection

from alize.tenancy import scope
from loans.queries import decisions_awaiting_advance
from tests.loans.builders import advance_at, approved_decision

pytestmark = pytest.mark.django_db


def test_only_decisions_without_an_advance_in_the_users_dispositifs(world, fund_a, fund_b):
    waiting = approved_decision(world.a)
    set_up = advance_at("approved", fund_a)
    elsewhere = approved_decision(world.b)
    animateur = world.user("animateur")
    with scope([world.a]):
        found = list(decisions_awaiting_advance(animateur))
    assert found == [waiting]
    assert set_up.decision not in found and elsewhere not in found
    with scope(every_dispositif=True, reason="test: the coordination reads every dispositif"):
        everywhere = set(decisions_awaiting_advance(world.user("coordinator")))
    assert everywhere == {waiting, elsewhere}


def test_not_set_up_reads_the_advances_once_into_a_hash(world, fund_a):
    approved_decision(world.a)
    advance_at("approved", fund_a)
    with scope(every_dispositif=True, reason="test: the plan of the coordination's query"):
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE loans_advance")
        text = decisions_awaiting_advance(world.user("coordinator")).explain()
    assert "hashed SubPlan" in text, text
    assert "Anti Join" not in text, text
