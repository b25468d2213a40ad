"""The moment the test suite lives at. Every test runs on this fixed clock (the autouse
``fixed_clock`` fixture of ``tests/conftest.py``), so the dates a test sets up and expects
are written out, never read from the real clock."""

import datetime as dt
from zoneinfo import ZoneInfo

import time_machine

PARIS = ZoneInfo("Europe/Paris")

# A Wednesday in mid-June: last week's Monday (1 June) is in the same month, last month in
# the same year; the fixed 2026 dates the tests write (a referral on 15 January, a receipt
# on 10 January…) are past.
TODAY = dt.date(2026, 6, 10)
NOW = dt.datetime(2026, 6, 10, 10, 0, tzinfo=PARIS)


def before_the_tests():
    """Travel to the tests' day, an hour before their clock, for rows written outside a test
    (a module fixture seeding the demo): what they record as « now » is past for the tests."""
    return time_machine.travel(NOW - dt.timedelta(hours=1))
