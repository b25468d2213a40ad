"""Signed single-purpose links (``alize.links``): a token opens its own purpose only, any
character changed fails, a link is used once (also by two racing requests) and stops at
its expiry; the stored row is read in the scope of the dispositif the token names."""

from __future__ import annotations

import datetime as dt

import pytest

from alize import links
from alize.models import SignedLink
from alize.tenancy import public_door_scope, scope
from tests.clock import NOW

pytestmark = pytest.mark.django_db

PURPOSE = "tests.links"


def issue(dispositif, object_id=7, days=10) -> SignedLink:
    with scope([dispositif]):
        return links.link_issue(
            purpose=PURPOSE,
            dispositif_id=dispositif.pk,
            object_id=object_id,
            lifetime=dt.timedelta(days=days),
        )


def reason(call) -> links.LinkRefusal:
    with pytest.raises(links.LinkRefused) as refused:
        call()
    return refused.value.reason


def test_a_token_opens_its_object_until_it_is_used_once(world):
    stored = issue(world.a)
    token = links.link_token(stored)
    assert links.link_token(stored) == token  # a reminder repeats the same link
    opened = links.link_open(PURPOSE, token)
    assert (opened.dispositif_id, opened.object_id) == (world.a.pk, 7)
    with public_door_scope(opened.dispositif_id, door="test"):
        assert links.link_check(opened) == stored
        links.link_use(opened)
        assert reason(lambda: links.link_use(opened)) == links.LinkRefusal.USED
        assert reason(lambda: links.link_check(opened)) == links.LinkRefusal.USED
    assert SignedLink.unscoped_objects.get(pk=stored.pk).used_at is not None


def test_an_altered_token_or_another_purpose_opens_nothing(world):
    token = links.link_token(issue(world.a))
    for position in range(len(token)):
        changed = (
            token[:position] + ("x" if token[position] != "x" else "y") + token[position + 1 :]
        )
        assert reason(lambda changed=changed: links.link_open(PURPOSE, changed)) == "invalid"
    for wrong in ("", token[:-1], token + "x", "a:b"):
        assert reason(lambda wrong=wrong: links.link_open(PURPOSE, wrong)) == "invalid"
    assert reason(lambda: links.link_open("tests.other", token)) == "invalid"
    refusal = links.LinkRefused(links.LinkRefusal.INVALID)
    assert refusal.status == 400 and "pas valide" in refusal.message


def test_an_expired_or_revoked_link_is_refused(world, time_machine):
    stored = issue(world.a, days=1)
    opened = links.link_open(PURPOSE, links.link_token(stored))
    time_machine.move_to(NOW + dt.timedelta(days=1, seconds=1), tick=True)
    with public_door_scope(world.a.pk, door="test"):
        assert reason(lambda: links.link_check(opened)) == links.LinkRefusal.EXPIRED
        assert reason(lambda: links.link_use(opened)) == links.LinkRefusal.EXPIRED
        assert links.LinkRefused(links.LinkRefusal.EXPIRED).status == 410
        assert links.link_revoke(SignedLink.objects.filter(pk=stored.pk)) == 1
        assert reason(lambda: links.link_check(opened)) == links.LinkRefusal.INVALID


def test_the_stored_row_is_found_only_in_the_dispositif_the_token_names(world):
    opened = links.link_open(PURPOSE, links.link_token(issue(world.a)))
    with public_door_scope(world.b.pk, door="test: the wrong dispositif"):
        assert reason(lambda: links.link_check(opened)) == links.LinkRefusal.INVALID
        assert reason(lambda: links.link_use(opened)) == links.LinkRefusal.INVALID
    with public_door_scope(world.a.pk, door="test"):
        links.link_check(opened)
