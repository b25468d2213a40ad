"""Login by e-mail, argon2, lockout, roles as data, language switch."""

import datetime as dt

import pytest
from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse

from alize.accounts.models import LoginFailure, Role, RoleAssignment
from alize.settings import base
from dispositifs.access import scope_ids as dispositif_ids_for
from tests.clock import NOW
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, user_with_role


def test_production_hashing_is_argon2():
    assert base.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_login_by_email_case_insensitive(world, client):
    response = client.post(
        reverse("login"), {"email": world.animateur_a.email.upper(), "password": "secret-password"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


def test_bad_password_shows_an_error_and_counts(world, client):
    response = client.post(reverse("login"), {"email": world.animateur_a.email, "password": "nope"})
    assert response.status_code == 400
    assert "incorrect" in response.content.decode()
    assert LoginFailure.objects.filter(email=world.animateur_a.email).count() == 1


def test_lockout_after_repeated_failures(world, client):
    for _ in range(settings.LOGIN_FAILURE_LIMIT):
        client.post(reverse("login"), {"email": world.animateur_a.email, "password": "nope"})
    response = client.post(
        reverse("login"), {"email": world.animateur_a.email, "password": "secret-password"}
    )
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_login_refuses_open_redirects(world, client):
    response = client.post(
        reverse("login"),
        {
            "email": world.animateur_a.email,
            "password": "secret-password",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == reverse("home")


def test_logout_is_post_only(world, client):
    client.force_login(world.animateur_a)
    assert client.get(reverse("logout")).status_code == 405
    assert client.post(reverse("logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_scope_comes_from_role_assignments(world):
    assert dispositif_ids_for(world.animateur_a) == {world.a.pk}
    assert dispositif_ids_for(world.member_a) == {world.a.pk}
    assert dispositif_ids_for(world.coordinator) is None
    assert dispositif_ids_for(world.api_client_user) == {world.a.pk}
    assert dispositif_ids_for(UserFactory()) == set()


def test_firm_correspondent_sees_the_dispositifs_of_its_firm(world):
    firm = OrganisationFactory()
    MembershipFactory(dispositif=world.b, organisation=firm)
    correspondent = user_with_role(Role.FIRM_CORRESPONDENT, organisation=firm)
    assert dispositif_ids_for(correspondent) == {world.b.pk}


def test_role_assignment_must_carry_the_right_target(world):
    user = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.ANIMATEUR)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.API_CLIENT)
    with pytest.raises(IntegrityError), transaction.atomic():
        RoleAssignment.objects.create(user=user, role=Role.NATIONAL_COORDINATOR, dispositif=world.a)


def test_user_without_role_sees_nothing(db, client):
    client.force_login(UserFactory())
    page = client.get(reverse("home")).content.decode()
    assert "Aucun rôle" in page


def test_navigation_depends_on_role(world, client):
    client.force_login(world.member_a)
    page = client.get(reverse("home")).content.decode()
    assert reverse("partners:organisation-list") not in page
    client.force_login(world.animateur_a)
    page = client.get(reverse("home")).content.decode()
    assert reverse("partners:organisation-list") in page


def test_french_by_default_and_english_on_request(world, client):
    client.force_login(world.animateur_a)
    assert "Se déconnecter" in client.get(reverse("home")).content.decode()
    english_browser = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert "Se déconnecter" in english_browser.content.decode()
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert "Log out" in client.get(reverse("home")).content.decode()


def test_create_api_client_prints_a_token(world, capsys):
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command("create_api_client", region="Hauts-de-France")
    token = capsys.readouterr().out.strip()
    user = Token.objects.get(key=token).user
    assert dispositif_ids_for(user) == {world.a.pk}


def test_role_changes_keep_a_history_with_who_and_when(world, client):
    """Granting, changing and withdrawing a role in the admin leaves history rows naming
    the coordinator who did it and when; the admin shows them."""
    coordinator = world.coordinator
    coordinator.is_staff = coordinator.is_superuser = True
    coordinator.save()
    client.force_login(coordinator)
    person = UserFactory()
    add = client.post(
        reverse("admin:accounts_roleassignment_add"),
        {"user": person.pk, "role": "animateur", "dispositif": world.a.pk, "region": ""},
    )
    assert add.status_code == 302, add.content.decode()[:2000]
    assignment = RoleAssignment.objects.get(user=person)
    change = client.post(
        reverse("admin:accounts_roleassignment_change", args=[assignment.pk]),
        {"user": person.pk, "role": "animateur", "dispositif": world.b.pk, "region": ""},
    )
    assert change.status_code == 302
    delete = client.post(
        reverse("admin:accounts_roleassignment_delete", args=[assignment.pk]), {"post": "yes"}
    )
    assert delete.status_code == 302

    rows = list(RoleAssignment.history.filter(user_id=person.pk).order_by("history_date", "pk"))
    assert [(row.history_type, row.dispositif_id) for row in rows] == [
        ("+", world.a.pk),
        ("~", world.b.pk),
        ("-", world.b.pk),
    ]
    assert {row.history_user for row in rows} == {coordinator}
    assert all(NOW <= row.history_date < NOW + dt.timedelta(minutes=5) for row in rows)
    history = client.get(reverse("admin:accounts_roleassignment_history", args=[assignment.pk]))
    assert history.status_code == 200
