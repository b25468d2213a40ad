"""Fixtures of the loans tests (builders in ``tests.loans.builders``)."""

import pytest

from tests.loans.builders import make_fund


@pytest.fixture
def fund_a(world):
    return make_fund(world.a)


@pytest.fixture
def fund_b(world):
    return make_fund(world.b)
