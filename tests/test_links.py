"""Signed single-purpose tokens (``alize/links.py``) and counted limits
(``alize/rate_limits.py``), the helpers of the public door and of later signed links."""

import datetime as dt

import pytest

from alize import links
from alize.rate_limits import RateLimit


def test_a_token_gives_back_its_payload_and_age(time_machine):
    token = links.make("follow-up", {"project": 7, "year": 2})
    time_machine.shift(90)
    signed = links.read("follow-up", token, max_age=dt.timedelta(hours=1))
    assert signed.payload == {"project": 7, "year": 2}
    assert 89.9 < signed.age < 92


def test_a_token_is_refused_for_another_purpose_altered_or_too_old(time_machine):
    token = links.make("follow-up", {"project": 7})
    with pytest.raises(links.LinkInvalid):
        links.read("erasure", token, max_age=3600)
    with pytest.raises(links.LinkInvalid):
        links.read("follow-up", token[:-1] + ("A" if token[-1] != "A" else "B"), max_age=3600)
    with pytest.raises(links.LinkInvalid):
        links.read("follow-up", "", max_age=3600)
    time_machine.shift(3601)
    with pytest.raises(links.LinkExpired) as refused:
        links.read("follow-up", token, max_age=3600)
    assert refused.value.reason == "expired"
    with pytest.raises(ValueError):
        links.make("two:parts", {})


def test_a_limit_counts_per_identity_and_says_how_long_to_wait(time_machine):
    limit = RateLimit("test-limit", 2, dt.timedelta(minutes=10))
    assert limit.hit("a@example.org") is None
    time_machine.shift(60)
    assert limit.hit("A@example.org ") is None  # the same address, as typed differently
    assert limit.wait("a@example.org") == 540
    assert limit.hit("a@example.org") == 540
    assert limit.wait("b@example.org") is None
    time_machine.shift(541)
    assert limit.wait("a@example.org") is None
    assert limit.hit("a@example.org") is None
