"""The Django admin (for the national coordination) opens every model's pages."""

import pytest
from django.contrib import admin
from django.urls import reverse

from alize.tenancy import scope
from tests.factories import CommitteeFactory, CompanyFactory, project_at


@pytest.fixture
def staff_coordinator(world):
    world.coordinator.is_staff = True
    world.coordinator.is_superuser = True
    world.coordinator.save()
    return world.coordinator


def test_every_registered_model_lists_and_opens_its_add_page(world, client, staff_coordinator):
    CompanyFactory(dispositif=world.a)
    project_at("approved", dispositif=world.a)
    CommitteeFactory(dispositif=world.b)
    client.force_login(staff_coordinator)
    assert client.get(reverse("admin:index")).status_code == 200
    for model in admin.site._registry:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        with scope(every_dispositif=True, reason="test referee"):
            row = model._default_manager.first()
        if row is not None:
            change = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[row.pk])
            assert client.get(change).status_code == 200, change


def test_animateur_has_no_admin(world, client):
    client.force_login(world.animateur_a)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302


def test_api_docs_page_is_served_with_local_assets(world, client):
    client.force_login(world.animateur_a)
    page = client.get(reverse("api-docs")).content.decode()
    assert "swagger-ui" in page and "cdn." not in page
    assert client.get(reverse("api-schema")).status_code == 200


@pytest.mark.parametrize("role", ["animateur", "member", "correspondent", "no_role"])
def test_staff_user_who_is_not_coordinator_gets_no_admin(world, client, role):
    user = world.user(role)
    user.is_staff = True
    user.save()
    client.force_login(user)
    index = client.get(reverse("admin:index"))
    assert index.status_code in (302, 403, 404) or index.context["app_list"] == []
    for model in admin.site._registry:
        meta = model._meta
        changelist = reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist")
        assert client.get(changelist).status_code in (302, 403, 404), changelist
