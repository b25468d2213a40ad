"""Inviting an expert to an account never takes over someone else's account: an existing
account joins the expert only when it holds nothing but the expert role of that firm."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from alize.accounts.models import Role, RoleAssignment
from tests.conftest import api_client_for
from tests.factories import user_with_role
from tests.missions.conftest import make_expert

pytestmark = pytest.mark.django_db


def roles_of(user):
    return sorted(RoleAssignment.objects.filter(user=user).values_list("role", "organisation_id"))


@pytest.mark.parametrize("owner", ["animateur_a", "member_a", "coordinator", "correspondent_a"])
def test_an_address_of_another_role_is_refused_and_nothing_changes(
    world, client, django_capture_on_commit_callbacks, owner
):
    account = getattr(world, owner)
    before = roles_of(account)
    expert = make_expert(world.firm_a, email=account.email.upper())
    client.force_login(world.correspondent_a)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.post(reverse("missions:expert-invite", args=[expert.pk]), follow=True)
    assert "n&#x27;est pas un expert de l&#x27;entreprise" in page.content.decode()
    response = api_client_for(world.correspondent_a).post(
        reverse("api:expert-invite", args=[expert.pk])
    )
    assert response.status_code == 400
    assert "email" in response.json()["fields"]
    expert.refresh_from_db()
    assert expert.user_id is None and roles_of(account) == before and not callbacks


def test_an_account_of_the_firms_expert_role_joins_its_expert(
    world, client, django_capture_on_commit_callbacks
):
    account = user_with_role(Role.EXPERT, organisation=world.firm_a)
    account.email = "ana@example.org"
    account.save(update_fields=["email"])
    expert = make_expert(world.firm_a, email="ana@example.org")
    client.force_login(world.correspondent_a)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("missions:expert-invite", args=[expert.pk]))
    expert.refresh_from_db()
    assert expert.user == account
    assert get_user_model().objects.filter(email__iexact="ana@example.org").count() == 1
