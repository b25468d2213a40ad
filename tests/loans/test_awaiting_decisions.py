"""The approved decisions whose advance is not set up yet (advances page, project panel):
only those without an advance, in the user's dispositifs, the advances' decisions read once
into a hash rather than probed decision by decision on the national data set."""

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from alize.panels import first_rows
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


def test_the_panel_reads_the_first_rows_of_the_list_with_their_related_rows(world, fund_a):
    """``alize.panels.first_rows``: the list's first rows in its order, chosen by a scoped
    subquery, read with the rows the list joins, in one query."""
    decisions = [approved_decision(world.a) for _ in range(3)]
    elsewhere = approved_decision(world.b)
    animateur = world.user("animateur")
    with scope([world.a]):
        listed = list(decisions_awaiting_advance(animateur))
        with CaptureQueriesContext(connection) as queries:
            shown = first_rows(decisions_awaiting_advance(animateur), 2)
            names = [decision.item.project.company.name for decision in shown]
    assert shown == listed[:2]
    assert set(shown) < set(decisions) and elsewhere not in shown
    assert names == [decision.item.project.company.name for decision in listed[:2]]
    assert len(queries) == 1
    with scope(every_dispositif=True, reason="test: the coordination reads every dispositif"):
        network = decisions_awaiting_advance(world.user("coordinator"))
        assert first_rows(network, 10) == list(network)
        for refused in (
            network.annotate(n=Count("pk")),
            network.alias(n=Count("pk")).order_by("-n"),
            network.only("pk"),
            network.order_by(),
        ):
            with pytest.raises(ValueError, match="own order"):
                first_rows(refused, 2)
